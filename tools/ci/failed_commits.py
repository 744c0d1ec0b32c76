"""The record of Bengal commits that failed or timed out, kept on the results branch.

Why: a commit that never yields results (it hangs until the time limit kills asv) would
otherwise be "new" again every night, picked again by the nightly selection and cost the night
again. But one failure is usually the runner's or PyPI's (a transient install failure, a slow
runner), not the commit's: so ``failed-commits.json`` (at the root of the results branch) lists,
per asv machine (so per tier and profile), the commits that yielded nothing, with each run they
failed in, and ``tools.ci.commits`` retries a commit that failed once and skips one that failed
in two separate runs (listing both in the run summary). An install failure (``install``) is
recorded apart from benchmark failures (``benchmarks``) and time-outs (``timeout``). A later
result with any successful benchmark (a re-run by hand or a backfill) removes the entry.

    {"gha-ubuntu-x64-exact": {"<full sha>": {"kind": "install", "reason": "...",
                                              "run": "<last run>", "runs": ["<run>", ...]}}}

Written by ``tools.ci.store_results`` from a run's ``status.json`` (``tools.ci.bench_commits``) and
its asv results.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

FILE_NAME = "failed-commits.json"
RUNS = 2  # a commit is skipped after failing in this many separate runs
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
MACHINE_RE = re.compile(r"^[A-Za-z0-9._-]+$")

Failed = dict[str, dict[str, dict[str, str]]]


class FailedError(Exception):
    """A user-facing failure: one line, exit status 2."""


def load(path: Path) -> Failed:
    """The record at ``path`` (empty when the file does not exist yet)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise FailedError(f"{path}: not readable JSON ({exc})") from exc
    if not isinstance(data, dict) or not all(
        isinstance(v, dict) and all(SHA_RE.match(c) for c in v) for v in data.values()
    ):
        raise FailedError(f"{path}: expected {{machine: {{full sha: entry}}}}")
    return data


def save(path: Path, failed: Failed) -> None:
    path.write_text(json.dumps(failed, indent=1, sort_keys=True) + "\n")


def for_machine(failed: Failed, machine: str) -> dict[str, dict[str, str]]:
    return failed.get(machine, {})


def classify(result: dict) -> str | None:
    """How one asv result file went: ``ok`` (a value), ``install`` (no benchmark ran: asv
    marks every benchmark failed without running it when the commit did not build or install),
    ``benchmarks`` (they ran, none gave a value), or None (it holds no benchmark).

    asv stores ``None`` (or a list of ``None`` per parameter combination) as the ``result`` of a
    benchmark that failed or timed out, and a ``duration`` for every benchmark it ran (none for
    those it skipped because the commit did not install).
    """
    columns = result.get("result_columns") or []
    rows = result.get("results") or {}
    if "result" not in columns or not rows:
        return None
    at = columns.index("result")

    def succeeded(row: list) -> bool:
        value = row[at] if len(row) > at else None
        values = value if isinstance(value, list) else [value]
        return any(v is not None for v in values)

    if any(succeeded(row) for row in rows.values()):
        return "ok"
    if "duration" not in columns:
        return "benchmarks"
    took = columns.index("duration")
    ran = any(len(row) > took and row[took] is not None for row in rows.values())
    return "benchmarks" if ran else "install"


def runs_of(entry: dict) -> list[str]:
    """The distinct runs an entry failed in (entries from before the two-run rule: one)."""
    runs = entry.get("runs")
    return list(runs) if isinstance(runs, list) else [entry.get("run", "?")]


def skipped(entries: dict[str, dict]) -> dict[str, dict]:
    """Of one machine's entries, the commits that failed in two separate runs: not selected."""
    return {c: e for c, e in entries.items() if len(runs_of(e)) >= RUNS}


def retried(entries: dict[str, dict]) -> dict[str, dict]:
    """Of one machine's entries, the commits that failed once: selected again."""
    return {c: e for c, e in entries.items() if len(runs_of(e)) < RUNS}


