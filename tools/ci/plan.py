"""The jobs of a nightly or backfill run: one per tier, commit and part, tip first.

Why one job per part: a job uploads its results when it ends, so a lost runner or a full disk
loses the part in progress and nothing else, and each part gets its own runner and time limit.
The plan is written by the trusted ``select`` job (no Bengal code runs there) and passed on as a
job output, which the benchmark jobs cannot change: the store job keeps only results whose commit
and machine are in it (``tools.ci.trusted_results``) and downloads the artifacts by the exact
names it lists.

    python -m tools.ci.plan nightly --repo bengal-src --ledger results-branch/ledger.json \\
        --exact-cap 16 --scale-budget 2 [--window-days 14] [--parts exact:counters] \\
        --out plan.json [--summary F] [--github-output]
    python -m tools.ci.plan backfill --repo bengal-src --range v0.5.0..main --tier exact \\
        [--ledger results-branch/ledger.json [--retry-failed]] --out plan.json [--github-output]

The nightly plans, per tier, what the ledger (``tools.ci.ledger``) calls still to do among the
first-parent commits of the last ``--window-days``: the tip, the gaps (oldest first, one job per
missing part), then new commits (the exact tier newest first, the scale tier an even sample),
within ``--exact-cap`` / ``--scale-budget`` commits' worth of parts (0: none of that tier).
``--parts TIER[:PART],...`` plans only those (a rehearsal). The backfill skips the parts the
ledger calls stored or given up. ``--summary`` gets the choice and each tier's coverage.

``--pythons`` (the workflows' ``ASV_PYTHONS``, default 3.14) scales every limit by the number
of pythons: the bench job runs the part once per python.

``plan.json``: ``{"tasks": [{"tier", "profile", "machine", "commit", "part", "artifact",
"bench_minutes", "deadline_s", "job_minutes"}, ...]}``; ``--github-output`` writes ``matrix``
(the tasks as a GitHub matrix), ``count`` and ``artifacts`` (space-separated names). Bad input:
one line, exit 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import scope
from catalogue import tiers
from scope import machine
from tools.ci import commits, github_output, ledger
from tools.history import rebaseline

MAX_JOBS = 256  # GitHub's limit of jobs per matrix
GITHUB_JOB_LIMIT_MINUTES = 360  # a job that asks for more is cut at 360 anyway
# Minutes of a job around its benchmark step: checkout, Pythons, the pinned tooling, the Bengal
# clone, the environment check, the leftovers step (their steps' own limits), the upload, and
# slack above all of them.
SETUP_MINUTES = 5 + 5 + 5 + 10 + 15 + 2 + 2
UPLOAD_MINUTES = 10
SLACK_MINUTES = 15
STEP_SLACK_MINUTES = 5  # the benchmark step's limit above its part's
DEADLINE_MARGIN_S = 60  # bench_commits' --deadline above the part's limit, under the step's


def machine_name(tier: tiers.Tier, preset: str = "gha", profile: str | None = None) -> str:
    """The tier's series; at ``profile`` (not the tier's own) a series of its own."""
    return machine.identity(preset, profile=profile or tier.profile, tier=tier.name)["machine"]


def artifact(tier: str, part: str, commit: str) -> str:
    return f"run-{tier}-{part}-{commit}"


def task(
    tier: tiers.Tier,
    commit: str,
    part: str,
    name: str,
    profile: str | None = None,
    pythons: int = 1,
) -> dict[str, object]:
    """The job of one part of one commit on the machine ``name``; ``profile`` replaces the
    tier's own (smoke-sized sites for a rehearsal, in a series of their own); the limits are for
    one run over ``pythons`` asv environments (``tiers.Part.limit``)."""
    limit_s = tier.part(part).limit(pythons)
    bench = math.ceil(limit_s / 60) + STEP_SLACK_MINUTES
    return {
        "tier": tier.name,
        "profile": profile or tier.profile,
        "machine": name,
        "commit": commit,
        "part": part,
        "artifact": artifact(tier.name, part, commit),
        "bench_minutes": bench,
        # a backstop under the step's limit: the part's own limit cuts first
        "deadline_s": limit_s + DEADLINE_MARGIN_S,
        "job_minutes": SETUP_MINUTES + bench + UPLOAD_MINUTES + SLACK_MINUTES,
    }


def tasks(
    tier: tiers.Tier,
    chosen: list[str],
    preset: str = "gha",
    profile: str | None = None,
    pythons: int = 1,
) -> list[dict[str, object]]:
    """Every part of every chosen commit, in the order given (the tip first)."""
    name = machine_name(tier, preset, profile)
    return [task(tier, c, p.name, name, profile, pythons) for c in chosen for p in tier.parts]


def part_filter(spec: str | None) -> dict[str, list[str]]:
    """``--parts exact:counters,scale`` as {tier: its parts, in the tier's order}; all without."""
    if not spec:
        return {t.name: [p.name for p in t.parts] for t in tiers.TIERS.values()}
    wanted: dict[str, set[str]] = {}
    for item in spec.split(","):
        tier_name, _, part = item.strip().partition(":")
        try:
            t = tiers.tier(tier_name)
            names = [t.part(part).name] if part else [p.name for p in t.parts]
        except KeyError as exc:
            raise commits.CommitsError(f"--parts {item!r}: {exc.args[0]}") from None
        wanted.setdefault(tier_name, set()).update(names)
    return {
        t.name: [p.name for p in t.parts if p.name in wanted[t.name]]
        for t in tiers.TIERS.values()
        if t.name in wanted
    }


def night_summary(
    tier: tiers.Tier, name: str, night: commits.Night, series: ledger.Series, window: list[str]
) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: tonight's jobs, and what is retried or given up."""
    planned: dict[str, list[str]] = {}
    for commit, part in night.jobs:
        planned.setdefault(commit, []).append(part)
    lines = [
        f"### Nightly plan, {tier.name} tier on `{name}`",
        "",
        f"{len(window)} commit(s) in the window: {len(night.new)} new, {len(night.gaps)} with "
        f"gaps; {len(night.jobs)} job(s) tonight, {night.left} part(s) left for later nights.",
        "",
    ]
    lines += [f"- `{c[:8]}`: {', '.join(ps)}" for c, ps in planned.items()]
    retried, given_up = [], []
    for commit in window:
        for part, entry in series.get(commit, {}).items():
            if entry.get("state") != ledger.FAILED:
                continue
            row = (
                f"- `{commit[:8]}` {part} ({entry.get('kind')}): {entry.get('reason')} "
                f"(runs: {', '.join(ledger.runs_of(entry))})"
            )
            (given_up if ledger.state(entry) == ledger.FAILED else retried).append(row)
    for title, rows in (("Failed once, to do again", retried), ("Given up", given_up)):
        if rows:
            lines += ["", f"{title} ({len(rows)}):", "", *rows]
    return "\n".join(lines) + "\n\n"


def after_previous_series(
    results: Path | None,
    tier: tiers.Tier,
    name: str,
    history: list[tuple[str, int]],
    window: list[str],
) -> list[str]:
    """The tier's candidates in the series ``name``: the window, or, when the declared
    environment changed (``scope.environment``: a new series), the previous series' last
    commit (measured again, so that the graph joins the two series: ``tools.history.rebaseline``)
    and the window's commits after it; the older ones keep their values in the old series."""
    prev = rebaseline.previous_series(results, tier.name, name) if results else None
    if prev is None:
        return window
    last = next(s.last for s in rebaseline.series(results, tier.name) if s.machine == prev)
    position = {sha: i for i, (sha, _) in enumerate(history)}
    if last not in position:
        return window
    print(f"{tier.name}: a new series after {prev}: re-baseline at {last[:8]}")
    return [last, *(c for c in window if position[c] > position[last])]


def pythons(args: argparse.Namespace) -> int:
    """``--pythons`` as a count (one line for a bad value)."""
    try:
        return scope.python_count(args.pythons)
    except ValueError as exc:
        raise commits.CommitsError(str(exc)) from None


def nightly(args: argparse.Namespace) -> list[dict[str, object]]:
    """Every tier's jobs tonight (see the module's docstring); writes the summary."""
    if min(args.exact_cap, args.scale_budget) < 0:
        raise commits.CommitsError("--exact-cap and --scale-budget must be >= 0")
    book = ledger.load(args.ledger) if args.ledger else {}
    history = commits.dated(args.repo, args.branch)
    now = args.now if args.now is not None else time.time()
    window = commits.recent(history, args.window_days, now)
    chosen = part_filter(args.parts)
    plan: list[dict[str, object]] = []
    text = ""
    for tier, cap, sample in (
        (tiers.TIERS["exact"], args.exact_cap, False),
        (tiers.TIERS["scale"], args.scale_budget, True),
    ):
        parts = chosen.get(tier.name, [])
        name = machine_name(tier, args.preset, args.profile or None)
        series = book.get(name, {})
        candidates = after_previous_series(args.results, tier, name, history, window)
        todo = {c: ledger.todo(series, c, parts) for c in candidates}
        night = commits.plan_night(
            candidates, todo, set(series), cap if parts else 0, len(parts), sample=sample
        )
        print(
            f"{tier.name}: {len(night.new)} new, {len(night.gaps)} with gaps; "
            f"{len(night.jobs)} job(s), {night.left} part(s) left"
        )
        text += night_summary(tier, name, night, series, candidates)
        plan += [task(tier, c, p, name, args.profile or None, pythons(args)) for c, p in night.jobs]
    if args.summary:
        text += ledger.coverage(
            book,
            history,
            ledger.machines(args.preset, args.profile or None),
            args.coverage_days,
            now,
        )
        with args.summary.open("a") as fh:
            fh.write(text)
    return plan


def backfill(args: argparse.Namespace) -> list[dict[str, object]]:
    """The range's to-do parts of one tier, newest first."""
    chosen = list(reversed(commits.list_commits(args.repo, args.spec)))
    if not chosen:
        raise commits.CommitsError(f"range {args.spec} has no commits")
    tier = tiers.tier(args.tier)
    parts = part_filter(args.parts).get(tier.name, [])
    name = machine_name(tier, args.preset, args.profile or None)
    series = (ledger.load(args.ledger) if args.ledger else {}).get(name, {})
    plan = []
    for commit in chosen:
        done = series.get(commit, {})
        for part in parts:
            left = ledger.state(done.get(part))
            if left == "todo" or (left == ledger.FAILED and args.retry_failed):
                plan.append(task(tier, commit, part, name, args.profile or None, pythons(args)))
    print(f"{len(chosen)} commit(s) in {args.spec}; {len(plan)} part(s) to do")
    return plan


def write(path: Path, plan: list[dict[str, object]], gh_output: bool) -> bool:
    if len(plan) > MAX_JOBS:
        raise commits.CommitsError(
            f"{len(plan)} jobs; a matrix holds at most {MAX_JOBS}: use a shorter range"
        )
    for t in plan:
        if int(str(t["job_minutes"])) > GITHUB_JOB_LIMIT_MINUTES:
            raise commits.CommitsError(
                f"part {t['tier']}/{t['part']} needs a {t['job_minutes']}-min job, over GitHub's "
                f"{GITHUB_JOB_LIMIT_MINUTES}: split it in catalogue.tiers or use fewer pythons"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"tasks": plan}, indent=1) + "\n")
    if not gh_output:
        return True
    return github_output.write(
        matrix=json.dumps({"include": plan}, separators=(",", ":")),
        count=str(len(plan)),
        artifacts=" ".join(str(t["artifact"]) for t in plan),
    )


