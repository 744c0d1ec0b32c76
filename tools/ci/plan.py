"""The jobs of a nightly or backfill run: one per tier, commit and part, tip first.

Why one job per part: a job uploads its results when it ends, so a lost runner or a full disk
loses the part in progress and nothing else, and each part gets its own runner and time limit.
The plan is written by the trusted ``select`` job (no Bengal code runs there) and passed on as a
job output, which the benchmark jobs cannot change: the store job keeps only results whose commit
and machine are in it (``tools.ci.trusted_results``) and downloads the artifacts by the exact
names it lists.

    python -m tools.ci.plan nightly --repo bengal-src --results results-branch/results \\
        --failed results-branch/failed-commits.json --exact-cap 16 --scale-budget 2 \\
        --out plan.json [--summary F] [--github-output]
    python -m tools.ci.plan backfill --repo bengal-src --range v0.5.0..main --tier exact \\
        --out plan.json [--github-output]

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
from pathlib import Path

from tools.ci import commits, failed_commits, github_output, machine, rebaseline, tiers

MAX_JOBS = 256  # GitHub's limit of jobs per matrix
# Minutes of a job around its benchmark step: checkout, Pythons, the pinned tooling, the Bengal
# clone, the environment check (their steps' own limits), the upload, and slack above all of them.
SETUP_MINUTES = 5 + 5 + 5 + 10 + 15 + 2
UPLOAD_MINUTES = 10
SLACK_MINUTES = 15
STEP_SLACK_MINUTES = 5  # the benchmark step's limit above its part's
DEADLINE_MARGIN_S = 60  # bench_commits' --deadline above the part's limit, under the step's


def machine_name(tier: tiers.Tier, preset: str = "gha") -> str:
    return machine.identity(preset, profile=tier.profile, tier=tier.name)["machine"]


def artifact(tier: str, part: str, commit: str) -> str:
    return f"run-{tier}-{part}-{commit}"


def tasks(tier: tiers.Tier, chosen: list[str], preset: str = "gha") -> list[dict[str, object]]:
    """Every part of every chosen commit, in the order given (the tip first)."""
    name = machine_name(tier, preset)
    out: list[dict[str, object]] = []
    for commit in chosen:
        for part in tier.parts:
            bench = math.ceil(part.limit_s / 60) + STEP_SLACK_MINUTES
            out.append(
                {
                    "tier": tier.name,
                    "profile": tier.profile,
                    "machine": name,
                    "commit": commit,
                    "part": part.name,
                    "artifact": artifact(tier.name, part.name, commit),
                    "bench_minutes": bench,
                    # a backstop under the step's limit: the part's own limit cuts first
                    "deadline_s": part.limit_s + DEADLINE_MARGIN_S,
                    "job_minutes": SETUP_MINUTES + bench + UPLOAD_MINUTES + SLACK_MINUTES,
                }
            )
    return out


def write(path: Path, plan: list[dict[str, object]], gh_output: bool) -> bool:
    if len(plan) > MAX_JOBS:
        raise commits.CommitsError(
            f"{len(plan)} jobs; a matrix holds at most {MAX_JOBS}: use a shorter range"
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
    p = sub.add_parser("nightly", help="the exact tier newest first, the scale tier's sample")
    p.add_argument("--repo", type=Path, required=True)
    p.add_argument("--results", type=Path, required=True, help="asv results dir")
    p.add_argument("--failed", type=Path, help="failed-commits.json of the results branch")
    p.add_argument("--branch", default="main")
    p.add_argument("--exact-cap", type=int, required=True, help="most commits of the exact tier")
    p.add_argument("--scale-budget", type=int, required=True, help="scale tier: the tip + ...")
    p.add_argument("--summary", type=Path, help="append the selection (markdown) here")
    p = sub.add_parser("backfill", help="every part of every commit of a range, newest first")
    p.add_argument("--repo", type=Path, required=True)
    p.add_argument("--range", required=True, dest="spec")
    p.add_argument("--tier", required=True, choices=list(tiers.TIERS))
    for p in sub.choices.values():
        p.add_argument("--preset", default="gha", choices=["gha", "local"])
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--github-output", action="store_true")
    args = parser.parse_args(argv)
    try:
        plan: list[dict[str, object]] = []
        if args.cmd == "backfill":
            chosen = list(reversed(commits.list_commits(args.repo, args.spec)))
            if not chosen:
                raise commits.CommitsError(f"range {args.spec} has no commits")
            plan = tasks(tiers.tier(args.tier), chosen, args.preset)
        else:
            record = failed_commits.load(args.failed) if args.failed else {}
            for tier, cap, sample in (
                (tiers.TIERS["exact"], args.exact_cap, False),
                (tiers.TIERS["scale"], args.scale_budget, True),
            ):
                name = machine_name(tier, args.preset)
                done = commits.benchmarked_commits(args.results, name)
                failed = failed_commits.for_machine(record, name)
                # A new environment's series starts after the previous series' commits, and
                # re-measures the last of them (tools.ci.rebaseline).
                prev = rebaseline.previous_series(args.results, tier.name, name)
                before = commits.benchmarked_commits(args.results, prev) if prev else set()
                join = rebaseline.rebaseline_commit(args.results, tier.name, name)
                sel = commits.select(
                    args.repo, args.branch, done | before, failed, cap, sample=sample
                )
                if join and join not in sel.chosen and join not in failed_commits.skipped(failed):
                    sel.chosen.append(join)
                    print(f"{tier.name}: re-baseline: {join[:8]}, the last of {prev}")
                print(f"{tier.name}: {len(sel.fresh)} new, benchmarking {len(sel.chosen)}")
                if args.summary:
                    with args.summary.open("a") as fh:
                        title = f"Nightly selection, {tier.name} tier"
                        fh.write(commits.selection_summary(title, name, sel))
                plan += tasks(tier, sel.chosen, args.preset)
        if not write(args.out, plan, args.github_output):
            return 2
        print(f"{len(plan)} job(s) in {args.out}")
    except (commits.CommitsError, failed_commits.FailedError, machine.MachineError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
