"""What one commit's run cost, per benchmark family: asv's recorded durations, summed.

    python -m tools.report.cost --results .asv/results [--machine M] [--commit SHA-PREFIX]

asv records each benchmark's total duration and each ``setup_cache``'s (the shared measurements
that ``track_`` families read) in the result file of a commit; this prints them as markdown, per
family and in total, so the budget of a profile is a measured figure. Bad input: one line, exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from collections import defaultdict
from pathlib import Path

from asv.results import iter_results_for_machine

from tools.report import data as rd


def durations(results: Path, machine: str | None, commit: str | None) -> dict[str, float]:
    """``{benchmark or "<setup_cache …>" or "<build>": seconds}`` of one commit (the newest
    when no commit is named); ReportError on bad input."""
    rs = rd.load(results, machine)
    target = rs.commit(commit) if commit else rs.commits[-1]
    out: dict[str, float] = {}
    for result in iter_results_for_machine(str(results), rs.machine):
        if result.commit_hash == target.sha:
            out.update(result.duration)
    if not out:
        raise rd.ReportError(f"no durations recorded for {target.sha[:8]}")
    return out


def setup_cache_name(key: str) -> str:
    """asv keys a setup_cache by module and line (``measure:49``): the function's name."""
    module, _, line = key.rpartition(":")
    try:
        mod = importlib.import_module(f"benchmarks.{module}")
    except ImportError:
        return key
    for name, func in inspect.getmembers(mod, inspect.isfunction):
        if func.__module__ == mod.__name__ and inspect.getsourcelines(func)[1] == int(line):
            return f"{module}.{name}"
    return key


def by_family(durations: dict[str, float]) -> dict[str, float]:
    """Seconds per family; setup_cache and build entries keep their own rows."""
    families: dict[str, float] = defaultdict(float)
    for name, seconds in durations.items():
        if name.startswith("<setup_cache "):
            families[f"setup_cache {setup_cache_name(name[13:-1])}"] += seconds
        elif name.startswith("<"):
            families[name] += seconds
        else:
            families[rd.family(name)] += seconds
    return dict(sorted(families.items(), key=lambda kv: -kv[1]))


def markdown(families: dict[str, float]) -> str:
    total = sum(families.values())
    lines = ["| part | minutes | share |", "|---|---:|---:|"]
    lines += [f"| {k} | {v / 60:.1f} | {v / total:.0%} |" for k, v in families.items()]
    lines.append(f"| **total** | **{total / 60:.1f}** | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.report.cost", description=__doc__)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--machine")
    parser.add_argument("--commit")
    args = parser.parse_args(argv)
    try:
        print(markdown(by_family(durations(args.results, args.machine, args.commit))))
    except rd.ReportError as exc:
        print(f"tools.report.cost: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