def load(path: Path) -> list[dict[str, object]]:
    """The tasks of a plan file; CommitsError when it is not one."""
    try:
        data = json.loads(path.read_text())
        rows = data["tasks"] if "tasks" in data else data["include"]  # a plan or its matrix
        if not all(
            isinstance(t, dict) and {"commit", "machine", "artifact"} <= t.keys() for t in rows
        ):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise commits.CommitsError(
            f"{path}: not a plan written by tools.ci.plan ({exc!r})"
        ) from None
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.plan", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("nightly", help="to-do gaps, then new commits, per tier and part")
    p.add_argument("--repo", type=Path, required=True)
    p.add_argument("--ledger", type=Path, help="ledger.json of the results branch")
    p.add_argument("--results", type=Path, help="asv results dir (a new series' re-baseline)")
    p.add_argument("--branch", default="main")
    p.add_argument("--window-days", type=float, default=14, help="candidates: commits this recent")
    p.add_argument("--now", type=float, help="the window's end, epoch seconds (default: now)")
    p.add_argument("--exact-cap", type=int, required=True, help="exact tier: most commits' parts")
    p.add_argument("--scale-budget", type=int, required=True, help="scale tier: the tip + ...")
    p.add_argument("--parts", help="plan only these: TIER or TIER:PART, comma-separated")
    p.add_argument("--summary", type=Path, help="append the plan and coverage (markdown) here")
    p.add_argument("--coverage-days", type=int, default=7)
    p = sub.add_parser("backfill", help="the to-do parts of a range's commits, newest first")
    p.add_argument("--repo", type=Path, required=True)
    p.add_argument("--range", required=True, dest="spec")
    p.add_argument("--tier", required=True, choices=list(tiers.TIERS))
    p.add_argument("--ledger", type=Path, help="ledger.json: skip stored and given-up parts")
    p.add_argument("--retry-failed", action="store_true", help="plan given-up parts again")
    p.add_argument("--parts", help="only these parts: TIER:PART, comma-separated")
    for p in sub.choices.values():
        p.add_argument("--preset", default="gha", choices=["gha", "local"])
        p.add_argument(
            "--profile",
            default="",
            choices=["", "smoke", "pr", "nightly"],
            help="run every tier at this profile's sites (a series of its own; empty: the tier's)",
        )
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--github-output", action="store_true")
        p.add_argument("--pythons", default="3.14", help="asv pythons, e.g. '3.14 3.14t'")
    args = parser.parse_args(argv)
    try:
        plan = backfill(args) if args.cmd == "backfill" else nightly(args)
        if not write(args.out, plan, args.github_output):
            return 2
        print(f"{len(plan)} job(s) in {args.out}")
    except (commits.CommitsError, ledger.LedgerError, machine.MachineError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
