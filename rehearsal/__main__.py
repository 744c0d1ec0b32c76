"""``python -m rehearsal``: rehearse the workflows end to end, print each one's time and checks.

    python -m rehearsal                          # all six, in the order a first week meets them
    python -m rehearsal nightly bisect --work rehearsal-work

Exit 0 when every check passed, 1 when one failed (each failure is one line), 2 when the
rehearsal itself could not run (act missing, a bad name).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rehearsal import act, checks, scenarios, world

ORDER = ("ci", "compare", "comment", "nightly", "backfill", "bisect")
EXTRA = ("forged",)  # a fault on purpose: only when named


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rehearsal", description=__doc__)
    parser.add_argument("workflows", nargs="*", choices=[[], *ORDER, *EXTRA], default=[])
    parser.add_argument("--work", type=Path, default=Path("rehearsal-work"))
    args = parser.parse_args(argv)
    chosen = [w for w in (*ORDER, *EXTRA) if w in (args.workflows or ORDER)]
    started = time.monotonic()
    try:
        print(f"rehearsal: building the world in {args.work}", flush=True)
        r = scenarios.Rehearsal.start(world.create(args.work.resolve()))
        failures: list[str] = []
        timings: list[tuple[str, float]] = []
        for name in chosen:
            print(f"rehearsal: {name} ...", flush=True)
            began = time.monotonic()
            found = checks.REHEARSE[name](r)
            timings.append((name, time.monotonic() - began))
            for line in found:
                print(f"rehearsal: {name}: FAILED: {line}", flush=True)
            failures += [f"{name}: {line}" for line in found]
            print(f"rehearsal: {name}: {'ok' if not found else 'failed'} in {timings[-1][1]:.0f} s")
    except (act.ActError, world.WorldError) as exc:
        print(f"rehearsal: error: {exc}", file=sys.stderr)
        return 2
    print("\n| workflow | time | result |\n|---|---|---|")
    for name, seconds in timings:
        bad = any(f.startswith(f"{name}: ") for f in failures)
        print(f"| {name} | {seconds / 60:.1f} min | {'failed' if bad else 'ok'} |")
    print(f"\nrehearsal: {len(failures)} failure(s) in {(time.monotonic() - started) / 60:.1f} min")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
