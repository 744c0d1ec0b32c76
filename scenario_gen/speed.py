"""Speed of scenario_gen against its targets (run by hand; not a unit test).

    .venv/bin/python -m scenario_gen.speed [--big 50000] [--skip-big]

Measures: 10K `nested` generation (target <= 2 s), 50K (<= 10 s) with the peak RSS of the
generating process (memory must not grow with the page count), and a pristine working copy of
the cached 10K site against `cp -r` of the same tree (<= 1.5x). Each generation runs in a fresh
child process so its `ru_maxrss` is its own.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"gen_10k_s": 2.0, "gen_50k_s": 10.0, "copy_vs_cp": 1.5}


def _generate(pages: int, dest: Path) -> tuple[float, float]:
    """(seconds inside the child, child's peak RSS in MB) for one `nested` generation."""
    code = (
        "import sys, time, resource\n"
        "from scenario_gen import Scenario, generate\n"
        "t = time.perf_counter()\n"
        f"generate(Scenario('nested', {pages}, 0), {str(dest)!r}, load=False)\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), int(out[1]) / 1024


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--big", type=int, default=50_000)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    sys.path.insert(0, str(REPO))
    import scope
    from scenario_gen import Scenario, cached_scenario, working_copy

    ok = True
    with tempfile.TemporaryDirectory(prefix="sg-speed-") as tmp_s:
        tmp = Path(tmp_s)
        os.environ[scope.CACHE_ENV] = str(tmp / "cache")
        sizes = [1_000, 10_000] + ([] if a.skip_big else [a.big])
        for pages in sizes:
            runs = [_generate(pages, tmp / f"gen-{pages}-{i}") for i in range(a.repeat)]
            for i in range(a.repeat):
                shutil.rmtree(tmp / f"gen-{pages}-{i}")
            secs = min(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            target = {10_000: TARGETS["gen_10k_s"], a.big: TARGETS["gen_50k_s"]}.get(pages)
            verdict = "" if target is None else (" OK" if secs <= target else " SLOW")
            ok &= target is None or secs <= target
            print(
                f"generate nested {pages:>6}: {secs:6.2f} s  peak RSS {rss:6.1f} MB"
                + (f"  (target <= {target} s){verdict}" if target else "")
            )

        spec = Scenario("nested", 10_000, 0)
        src = cached_scenario(spec)
        wc, cp = tmp / "wc", tmp / "cp"

        def copy() -> None:
            working_copy(spec, wc)

        def cp_r() -> None:
            shutil.rmtree(cp, ignore_errors=True)
            subprocess.run(["cp", "-r", str(src), str(cp)], check=True)

        copy()
        cp_r()  # warm the page cache for both
        t_copy = _best(copy, a.repeat)
        t_cp = _best(cp_r, a.repeat)
        ratio = t_copy / t_cp
        ok &= ratio <= TARGETS["copy_vs_cp"]
        print(
            f"working_copy 10K: {t_copy:.3f} s   cp -r: {t_cp:.3f} s   ratio {ratio:.2f}"
            f" (target <= {TARGETS['copy_vs_cp']})" + (" OK" if ratio <= 1.5 else " SLOW")
        )
        self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"(this process peak RSS {self_rss:.1f} MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
