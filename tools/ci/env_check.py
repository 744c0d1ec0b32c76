"""Check a bench runner against the declared CI environment (``scope.environment``), in one
line, before anything is built.

Why here and not in ``scope``: the check is the workflows' step, and whether a part needs
valgrind is the catalogue's knowledge (``catalogue.tiers``). Stdlib-only: it runs before anything
is installed.

    python -m tools.ci.env_check show                 # KEY=value lines (e.g. for $GITHUB_ENV)
    python -m tools.ci.env_check check [--pythons "3.14 3.14t"] [--no-valgrind] [--tier T --part P]
"""

from __future__ import annotations

import argparse
import re
import sys

import scope
from catalogue import tiers
from scope import environment


def counts_instructions(tier: str, part: str) -> bool:
    """Whether a part runs valgrind (its benchmarks count instructions); True when no part is
    named."""
    if not (tier and part):
        return True
    return tiers.tier(tier).part(part).counts_instructions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.ci.env_check", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("show", help="the declaration as KEY=value lines")
    p = sub.add_parser("check", help="exit 1 with one line when this runner differs")
    p.add_argument("--pythons", default="3.14", help="asv's pythons, e.g. '3.14 3.14t'")
    p.add_argument("--no-valgrind", action="store_true", help="a job that counts nothing")
    p.add_argument("--tier", default="", help="with --part: valgrind only if the part counts")
    p.add_argument("--part", default="", help="a part of --tier (catalogue.tiers)")
    args = parser.parse_args(argv)
    try:
        decl = environment.declared()
    except environment.DeclarationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "show":
        print(f"IMAGE={decl.image}\nIMAGE_OS={decl.image_os}\nPYTHON={decl.python}")
        print(f"PYTHON_FT={decl.python_ft}\nVALGRIND={decl.valgrind}")
        print(f"MEASUREMENT_REVISION={decl.revision}\nSERIES_KEY={decl.key}")
        return 0
    pythons = [p for p in re.split(r"[\s,]+", args.pythons.strip()) if p]
    try:
        counts = counts_instructions(args.tier, args.part)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    found = environment.differences(decl, pythons, valgrind=counts and not args.no_valgrind)
    if found:
        print(
            "error: this runner is not the declared environment (scope/environment.py"
            + (f", {environment.OVERRIDE_ENV}" if scope.env_override() else "")
            + "): "
            + "; ".join(found),
            file=sys.stderr,
        )
        return 1
    print(f"environment {decl.key} on CPU {environment.cpu_model()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
