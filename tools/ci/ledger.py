"""The ledger of what the nightly and the backfill measured: per series, commit and part.

Why: "a commit is new while it is newer than the newest commit with a result file" lost for good
every commit or part that a lost runner, a killed job, a lost artifact or a busy day's cap left
behind, and a bisect that stored a probe of a recent commit hid every commit before it. The
ledger says for each planned (tier, commit, part) what became of it, and the nightly plans what
it does not call done (``tools.ci.commits.plan_night``).

``ledger.json`` at the root of the results branch (it replaces ``failed-commits.json``)::

    {"gha-ubuntu-x64-exact": {"<full sha>": {
        "counts":   {"state": "stored", "run": "nightly run 42"},
        "counters": {"state": "failed", "kind": "timeout", "reason": "...",
                     "runs": ["nightly run 41", "nightly run 42"]}}}}

Keys are the asv machine (one per tier: ``scope.machine``), the full commit hash and the part
(``catalogue.tiers``). ``stored``: the part's job said it finished (``status.json`` state ``ok``,
or ``findings``: only Bengal's own findings failed a value)
and a value of it was merged. ``failed``: each run that planned the part and got no value adds
itself to ``runs``, with the last kind and reason; after ``TRIES`` separate runs it is final and
never planned again (delete the entry to retry it). A part without an entry, or failed in fewer
runs, is still to do. Only ``tools.ci.store_results --ledger`` (the nightly's and the backfill's
store) writes it: a bisect's probes store values but never count as a measurement here.

    python -m tools.ci.ledger coverage --ledger results-branch/ledger.json --repo bengal-src \\
        [--branch main] [--days 7] [--preset gha]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from pathlib import Path

from catalogue import tiers
from scope import machine
from tools.ci import commits
from tools.history import failed_commits

FILE_NAME = "ledger.json"
TRIES = 2  # separate runs without a value before a part is given up
STORED, FAILED = "stored", "failed"
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
MACHINE_RE = re.compile(r"^[A-Za-z0-9._-]+$")
LOST = "artifact lost: its job was lost, cancelled or timed out, or its upload failed"

Entry = dict[str, object]
Series = dict[str, dict[str, Entry]]  # commit -> part -> entry
Ledger = dict[str, Series]  # machine -> ...


class LedgerError(Exception):
    """A user-facing failure: one line, exit status 2."""


def _entry_ok(entry: object) -> bool:
    return isinstance(entry, dict) and entry.get("state") in (STORED, FAILED)


def load(path: Path) -> Ledger:
    """The ledger at ``path``; empty when there is none yet (the first night)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise LedgerError(f"{path}: not readable JSON ({exc})") from None
    ok = isinstance(data, dict) and all(
        MACHINE_RE.match(m)
        and isinstance(series, dict)
        and all(
            SHA_RE.match(c)
            and isinstance(parts, dict)
            and all(_entry_ok(e) for e in parts.values())
            for c, parts in series.items()
        )
        for m, series in data.items()
    )
    if not ok:
        raise LedgerError(f"{path}: expected {{machine: {{full sha: {{part: {{state: ...}}}}}}}}")
    return data


def save(path: Path, ledger: Ledger) -> None:
    path.write_text(json.dumps(ledger, indent=1, sort_keys=True) + "\n")


def runs_of(entry: Entry) -> list[str]:
    runs = entry.get("runs")
    return [str(r) for r in runs] if isinstance(runs, list) else []


def state(entry: Entry | None) -> str:
    """``stored``, ``failed`` (final: ``TRIES`` runs) or ``todo`` (no entry, or fewer runs)."""
    if not entry:
        return "todo"
    if entry.get("state") == STORED:
        return STORED
    return FAILED if len(runs_of(entry)) >= TRIES else "todo"


def todo(series: Series, commit: str, parts: list[str]) -> list[str]:
    """The parts of ``commit`` neither stored nor finally failed, in ``parts``' order."""
    done = series.get(commit, {})
    return [p for p in parts if state(done.get(p)) == "todo"]


def _status_entry(run: Path, commit: str, part: str) -> tuple[dict | None, object, str]:
    """The part's entry in the run's status.json and its limit, or None and why not."""
    path = run / "status.json"
    if not path.exists():
        return None, None, "no status.json: the job stopped before its part started"
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        status = None
    if not isinstance(status, dict) or not isinstance(status.get("commits"), list):
        return None, None, "status.json is not bench_commits' status"
    found = [
        e
        for e in status["commits"]
        if isinstance(e, dict) and e.get("commit") == commit and e.get("part") == part
    ]
    if not found:
        return None, None, "status.json has no entry for this part"
    limits = status.get("part_limits")
    return found[-1], limits.get(part) if isinstance(limits, dict) else None, ""


def _kinds(run: Path, name: str, commit: str) -> set[str]:
    """``failed_commits.classify`` of each result file of ``commit`` the run holds."""
    seen = set()
    for path in sorted((run / "results" / name).glob("*.json")):
        if path.name == "machine.json":
            continue
        try:
            result = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(result, dict) and result.get("commit_hash") == commit:
            kind = failed_commits.classify(result)
            if kind:
                seen.add(kind)
    return seen


