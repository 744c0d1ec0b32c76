"""Merge asv results trees (backfill shards, nightly runs, the results branch) into one that asv
publishes.

Why: each runner writes its own ``results/`` (``benchmarks.json``, and per machine ``machine.json``
plus ``<hash8>-<env>.json`` per commit); ``asv publish`` reads one tree. Trees are applied in
order, later ones winning: for a commit present in several trees the benchmark entries are united
(a later tree's entry replaces an earlier one), so a re-run of some benchmarks never drops the
others. Within one benchmark of the same parameters and version the merge goes per parameter
combination: a bisect probe that measured only the full build (the others n/a) keeps the no-op
and one-page values stored before it. At each combination the more informative entry wins
(measured > failed > n/a), the later one on a tie.

Profiles never mix: every machine directory must record its benchmark profile (``profile`` in
``machine.json`` and in each result's ``params``, written by ``scope.machine``), and results are
only merged into a machine directory of the same profile. Two result files of one commit are only
united when their ``result_columns`` agree (the columns give each row's meaning). A refused merge
writes nothing. Environments never mix either: a machine directory whose ``machine.json``
records another environment (``scope.environment.FIELDS``: image, Python patch, valgrind,
measurement revision) is refused, and the CPU model of each benchmark
(``scope.environment.CPU_KEY``) is united like the results. Results of 3.14 and 3.14t are
separate files (``<hash8>-<env_name>.json``) and are never united (their ``env_name`` differs).

``benchmarks.json`` describes each benchmark once for the whole tree, with the parameter values of
the last run; profiles run different sizes (``nested-8`` vs ``nested-1000``), and ``asv publish``
shows only results whose parameters it lists. The merged file lists the union of every tree's
values per parameter, so each profile's series keeps its points.

    python -m tools.ci.merge_results OUT IN [IN ...]     # OUT may already hold results
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from scope.environment import CPU_KEY, FIELDS  # stdlib-only

PROFILE_FIELD = "profile"  # scope.machine.PROFILE_FIELD (kept stdlib-only: no import)
# asv's result_columns whose value is a list over the cartesian product of the params.
PER_COMBINATION = ("result", "samples")


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


def _name(profile: object) -> str:
    return str(profile) if profile else "(none recorded)"


def merge_result_file(old: dict, new: dict, where: str = "") -> dict:
    """One commit × env: union of benchmark entries; one in both merged per combination."""
    where = where or str(new.get("commit_hash"))
    for key in ("commit_hash", "env_name"):
        if old.get(key) != new.get(key):
            raise MergeError(f"{where}: refusing to merge results of different {key}s")
    old_profile = (old.get("params") or {}).get(PROFILE_FIELD)
    new_profile = (new.get("params") or {}).get(PROFILE_FIELD)
    if old_profile != new_profile:
        raise MergeError(
            f"{where}: refusing to merge results of profile {_name(new_profile)} into results of "
            f"profile {_name(old_profile)}"
        )
    old_cols, new_cols = old.get("result_columns") or [], new.get("result_columns") or []
    if old_cols != new_cols:
        differ = sorted(set(old_cols) ^ set(new_cols)) or ["their order"]
        raise MergeError(
            f"{where}: refusing to merge results whose result_columns differ ({', '.join(differ)})"
        )
    merged = dict(old)
    merged.update({k: v for k, v in new.items() if k not in ("results", "durations", CPU_KEY)})
    merged["durations"] = {**old.get("durations", {}), **new.get("durations", {})}
    if CPU_KEY in old or CPU_KEY in new:  # benchmark -> the CPU model that measured it
        merged[CPU_KEY] = {**(old.get(CPU_KEY) or {}), **(new.get(CPU_KEY) or {})}
    results = {**old.get("results", {}), **new.get("results", {})}
    for name in old.get("results", {}).keys() & new.get("results", {}).keys():
        results[name] = merge_row(old["results"][name], new["results"][name], new_cols)
    merged["results"] = results
    return merged


def _rank(value: object) -> int:
    """How much a combination's result says: 2 measured, 1 failed (None), 0 n/a (NaN)."""
    if value is None:
        return 1
    return 0 if isinstance(value, float) and math.isnan(value) else 2


def merge_row(old: list, new: list, columns: list[str]) -> list:
    """One benchmark's row (asv's ``result_columns``) of two runs of the same commit, merged per
    parameter combination; ``new`` whole when the params or the benchmark's version differ."""
    o, n = (dict(zip(columns, row, strict=False)) for row in (old, new))
    if o.get("params") != n.get("params") or o.get("version") != n.get("version"):
        return new
    count = math.prod(len(p) for p in n.get("params") or [])  # 1 without params
    if not all(isinstance(r, list | None) for r in (o.get("result"), n.get("result"))):
        return new

    def combos(row: dict, col: str) -> list:
        value = row.get(col)
        return value if isinstance(value, list) and len(value) == count else [None] * count

    old_res, new_res = combos(o, "result"), combos(n, "result")
    take_old = [_rank(a) > _rank(b) for a, b in zip(old_res, new_res, strict=True)]
    out: dict[str, object] = {}
    for col in columns:
        if col in PER_COMBINATION or col.startswith("stats_"):
            was, now = combos(o, col), combos(n, col)
            values = [a if keep else b for a, b, keep in zip(was, now, take_old, strict=True)]
            out[col] = None if all(v is None for v in values) else values
        else:  # params, version (equal), started_at, duration, profile: the later run's
            out[col] = n[col] if n.get(col) is not None else o.get(col)
    row = [out[c] for c in columns]
    while row and row[-1] is None:  # asv drops trailing empty columns
        row.pop()
    return row