REASONS = {
    "install": "the commit did not install (no benchmark ran)",
    "benchmarks": "every benchmark failed",
}


def _seconds(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else "?"


def _record(failed: Failed, machine: str, commit: str, kind: str, reason: str, run: str) -> str:
    entry = failed.setdefault(machine, {}).get(commit, {})
    runs = runs_of(entry) if entry else []
    if run not in runs:
        runs.append(run)
    failed[machine][commit] = {"kind": kind, "reason": reason, "run": run, "runs": runs}
    after = "skipped from now on" if len(runs) >= RUNS else "retried next time"
    return f"{machine} {commit[:8]}: failed ({kind}: {reason}), run {len(runs)} of {RUNS}; {after}"


def update(failed: Failed, status: dict, results: Path | None, run: str) -> list[str]:
    """``update_runs`` for one run directory's status and results."""
    return update_runs(failed, [(status, results)], run)


def update_runs(failed: Failed, runs: list[tuple[dict, Path | None]], run: str) -> list[str]:
    """Fold one workflow run into the record; returns one line per change, for the summary.

    ``runs`` are its run directories' ``tools.ci.bench_commits`` status.json and asv results
    (one per part when each part has its own job: they are judged together, so one part's
    install failure never outweighs another part's results). A commit with any successful
    benchmark clears its entry. One without counts a failure of this run: ``install`` or
    ``benchmarks`` from its result files, else ``timeout`` when a part or run of it timed out. A
    part that timed out beside parts that gave results is reported, not counted. Other states
    (out of time, interrupted, asv errors) are not the commit's fault as far as anyone can tell:
    they are retried. A commit is skipped once it failed in ``RUNS`` separate runs.
    """
    changes: list[str] = []
    timed_out: dict[tuple[str, str], list[str]] = {}
    kinds: dict[tuple[str, str], set[str]] = {}
    for status, results in runs:
        machine = status.get("machine", "")
        if not MACHINE_RE.match(machine):
            raise FailedError(f"status.json names no valid machine: {machine!r}")
        for entry in status.get("commits", []):
            commit = entry.get("commit", "")
            if not SHA_RE.match(commit):
                raise FailedError(f"status.json: {commit!r} is not a full commit hash")
            if entry.get("state") == "timeout":
                part = entry.get("part")
                limits = status.get("part_limits") or {}
                limit = limits.get(part) if part else status.get("commit_timeout")
                what = f"part {part} did not finish in" if part else "did not finish in"
                per = "per-part" if part else "per-commit"
                timed_out.setdefault((machine, commit), []).append(
                    f"{what} {_seconds(limit)} s ({per} timeout)"
                )
        if results is None or not results.is_dir():
            continue
        for mdir in sorted(p for p in results.iterdir() if (p / "machine.json").exists()):
            for path in sorted(mdir.glob("*.json")):
                if path.name == "machine.json":
                    continue
                result = json.loads(path.read_text())
                commit = result.get("commit_hash", "")
                kind = classify(result)
                if SHA_RE.match(commit) and kind is not None:
                    kinds.setdefault((mdir.name, commit), set()).add(kind)
    for key in timed_out:
        kinds.setdefault(key, set())
    for (mname, commit), seen in sorted(kinds.items()):
        late = timed_out.get((mname, commit), [])
        if "ok" in seen:
            if commit in failed.get(mname, {}):
                del failed[mname][commit]
                changes.append(f"{mname} {commit[:8]}: has results now, no longer skipped")
            changes += [f"{mname} {commit[:8]}: {t}; its other parts are stored" for t in late]
            continue
        if "install" in seen:
            kind, reason = "install", REASONS["install"]
        elif "benchmarks" in seen:
            kind, reason = "benchmarks", REASONS["benchmarks"]
        else:
            kind, reason = "timeout", "; ".join(late)
        changes.append(_record(failed, mname, commit, kind, reason, run))
    return changes
