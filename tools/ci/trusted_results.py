"""Keep of a benchmark job's artifact only what the trusted selection asked for.

Why: the jobs that upload results run Bengal's code and its dependencies, which can write
anything into the artifact. The store job takes a result file only when its commit is one the
trusted ``select`` job planned for that machine (``tools.ci.plan``), its machine is the planned
one, and its benchmark names are the suite's (read out of ``benchmarks/`` without importing it,
``tools.ci.comment_body.allowed_benchmarks``); ``status.json`` entries likewise. Anything else is
refused with one line for the run summary, and the rest is stored.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

Allowed = dict[str, set[str]]  # machine -> the commits planned on it
_TYPES = ("track", "time", "timeraw", "memory", "peakmemory")  # asv's benchmark types
_SHORT = re.compile(r"[\w %/.:()\[\]'\",=+-]{0,200}")  # a unit, a key, a param value


def allowed_from_plan(tasks: list[dict[str, object]]) -> Allowed:
    allowed: Allowed = {}
    for task in tasks:
        allowed.setdefault(str(task["machine"]), set()).add(str(task["commit"]))
    return allowed


def machine_files(tasks: list[dict[str, object]], preset: str = "gha") -> dict[str, dict]:
    """The ``machine.json`` of every planned machine that the declaration names (the CI series:
    ``scope.machine``, ``scope.environment``), written by the store itself: a bench job's
    copy is not taken for those. Others (a plan made by hand, with its own machine names) keep
    the checked copy of their artifacts."""
    from scope import machine

    out: dict[str, dict] = {}
    for task in tasks:
        name = str(task["machine"])
        try:
            ident = machine.identity(preset, profile=str(task["profile"]), tier=str(task["tier"]))
        except (KeyError, machine.MachineError):
            continue
        if ident["machine"] == name:
            out[name] = {**ident, "version": 1}
    return out


def _source(suite: Path, name: str) -> str:
    """The class of benchmark ``name`` (``module.Class.method``) as this repository has it."""
    module, _, rest = name.partition(".")
    cls = rest.split(".")[0]
    try:
        text = (suite / f"{module}.py").read_text()
        tree = ast.parse(text)
    except (OSError, SyntaxError):
        return ""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            return ast.get_source_segment(text, node) or ""
    return ""


def describe(name: str, entry: object, suite_dir: Path) -> dict | None:
    """A benchmark's description for ``benchmarks.json`` from an artifact, reduced to fields
    of known types (None: not one asv wrote); its code is this repository's, not the
    artifact's."""
    if not isinstance(entry, dict) or entry.get("name") != name:
        return None
    params, param_names = entry.get("params", []), entry.get("param_names", [])
    ok = (
        entry.get("type") in _TYPES
        and isinstance(params, list)
        and all(isinstance(p, list) and all(_SHORT.fullmatch(str(v)) for v in p) for p in params)
        and isinstance(param_names, list)
        and all(isinstance(n, str) and n.isidentifier() for n in param_names)
        and all(_SHORT.fullmatch(str(entry.get(k, ""))) for k in ("unit", "version"))
    )
    if not ok:
        return None
    kept = {k: entry[k] for k in ("name", "type", "unit", "version", "params", "param_names")
            if k in entry}  # fmt: skip
    for key in ("timeout", "setup_cache_timeout", "number", "repeat", "rounds", "min_run_count",
                "sample_time", "warmup_time"):  # fmt: skip
        if isinstance(entry.get(key), int | float):
            kept[key] = entry[key]
    if isinstance(entry.get("setup_cache_key"), str) and _SHORT.fullmatch(entry["setup_cache_key"]):
        kept["setup_cache_key"] = entry["setup_cache_key"]
    kept["code"] = _source(suite_dir, name)
    return kept


