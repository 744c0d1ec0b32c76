"""Merge asv results trees (backfill shards, the results branch) into one that asv publishes.

Why: each backfill runner writes its own ``results/`` (``benchmarks.json``, and per machine
``machine.json`` plus ``<hash8>-<env>.json`` per commit); ``asv publish`` reads one tree. Trees are
applied in order, later ones winning: for a commit present in several trees the benchmark entries
are united (a later tree's entry replaces an earlier one), so a re-run of some benchmarks never
drops the others.

    python -m tools.ci.merge_results OUT IN [IN ...]     # OUT may already hold results
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path


class MergeError(Exception):
    """A user-facing failure: one line, exit status 2."""


def _load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise MergeError(f"{path}: not readable JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise MergeError(f"{path}: expected a JSON object")
    return data


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def merge_result_file(old: dict, new: dict) -> dict:
    """One commit × env: union of benchmark entries, ``new`` wins per benchmark."""
    for key in ("commit_hash", "env_name"):
        if old.get(key) != new.get(key):
            raise MergeError(f"refusing to merge results of different {key}s")
    if old.get("result_columns") != new.get("result_columns"):
        raise MergeError(f"results of {new.get('commit_hash')} use different asv result formats")
    merged = dict(old)
    merged.update({k: v for k, v in new.items() if k not in ("results", "durations")})
    for key in ("results", "durations"):
        merged[key] = {**old.get(key, {}), **new.get(key, {})}
    return merged


def merge_tree(src: Path, out: Path) -> int:
    """Merge one results tree into ``out``; returns the number of result files taken."""
    if not (src / "benchmarks.json").exists():
        raise MergeError(f"{src} is not an asv results tree (no benchmarks.json)")
    bench_out = out / "benchmarks.json"
    benchmarks = _load(bench_out) if bench_out.exists() else {}
    benchmarks.update(_load(src / "benchmarks.json"))
    _write(bench_out, benchmarks)
    taken = 0
    for mdir in sorted(p for p in src.iterdir() if p.is_dir()):
        if not (mdir / "machine.json").exists():
            continue
        odir = out / mdir.name
        odir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(mdir / "machine.json", odir / "machine.json")
        for path in sorted(mdir.glob("*.json")):
            if path.name == "machine.json":
                continue
            target = odir / path.name
            new = _load(path)  # validates it even when it is copied as is
            if target.exists():
                _write(target, merge_result_file(_load(target), new))
            else:
                shutil.copy2(path, target)
            taken += 1
    return taken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.merge_results", description=__doc__)
    parser.add_argument("out", type=Path, help="results tree to create or update")
    parser.add_argument("inputs", type=Path, nargs="+", help="results trees, applied in order")
    args = parser.parse_args(argv)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for src in args.inputs:
            if src.resolve() == args.out.resolve():
                raise MergeError(f"{src} is the output tree")
            n = merge_tree(src, args.out)
            print(f"merged {n} result file(s) from {src}", file=sys.stderr)
    except MergeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
