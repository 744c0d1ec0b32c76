"""The record of Bengal commits that failed or timed out, kept on the results branch.

Why: a commit that never yields results (it hangs until the per-commit timeout kills asv) would
otherwise be "new" again every night, picked again by the nightly selection and cost the night
again. ``failed-commits.json`` (at the root of the results branch) lists, per asv machine (so per
profile), the commits that timed out or whose every benchmark failed; ``tools.ci.commits nightly``
skips them and lists them in the run summary. A later result with any successful benchmark (a
re-run by hand or a backfill) removes the entry.

    {"gha-ubuntu-x64-nightly": {"<full sha>": {"reason": "...", "run": "..."}}}

Written by ``tools.ci.store_results`` from a run's ``status.json`` (``tools.ci.bench_commits``) and
its asv results.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

FILE_NAME = "failed-commits.json"
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


def every_benchmark_failed(result: dict) -> bool | None:
    """Whether an asv result file has no successful value at all (None: it holds no benchmark).

    asv stores ``None`` (or a list of ``None`` per parameter combination) as the ``result`` of a
    benchmark that failed or timed out, and for every benchmark when the commit did not build.
    """
    columns = result.get("result_columns") or []
    rows = (result.get("results") or {}).values()
    if "result" not in columns or not rows:
        return None
    at = columns.index("result")

    def succeeded(row: list) -> bool:
        value = row[at] if len(row) > at else None
        values = value if isinstance(value, list) else [value]
        return any(v is not None for v in values)

    return not any(succeeded(row) for row in rows)


def _seconds(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else "?"


def update(failed: Failed, status: dict, results: Path | None, run: str) -> list[str]:
    """Fold one run into the record; returns one line per change, for the summary.

    ``status`` is ``tools.ci.bench_commits``' status.json: a commit in state ``timeout`` is
    recorded. Each result file of ``results`` records its commit when every benchmark failed and
    clears it when one succeeded. Other states (out of time, interrupted, asv errors) are not the
    commit's fault as far as anyone can tell: they are retried.
    """
    changes: list[str] = []
    machine = status.get("machine", "")
    if not MACHINE_RE.match(machine):
        raise FailedError(f"status.json names no valid machine: {machine!r}")
    for entry in status.get("commits", []):
        commit = entry.get("commit", "")
        if not SHA_RE.match(commit):
            raise FailedError(f"status.json: {commit!r} is not a full commit hash")
        if entry.get("state") == "timeout":
            limit = _seconds(status.get("commit_timeout"))
            reason = f"did not finish in {limit} s (per-commit timeout)"
            failed.setdefault(machine, {})[commit] = {"reason": reason, "run": run}
            changes.append(f"{machine} {commit[:8]}: recorded as failed, {reason}")
    if results is None or not results.is_dir():
        return changes
    for mdir in sorted(p for p in results.iterdir() if (p / "machine.json").exists()):
        for path in sorted(mdir.glob("*.json")):
            if path.name == "machine.json":
                continue
            result = json.loads(path.read_text())
            commit = result.get("commit_hash", "")
            verdict = every_benchmark_failed(result)
            if not SHA_RE.match(commit) or verdict is None:
                continue
            known = failed.get(mdir.name, {})
            if verdict:
                reason = "every benchmark failed"
                failed.setdefault(mdir.name, {})[commit] = {"reason": reason, "run": run}
                changes.append(f"{mdir.name} {commit[:8]}: recorded as failed, {reason}")
            elif commit in known:
                del known[commit]
                changes.append(f"{mdir.name} {commit[:8]}: has results now, no longer skipped")
    return changes
