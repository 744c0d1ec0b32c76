"""CLI: `python -m scenario_gen generate|cache|copy|mutate|hash|real ...`.

See docs/architecture.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import scope

from . import GENERATOR_VERSION, KINDS, Mutator, Scenario, ScenarioError, real
from .cache import cached_scenario, working_copy
from .generate import generate, load_manifest, tree_hash

MUTATIONS = ("edit_page", "edit_pages", "edit_asset", "change_config", "add_page", "delete_page")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        print(f"scenario_gen: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _spec_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", required=True, help=f"one of {', '.join(KINDS)}")
    p.add_argument("--pages", type=int, required=True, help="number of content pages (>= 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--depth", type=int, default=None, help="nested/api_docs section depth")
    p.add_argument("--breadth", type=int, default=None, help="sections per level")


def _spec(a: argparse.Namespace) -> Scenario:
    return Scenario(a.kind, a.pages, a.seed, a.depth, a.breadth).resolved()


def main(argv: list[str] | None = None) -> int:
    ap = _Parser(prog="python -m scenario_gen", description=__doc__)
    ap.add_argument("--version", action="version", version=f"scenario_gen {GENERATOR_VERSION}")
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    g = sub.add_parser("generate", help="write a scenario at DEST")
    _spec_args(g)
    g.add_argument("dest", type=Path)
    c = sub.add_parser("cache", help="make sure the scenario is in the cache; print its path")
    _spec_args(c)
    w = sub.add_parser("copy", help="pristine working copy of a cached scenario at DEST")
    _spec_args(w)
    w.add_argument("dest", type=Path)
    m = sub.add_parser("mutate", help="apply a mutation to a working copy; print the Change")
    m.add_argument("root", type=Path)
    m.add_argument("mutation", choices=MUTATIONS)
    m.add_argument("-n", type=int, default=10, help="pages for edit_pages")
    m.add_argument("--salt", default=None, help="reproducible edits (default: random nonce)")
    h = sub.add_parser("hash", help="recompute the tree hash of ROOT and compare it")
    h.add_argument("root", type=Path)
    r = sub.add_parser("real", help="copy Bengal's own docs site at a tag to DEST; print its root")
    r.add_argument("dest", type=Path)
    r.add_argument(
        "--repo", type=Path, default=None, help=f"a Bengal git repository (${scope.REPO_ENV})"
    )
    r.add_argument("--tag", default=real.REAL_TAG)
    a = ap.parse_args(argv)
    try:
        start = time.monotonic()
        if a.cmd == "generate":
            generate(_spec(a), a.dest, load=False)
            _done(f"generated {a.dest}", start)
        elif a.cmd == "cache":
            print(cached_scenario(_spec(a)))
        elif a.cmd == "copy":
            print(working_copy(_spec(a), a.dest))
        elif a.cmd == "mutate":
            mut = Mutator(a.root, salt=a.salt)
            change = (
                mut.edit_pages(a.n) if a.mutation == "edit_pages" else getattr(mut, a.mutation)()
            )
            print(json.dumps(dataclasses.asdict(change), indent=1))
        elif a.cmd == "real":
            print(real.working_copy(a.dest, a.repo, a.tag))
        elif a.cmd == "hash":
            want = load_manifest(a.root)["tree_hash"]
            got = tree_hash(a.root)
            print(got)
            return 0 if got == want else 1
    except ScenarioError as e:
        print(f"scenario_gen: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        print(f"scenario_gen: error: {e.strerror or e}{where}", file=sys.stderr)
        return 2
    return 0


def _done(msg: str, start: float) -> None:
    print(f"[scenario_gen] {msg} in {time.monotonic() - start:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