def judge(run: Path | None, name: str, commit: str, part: str) -> tuple[str, str] | None:
    """None when the run stored the part; else (kind, one-line reason) of this failed try.

    ``run`` is the part's (trusted) run directory, None when its artifact never arrived.
    """
    if run is None:
        return "lost", LOST
    entry, limit, why = _status_entry(run, commit, part)
    if entry is None:
        return "lost", why
    got = entry.get("state")
    kinds = _kinds(run, name, commit)
    if got in ("ok", "findings") and "ok" in kinds:  # a Bengal finding is a result
        return None
    if "install" in kinds and "ok" not in kinds:
        return "install", failed_commits.REASONS["install"]
    if "benchmarks" in kinds and "ok" not in kinds:
        return "benchmarks", failed_commits.REASONS["benchmarks"]
    limit_s = f"{limit:g}" if isinstance(limit, int | float) else "?"
    reasons = {
        "ok": "its job finished but saved no result of the part",
        "findings": "only Bengal's own findings failed, and no value was saved",
        "failed": f"the harness failed: {entry.get('reason') or 'asv exit status 2'}",
        "error": f"asv exited with status {entry.get('returncode', '?')}",
        "timeout": f"did not finish in {limit_s} s (the part's limit)",
        "out-of-time": "stopped at the job's deadline",
        "interrupted": "its job was cancelled or its step timed out",
        "running": "its job died while the part ran (runner lost or killed)",
        "pending": "its job died before the part started",
    }
    kind = {"ok": "no-results", "running": "killed", "pending": "killed"}.get(str(got), str(got))
    return kind, reasons.get(str(got), f"state {got!r} in status.json")


def record(
    ledger: Ledger, tasks: list[dict[str, object]], runs: dict[str, Path], label: str
) -> list[str]:
    """Fold one nightly or backfill run into ``ledger``; returns lines for the run summary.

    ``tasks`` is the run's plan (``tools.ci.plan``), ``runs`` its trusted run directories by
    artifact name: a planned artifact that is not there is one lost try. Tasks of no tier's part
    (a bisect's plan) are not recorded. A stored part stays stored.
    """
    lines: list[str] = []
    stored = 0
    for task in tasks:
        tier_name, part, commit = str(task.get("tier")), str(task["part"]), str(task["commit"])
        name = str(task["machine"])
        known = tiers.TIERS.get(tier_name)
        if known is None or part not in {p.name for p in known.parts}:
            continue
        if not (SHA_RE.match(commit) and MACHINE_RE.match(name)):
            raise LedgerError(f"plan task {task.get('artifact')}: bad commit or machine")
        verdict = judge(runs.get(str(task["artifact"])), name, commit, part)
        parts = ledger.setdefault(name, {}).setdefault(commit, {})
        before = parts.get(part)
        what = f"{name} {commit[:8]} {part}"
        if verdict is None:
            parts[part] = {"state": STORED, "run": label}
            stored += 1
            continue
        kind, reason = verdict
        if before and before.get("state") == STORED:
            lines.append(f"{what}: {kind} ({reason}); stored before, kept")
            continue
        tries = runs_of(before or {})
        if label not in tries:
            tries.append(label)
        parts[part] = {"state": FAILED, "kind": kind, "reason": reason, "runs": tries}
        after = "given up" if len(tries) >= TRIES else "to do again"
        lines.append(f"{what}: {kind} ({reason}); try {len(tries)} of {TRIES}, {after}")
    return [f"ledger: {stored} part(s) stored", *lines]


def machines(preset: str = "gha", profile: str | None = None) -> list[tuple[tiers.Tier, str]]:
    """Every tier with its asv machine name (``tools.ci.plan.machine_name``)."""
    return [
        (t, machine.identity(preset, profile=profile or t.profile, tier=t.name)["machine"])
        for t in tiers.TIERS.values()
    ]


def coverage(
    ledger: Ledger,
    history: list[tuple[str, int]],
    series: list[tuple[tiers.Tier, str]],
    days: int,
    now: float,
) -> str:
    """Markdown: per tier, for each of the last ``days`` days (UTC, by committer date), the
    first-parent commits that landed and how many of their parts are stored, failed, to do."""
    if days < 1:
        raise LedgerError(f"--days must be >= 1, got {days}")
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    wanted = [today - dt.timedelta(days=i) for i in range(days)]
    by_day: dict[dt.date, list[str]] = {d: [] for d in wanted}
    for sha, when in history:
        day = dt.datetime.fromtimestamp(when, dt.UTC).date()
        if day in by_day:
            by_day[day].append(sha)
    out = []
    for tier, name in series:
        entries = ledger.get(name, {})
        parts = [p.name for p in tier.parts]
        out += [
            f"### Coverage of the {tier.name} tier (`{name}`), last {days} day(s)",
            "",
            "| day (UTC) | commits | parts | stored | failed | to do |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for day in wanted:
            counts = {STORED: 0, FAILED: 0, "todo": 0}
            for sha in by_day[day]:
                for p in parts:
                    counts[state(entries.get(sha, {}).get(p))] += 1
            n = len(by_day[day])
            out.append(
                f"| {day} | {n} | {n * len(parts)} | {counts[STORED]} | {counts[FAILED]} "
                f"| {counts['todo']} |"
            )
        out.append("")
    out += [
        "To do: neither stored nor given up (a part that failed once is to do). The scale tier "
        "measures the tip and a sample each night: its other commits stay to do until a "
        "backfill.",
        "",
    ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.ledger", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("coverage", help="each tier's coverage of the last days (markdown)")
    p.add_argument("--ledger", type=Path, required=True)
    p.add_argument("--repo", type=Path, required=True, help="a clone of Bengal")
    p.add_argument("--branch", default="main")
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--preset", default="gha", choices=["gha", "local"])
    args = parser.parse_args(argv)
    try:
        text = coverage(
            load(args.ledger),
            commits.dated(args.repo, args.branch),
            machines(args.preset),
            args.days,
            time.time(),
        )
    except (LedgerError, commits.CommitsError, machine.MachineError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