def _load(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def _known(name: object, suite: set[str]) -> bool:
    return isinstance(name, str) and name in suite


def filter_run(
    run: Path,
    out: Path,
    allowed: Allowed,
    suite: set[str],
    machines: dict[str, dict] | None = None,
    suite_dir: Path | None = None,
) -> list[str]:
    """Copy the trusted part of ``run`` (``results/``, ``status.json``) to ``out``; returns one
    line per refusal. ``out`` gets no ``results/`` when nothing in it is kept. With
    ``machines`` (``machine_files``), each ``machine.json`` is the store's own; with
    ``suite_dir``, each benchmark's description is checked and its code taken from there."""
    lines: list[str] = []
    src = run / "results"
    kept = 0
    if (src / "benchmarks.json").exists():
        benchmarks = _load(src / "benchmarks.json") or {}
        unknown = sorted(k for k in benchmarks if not _known(k, suite) and k != "version")
        if unknown:
            lines.append(
                f"{run.name}: benchmarks.json: refused unknown benchmark(s) {', '.join(unknown)}"
            )
        for mdir in sorted(p for p in src.iterdir() if p.is_dir()):
            files = [p for p in sorted(mdir.glob("*.json")) if p.name != "machine.json"]
            if mdir.name not in allowed:
                refused = f"refused {len(files)} file(s)"
                lines.append(f"{run.name}: machine {mdir.name} is not a planned one: {refused}")
                continue
            machine_json = _load(mdir / "machine.json")
            if machine_json is None or machine_json.get("machine") != mdir.name:
                lines.append(
                    f"{run.name}: {mdir.name}/machine.json does not name {mdir.name}: refused"
                )
                continue
            taken = []
            for path in files:
                result = _load(path)
                where = f"{run.name}: {mdir.name}/{path.name}"
                if result is None:
                    lines.append(f"{where}: not readable JSON: refused")
                    continue
                commit = result.get("commit_hash")
                if commit not in allowed[mdir.name]:
                    lines.append(f"{where}: commit {str(commit)[:12]} was not selected: refused")
                    continue
                if (result.get("params") or {}).get("machine") != mdir.name:
                    lines.append(f"{where}: recorded for another machine: refused")
                    continue
                names = [*(result.get("results") or {}), *(result.get("durations") or {})]
                bad = sorted(
                    {n for n in names if not _known(n, suite) and not str(n).startswith("<")}
                )
                if bad:
                    lines.append(f"{where}: unknown benchmark(s) {', '.join(bad)}: refused")
                    continue
                taken.append((path.name, result))
            if taken:
                for name, result in taken:
                    _write(out / "results" / mdir.name / name, result)
                own = (machines or {}).get(mdir.name, machine_json)
                _write(out / "results" / mdir.name / "machine.json", own)
                kept += len(taken)
        if kept:
            known = {k: v for k, v in benchmarks.items() if _known(k, suite) or k == "version"}
            if suite_dir is not None:
                described = {
                    k: describe(k, v, suite_dir) for k, v in known.items() if k != "version"
                }
                odd = sorted(k for k, v in described.items() if v is None)
                if odd:
                    lines.append(
                        f"{run.name}: benchmarks.json: refused the description of {', '.join(odd)}"
                    )
                known = {
                    "version": benchmarks.get("version", 2),
                    **{k: v for k, v in described.items() if v},
                }
            _write(out / "results" / "benchmarks.json", known)
    status = _load(run / "status.json") if (run / "status.json").exists() else None
    if status is not None:
        machine = status.get("machine")
        if machine not in allowed:
            lines.append(
                f"{run.name}: status.json of machine {machine!r}, not a planned one: refused"
            )
        else:
            entries = [e for e in status.get("commits", []) if isinstance(e, dict)]
            good = [e for e in entries if e.get("commit") in allowed[machine]]
            for e in entries:
                if e not in good:
                    commit = str(e.get("commit"))[:12]
                    lines.append(
                        f"{run.name}: status.json: commit {commit} was not selected: refused"
                    )
            _write(out / "status.json", {**status, "commits": good})
    elif (run / "status.json").exists():
        lines.append(f"{run.name}: status.json is not readable JSON: refused")
    return lines
