"""Drive the Bengal of this interpreter from another one (tests, tools).

    PYTHONPATH=<repo> <env python> -m driver probe --json
    PYTHONPATH=<repo> <env python> -m driver build ROOT --mode full --via cli [--workers N]
        [--check-incremental] --json

``build --json`` prints the BuildResult (``log`` included) plus ``ok``/``error``; a failed
validation exits 1 and still prints JSON. ``--check-incremental`` adds ``incremental_diff``
(the site is left fully built afterwards), comparing with a clean build made the same way (`--via`).

Runs with ``PYTHONHASHSEED=0`` (re-executing itself if needed), like the CLI builds it starts
(``compat.BUILD_ENV``): outputs of some Bengal eras embed ``hash()`` values, so builds made by
different processes are only comparable with one seed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

import driver
from driver import compat


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m driver", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("probe", help="what the installed Bengal supports")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("build", help="run, verify (and optionally diff) one build")
    p.add_argument("root")
    p.add_argument("--mode", choices=compat.MODES, default="default")
    p.add_argument("--via", choices=driver.VIAS, default="api")
    p.add_argument("--workers", type=int)
    p.add_argument("--timeout", type=float, help="seconds; a CLI build is killed after it")
    p.add_argument("--check-incremental", action="store_true")
    p.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    if args.cmd == "probe":
        try:
            caps = driver.probe()
        except (compat.BengalMissing, compat.CliBroken) as exc:
            print(f"driver: error: {exc}", file=sys.stderr)
            return 1
        print(json.dumps(caps, indent=2) if args.json else caps)
        return 0

    out: dict = {"ok": False, "error": None}
    try:
        result = driver.build(
            args.root, mode=args.mode, via=args.via, workers=args.workers, timeout=args.timeout
        )
        out.update(result.as_dict(), ok=True)
        if args.check_incremental:
            out["incremental_diff"] = driver.incremental_diff(args.root, via=args.via)
    except (driver.BuildFailed, compat.BengalMissing) as exc:
        out["error"] = str(exc)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        summary = {k: v for k, v in out.items() if k != "log"}
        print(json.dumps(summary, indent=2))
        if out["error"]:
            print(f"driver: error: {out['error']}", file=sys.stderr)
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    seed = compat.BUILD_ENV["PYTHONHASHSEED"]
    if os.environ.get("PYTHONHASHSEED") != seed:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        os.execve(sys.executable, [sys.executable, "-m", "driver", *sys.argv[1:]], env)
    sys.exit(main())
