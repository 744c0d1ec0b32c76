"""What one commit's run cost, per benchmark family: asv's recorded durations, summed.

    python -m tools.report.cost --results .asv/results [--machine M] [--commit SHA-PREFIX]

asv records each benchmark's total duration and each ``setup_cache``'s (the shared measurements
that ``track_`` families read) in the result file of a commit; this prints them as markdown, per
family and in total, so the budget of a profile is a measured figure. Bad input: one line, exit 2.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

from asv.results import iter_results_for_machine

from tools.report import data as rd


def durations(
    results: Path, machine: str | None, commit: str | None
) -> tuple[dict[str, float], dict[str, str]]:
    """``{benchmark or "<setup_cache …>" or "<build>": seconds}`` of one commit (the newest
    when no commit is named), and the setup_cache names; ReportError on bad input."""
    rs = rd.load(results, machine)
    target = rs.commit(commit) if commit else rs.commits[-1]
    out: dict[str, float] = {}
    for result in iter_results_for_machine(str(results), rs.machine):
        if result.commit_hash == target.sha:
            out.update(result.duration)
    if not out:
        raise rd.ReportError(f"no durations recorded for {target.sha[:8]}")
    return out, setup_cache_names(rs.benchmarks)


def setup_cache_names(benchmarks: dict) -> dict[str, str]:
    """asv keys a setup_cache by module and line (``measure:50``); the function's name is the
    top-level ``def`` in the code asv recorded for the benchmarks that use it."""
    names = {}
    for bench in benchmarks.values():
        key = isinstance(bench, dict) and bench.get("setup_cache_key")
        if key:
            defs = re.findall(r"^def (\w+)\(", bench.get("code", ""), re.M)
            names[key] = f"{key.partition(':')[0]}.{defs[-1]}" if defs else key
    return names


def by_family(durations: dict[str, float], names: dict[str, str]) -> dict[str, float]:
    """Seconds per family; setup_cache and build entries keep their own rows."""
    families: dict[str, float] = defaultdict(float)
    for name, seconds in durations.items():
        if name.startswith("<setup_cache "):
            key = name.removeprefix("<setup_cache ").removesuffix(">")
            families[f"setup_cache {names.get(key, key)}"] += seconds
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
        seconds, names = durations(args.results, args.machine, args.commit)
        print(markdown(by_family(seconds, names)))
    except rd.ReportError as exc:
        print(f"tools.report.cost: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
