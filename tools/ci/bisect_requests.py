"""Which of a night's new regressions to bisect: those of a number the bisect can search.

Why: asv's step detection names a range (the last good and the first bad measured commit); the
nightly measures about two commits a night, so that range holds a day of Bengal's commits. The
new steps of instruction counts and exact work counters become one ``bisect.yml`` dispatch per
range and tier, naming every benchmark that stepped there: a regression of one commit typically
moves the full, no-op and one-page counts at once, and one bisect takes all three from the same
builds. Wall-time and memory steps are not bisected (their noise needs repeated samples), nor are
steps of the free-threaded series (the bisect probes 3.14 only). A step never spans two
environments: each has its own series (scope.environment).

    python -m tools.ci.bisect_requests OLD_SITE NEW_SITE --out bisects.txt [--max 3] \\
        [--github-output]

``bisects.txt``: one ``GOOD BAD BENCHMARKS TIER`` line per bisect (full hashes, tools.bisect's
names for the benchmarks, comma-separated, the tier whose series showed the steps).
``--github-output`` also writes ``bisects=[{"good", "bad", "benchmark", "tier"}, ...]`` (JSON, the
same requests) for a job output.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from catalogue import tiers
from tools.bisect.probe import targets
from tools.ci import github_output
from tools.ci.new_regressions import Jump, load_site, new_jumps

_PARAMS = re.compile(r"^(?P<key>[\w.]+)(\('(?P<site>[\w-]+)', '(?P<build>\w+)'\))?$")
_SHA = re.compile(r"[0-9a-f]{40}")
_MACHINE = re.compile(r"machine-([\w.-]+)")
_PYTHON = re.compile(r"(?:^|/)python-([\w.]+)(?:/|$)")
_OTHER = ("-smoke", "-pr", "-nightly")  # scope.machine: a tier at another profile
PYTHON = "3.14"  # the python a bisect probes (tools.bisect.probe.Prober's default)


def tier_of(graph: str) -> str | None:
    """The tier whose series (the machine name's suffix) drew this graph: ``-<series>``, or
    ``-<series>-<profile>`` for the tier at another profile's sites (a rehearsal's smoke, which
    the bisect then probes at the same sites)."""
    m = _MACHINE.search(graph)
    if not m:
        return None
    endings = {f"-{t.series}{p}": t.name for t in tiers.TIERS.values() for p in ("", *_OTHER)}
    return next((tier for end, tier in endings.items() if m[1].endswith(end)), None)


def target_of(benchmark: str) -> str | None:
    """tools.bisect's name for an asv benchmark name with params, or None if it is not one."""
    m = _PARAMS.match(benchmark)
    if not m:
        return None
    for target in targets().values():
        if target.key == m["key"] and target.build == m["build"]:
            return target.name
    return None


def requests(jumps: list[Jump], limit: int) -> list[tuple[str, str, str, str]]:
    """(good, bad, benchmarks, tier) of the first ``limit`` ranges of a tier's series with a
    known good commit and a bisectable jump; ``benchmarks`` lists every bisectable benchmark that
    jumped in that range, comma-separated, in the order of the targets."""
    order = list(targets())
    ranges: dict[tuple[str, str, str], set[str]] = {}
    for jump in jumps:
        target, tier = target_of(jump.benchmark), tier_of(jump.graph)
        shas = (jump.before or "", jump.after)
        python = _PYTHON.search(jump.graph)
        if python and python[1] != PYTHON:
            continue  # a 3.14t series: the bisect would probe another python
        if target and tier and all(_SHA.fullmatch(s) for s in shas):
            ranges.setdefault((*shas, tier), set()).add(target)
    found = [
        (good, bad, ",".join(sorted(names, key=order.index)), tier)
        for (good, bad, tier), names in ranges.items()
    ]
    return found[:limit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.bisect_requests", description=__doc__)
    parser.add_argument("old_site", type=Path)
    parser.add_argument("new_site", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--max", type=int, default=3, help="most bisects to start (default 3)")
    parser.add_argument(
        "--github-output", action="store_true", help="also write bisects=<JSON list> there"
    )
    args = parser.parse_args(argv)
    if not (args.new_site / "index.json").exists():
        print(f"error: {args.new_site} is not a published asv site", file=sys.stderr)
        return 2
    found = requests(new_jumps(load_site(args.old_site), load_site(args.new_site)), args.max)
    args.out.write_text("".join(" ".join(r) + "\n" for r in found))
    if args.github_output:
        keys = ("good", "bad", "benchmark", "tier")
        listed = json.dumps([dict(zip(keys, r, strict=True)) for r in found])
        if not github_output.write(bisects=listed):
            return 2
    print(f"{len(found)} bisect(s) to start")
    return 0


if __name__ == "__main__":
    sys.exit(main())
