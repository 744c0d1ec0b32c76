"""A/A spread of the numbers ``tools.bisect`` does not search: can one run per probe decide?

Why: a single-run bisection is only valid for a number whose repeat spread is far below the step
it looks for. Instruction counts repeat to ~0.01%; wall time, CPU time and peak RSS of a build
move with the machine. This builds one commit N times (fresh copies of the profile's instruction
site, one worker, through the CLI, validated) and says, per number, whether its spread is below a
fifth of its regression threshold (then a single run per probe could bisect it) or not (then a
probe needs interleaved repeated samples and a significance test).

    python -m tools.bisect.noise --bengal 0.5.1 --runs 7 [--profile pr] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import scenario_gen
from benchmarks import profiles
from benchmarks.sites import site_id
from driver import install
from tools.report import data as rd

ROOT = Path(__file__).resolve().parents[2]
# number of a CLI build → the asv benchmark that records it for the reference site
NUMBERS = {
    "wall_s": "bench_full.FullBuildReference.track_cli_wall_seconds",
    "cpu_s": "bench_full.FullBuildReference.track_cli_cpu_seconds",
    "peak_rss_mb": "bench_full.FullBuildReference.track_cli_peak_rss",
}
DECIDES = 0.2  # spread below this fraction of the threshold: one run per probe decides


class BuildError(RuntimeError):
    """A build that failed (its stderr's tail): one line."""


def build_once(python: Path, kind: str, pages: int, work: Path, n: int) -> dict:
    """One validated one-worker CLI full build of a fresh copy; its BuildResult as a dict."""
    root = scenario_gen.working_copy(scenario_gen.Scenario(kind, pages), work / f"run-{n}")
    proc = subprocess.run(
        [str(python), "-m", "driver", "build", str(root), "--mode", "full", "--via", "cli",
         "--workers", "1", "--json"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise BuildError(f"build {n} failed: {tail[-300:]}")
    return json.loads(proc.stdout)


def spread(values: list[float]) -> float:
    """(max - min) / median: the whole A/A range, relative."""
    return (max(values) - min(values)) / statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bisect.noise", description=__doc__)
    parser.add_argument("--bengal", required=True, help="a Bengal version (0.5.1)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", default="pr", choices=sorted(profiles.PROFILES))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.runs < 3:
        parser.error("--runs must be at least 3")
    kind, pages = profiles.PROFILES[args.profile].instruction_site
    site = site_id(kind, pages)
    python = install.ensure_bengal_env(args.bengal)
    work = scenario_gen.cache_root() / "noise" / args.bengal
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for n in range(args.runs):
        try:
            results.append(build_once(python, kind, pages, work, n))
        except BuildError as exc:
            raise SystemExit(f"tools.bisect.noise: error: {exc}") from None
        r = results[-1]
        print(f"run {n + 1}/{args.runs}: {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU, "
              f"{r['peak_rss_mb']:.1f} MB", file=sys.stderr)  # fmt: skip
    thresholds = rd.load_thresholds(ROOT / "asv.conf.json")
    figures = {}
    for number, key in NUMBERS.items():
        values = [float(r[number]) for r in results]
        threshold = rd.threshold_of(thresholds, f"{key}('{site}')")
        figures[number] = {
            "median": statistics.median(values),
            "spread": spread(values),
            "threshold": threshold,
            "one_run_decides": spread(values) < DECIDES * threshold,
        }
        f = figures[number]
        verdict = "one run per probe decides" if f["one_run_decides"] else "needs repeated samples"
        print(f"{number}: median {f['median']:.3f}, A/A spread {f['spread']:.2%} over "
              f"{args.runs} runs, threshold {threshold:.0%}: {verdict}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"bengal": args.bengal, "site": site, **figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
