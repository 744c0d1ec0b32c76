"""``python -m tools.thresholds write|check``: asv.conf.json's thresholds from the benchmarks.

write: regenerate ``regressions_first_commits`` and ``regressions_thresholds``.
check: exit 1 (one line per benchmark) when asv.conf.json and the declarations disagree.
Bad input (a benchmark that declares nothing, a config without the generated part): exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tools.thresholds import CONF, ThresholdError, differences, write


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.thresholds", description=__doc__)
    parser.add_argument("command", choices=("write", "check"))
    args = parser.parse_args(argv)
    try:
        if args.command == "write":
            write()
            print(f"wrote the thresholds of {CONF.name}")
            return 0
        lines = differences()
    except ThresholdError as exc:
        print(f"tools.thresholds: error: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    if not lines:
        print(f"{CONF.name} agrees with the benchmarks' declarations")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
