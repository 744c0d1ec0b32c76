"""Keep of a benchmark job's artifact only what the trusted selection asked for.

Why: the jobs that upload results run Bengal's code and its dependencies, which can write
anything into the artifact. The store job takes a result file only when its commit is one the
trusted ``select`` job planned for that machine (``tools.ci.plan``), its machine is the planned
one, and its benchmark names are the suite's (read out of ``benchmarks/`` without importing it,
``tools.ci.comment_body.allowed_benchmarks``); ``status.json`` entries likewise. Anything else is
refused with one line for the run summary, and the rest is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

Allowed = dict[str, set[str]]  # machine -> the commits planned on it


def allowed_from_plan(tasks: list[dict[str, object]]) -> Allowed:
    allowed: Allowed = {}
    for task in tasks:
        allowed.setdefault(str(task["machine"]), set()).add(str(task["commit"]))
    return allowed


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


def filter_run(run: Path, out: Path, allowed: Allowed, suite: set[str]) -> list[str]:
    """Copy the trusted part of ``run`` (``results/``, ``status.json``) to ``out``; returns one
    line per refusal. ``out`` gets no ``results/`` when nothing in it is kept."""
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
                _write(out / "results" / mdir.name / "machine.json", machine_json)
                kept += len(taken)
        if kept:
            known = {k: v for k, v in benchmarks.items() if _known(k, suite) or k == "version"}
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