def union_benchmarks(old: dict, new: dict) -> dict:
    """``benchmarks.json`` of both trees: ``new`` wins per benchmark, parameter values united."""
    merged = {**old, **new}
    for name, entry in new.items():
        before = old.get(name)
        if not (isinstance(entry, dict) and isinstance(before, dict)):
            continue
        params, old_params = entry.get("params") or [], before.get("params") or []
        if len(params) != len(old_params) or entry.get("param_names") != before.get("param_names"):
            continue  # the benchmark's signature changed: its new description stands
        united = [
            list(dict.fromkeys([*was, *now])) for was, now in zip(old_params, params, strict=True)
        ]
        merged[name] = {**entry, "params": united}
    return merged


class Tree:
    """The files of a results tree as they will be written: validated in memory first."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.files: dict[Path, dict] = {}

    def get(self, path: Path) -> dict | None:
        if path not in self.files and path.exists():
            self.files[path] = _load(path)
        return self.files.get(path)

    def merge(self, src: Path) -> int:
        """Merge one results tree; returns the number of result files taken."""
        if not (src / "benchmarks.json").exists():
            raise MergeError(f"{src} is not an asv results tree (no benchmarks.json)")
        bench = self.out / "benchmarks.json"
        self.files[bench] = union_benchmarks(self.get(bench) or {}, _load(src / "benchmarks.json"))
        taken = 0
        for mdir in sorted(p for p in src.iterdir() if p.is_dir()):
            if (mdir / "machine.json").exists():
                taken += self._merge_machine(mdir)
        return taken

    def _merge_machine(self, mdir: Path) -> int:
        odir = self.out / mdir.name
        machine = _load(mdir / "machine.json")
        profile = machine.get(PROFILE_FIELD)
        if not profile:
            raise MergeError(
                f"{mdir}/machine.json records no benchmark profile; refusing to merge results "
                "that could mix profiles (run them with tools.asv_local)"
            )
        existing = self.get(odir / "machine.json")
        if existing is not None and existing.get(PROFILE_FIELD) != profile:
            raise MergeError(
                f"refusing to merge results of profile {profile} into machine {mdir.name} "
                f"of profile {_name(existing.get(PROFILE_FIELD))}"
            )
        for field in FIELDS:
            if existing is not None and existing.get(field) != machine.get(field):
                raise MergeError(
                    f"refusing to merge results of {field} {machine.get(field)} into machine "
                    f"{mdir.name} of {field} {existing.get(field)} (another environment)"
                )
        self.files[odir / "machine.json"] = machine
        taken = 0
        for path in sorted(mdir.glob("*.json")):
            if path.name == "machine.json":
                continue
            new = _load(path)
            got = (new.get("params") or {}).get(PROFILE_FIELD)
            if got != profile:
                raise MergeError(
                    f"{path}: refusing to merge results of profile {_name(got)} into machine "
                    f"{mdir.name} of profile {profile}"
                )
            target = odir / path.name
            old = self.get(target)
            self.files[target] = new if old is None else merge_result_file(old, new, str(path))
            taken += 1
        return taken

    def write(self) -> None:
        for path, data in self.files.items():
            _write(path, data)


def merge_trees(out: Path, inputs: list[Path], dry_run: bool = False) -> list[int]:
    """Merge ``inputs`` into ``out`` in order; all or nothing (``dry_run``: nothing, only the
    check). Returns files taken per input."""
    tree = Tree(out)
    counts = []
    for src in inputs:
        if src.resolve() == out.resolve():
            raise MergeError(f"{src} is the output tree")
        counts.append(tree.merge(src))
    if not dry_run:
        tree.write()
    return counts


def merge_tree(src: Path, out: Path) -> int:
    """Merge one results tree into ``out``; returns the number of result files taken."""
    return merge_trees(out, [src])[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.merge_results", description=__doc__)
    parser.add_argument("out", type=Path, help="results tree to create or update")
    parser.add_argument("inputs", type=Path, nargs="+", help="results trees, applied in order")
    args = parser.parse_args(argv)
    try:
        counts = merge_trees(args.out, args.inputs)
    except MergeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for src, n in zip(args.inputs, counts, strict=True):
        print(f"merged {n} result file(s) from {src}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
