"""Which Bengal commits a CI job benchmarks: range listing, shard files, the nightly's choice.

Why explicit scripts instead of asv's ``--steps``: the backfill workflow must hand each runner of
a matrix its own ``HASHFILE:`` and the nightly must stay inside its capacity however many
commits landed, and both choices should be testable without running asv.

    python -m tools.ci.commits shard --repo R --range v0.1.0..main --shards 4 --out-dir shards/

Shard files hold one full commit hash per line, oldest first (``asv run HASHFILE:file``).
``--github-output`` appends ``key=value`` lines to ``$GITHUB_OUTPUT`` for the workflow.

The nightly (``tools.ci.plan``) picks (commit, part) jobs with ``plan_night`` from what the
ledger of the results branch (``tools.ci.ledger``) says is still to do: not "the commits newer
than the newest result file", which lost every commit or part that a lost job, a cap or a
bisect's stored probe left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


class CommitsError(Exception):
    """A user-facing failure: one line, exit status 2."""


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise CommitsError(f"git {' '.join(args)} in {repo}: {proc.stderr.strip()}")
    return proc.stdout


def list_commits(repo: Path, spec: str) -> list[str]:
    """Commits of ``spec`` (``A..B``, or one ref = its whole history), oldest first.

    First-parent only, as asv does for branches: merged feature-branch commits are not on the
    graph's x-axis.
    """
    return git(repo, "rev-list", "--first-parent", "--reverse", spec).split()


def split(commits: list[str], shards: int) -> list[list[str]]:
    """Deal ``commits`` round-robin into ``shards`` lists (each spans the whole range, so a
    shard that fails or times out leaves gaps, not a missing era). Empty shards are dropped."""
    if shards < 1:
        raise CommitsError(f"--shards must be >= 1, got {shards}")
    return [s for s in (commits[i::shards] for i in range(shards)) if s]


def even_sample(commits: list[str], budget: int) -> list[str]:
    """At most ``budget`` commits: all if they fit, else an even sample that always has the tip.

    The sample takes ``budget - 1`` evenly spaced commits from all but the tip (the first one
    included) and then the tip: the newest state is always measured, and the older ones
    give the graph its shape; the backfill fills the gaps later.
    """
    if budget < 1:
        raise CommitsError(f"--budget must be >= 1, got {budget}")
    if len(commits) <= budget:
        return list(commits)
    if budget == 1:
        return [commits[-1]]
    body = commits[:-1]
    k = budget - 1
    picked = sorted({round(i * (len(body) - 1) / max(k - 1, 1)) for i in range(k)})
    return [body[i] for i in picked] + [commits[-1]]


def dated(repo: Path, branch: str) -> list[tuple[str, int]]:
    """The first-parent commits of ``branch`` with their committer dates (epoch s), oldest
    first: the nightly's candidates and the coverage's days."""
    rows = git(repo, "log", "--first-parent", "--reverse", "--format=%H %ct", branch).split("\n")
    out = []
    for row in rows:
        if row.strip():
            sha, when = row.split()
            out.append((sha, int(when)))
    return out


def recent(history: list[tuple[str, int]], window_days: float, now: float) -> list[str]:
    """The commits committed within ``window_days`` before ``now``, oldest first; always the tip
    (a quiet branch is still measured at its newest state)."""
    if window_days < 0:
        raise CommitsError(f"--window-days must be >= 0, got {window_days:g}")
    if not history:
        return []
    cutoff = now - window_days * 86400
    picked = [sha for sha, when in history if when >= cutoff]
    tip = history[-1][0]
    return picked if tip in picked else [*picked, tip]


@dataclass
class Night:
    """One tier's jobs for one night: (commit, part) in the order they run."""

    jobs: list[tuple[str, str]]
    gaps: list[str]  # to-do commits up to the newest one the ledger knows, oldest first
    new: list[str]  # to-do commits after it, oldest first
    left: int  # to-do parts this tier means to measure that wait for a later night


def plan_night(
    candidates: list[str],
    todo: dict[str, list[str]],
    seen: set[str],
    cap: int,
    n_parts: int,
    *,
    sample: bool = False,
) -> Night:
    """The (commit, part) jobs of one tier tonight: at most ``cap`` commits' worth of parts.

    ``candidates`` oldest first; ``todo`` their parts neither stored nor finally failed;
    ``seen`` the commits the ledger has any entry for. The tip's to-do parts come first, then
    the gaps, oldest first, part by part (a commit that lacks one part costs one job), then new
    commits: the newest first, or (``sample``, the scale tier) an even sample with the tip. A
    sampling tier's gaps are only the commits it planned before: the others were never meant.
    """
    if cap < 0:
        raise CommitsError(f"the cap must be >= 0, got {cap}")
    newest_seen = max((i for i, c in enumerate(candidates) if c in seen), default=-1)
    gaps = [
        c
        for i, c in enumerate(candidates)
        if i <= newest_seen and todo.get(c) and (c in seen or not sample)
    ]
    new = [c for i, c in enumerate(candidates) if i > newest_seen and todo.get(c)]
    jobs: list[tuple[str, str]] = []
    room = cap * n_parts
    tip = candidates[-1] if candidates else ""
    if cap and todo.get(tip):
        jobs += [(tip, p) for p in todo[tip]]
    for commit in gaps:
        if commit != tip:
            jobs += [(commit, p) for p in todo[commit]][: max(room - len(jobs), 0)]
    later = [c for c in new if c != tip]
    slots = (room - len(jobs)) // max(n_parts, 1)
    if sample and later:
        # even_sample keeps the newest it is given: with the tip (planned above) among them,
        # the others are spread from the oldest new commit on
        if slots < 1:
            later = []
        else:
            later = even_sample(new, slots + 1)[:-1] if tip in new else even_sample(later, slots)
    for commit in reversed(later):
        jobs += [(commit, p) for p in todo[commit]][: max(room - len(jobs), 0)]
    meant = gaps + (new if not sample else [c for c in new if c == tip])
    left = {(c, p) for c in meant for p in todo[c]} - set(jobs)
    return Night(jobs=jobs, gaps=gaps, new=new, left=len(left))


def write_hashes(path: Path, commits: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{c}\n" for c in commits))


def github_output(pairs: dict[str, str]) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        raise CommitsError("--github-output given but $GITHUB_OUTPUT is not set")
    with open(target, "a") as fh:
        for key, value in pairs.items():
            fh.write(f"{key}={value}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.commits", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("list", help="print the commits of a range, oldest first")
    p.add_argument("--repo", type=Path, required=True)
    p.add_argument("--range", required=True, dest="spec")
    p = sub.add_parser("shard", help="split a range into N hash files shard-<i>.txt")
    p.add_argument("--repo", type=Path, required=True)
    p.add_argument("--range", required=True, dest="spec")
    p.add_argument("--shards", type=int, required=True)
    p.add_argument("--out-dir", type=Path, required=True)
    p.add_argument("--github-output", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "list":
            print("\n".join(list_commits(args.repo, args.spec)))
        else:
            commits = list_commits(args.repo, args.spec)
            if not commits:
                raise CommitsError(f"range {args.spec} has no commits")
            shards = split(commits, args.shards)
            for i, part in enumerate(shards):
                write_hashes(args.out_dir / f"shard-{i}.txt", part)
            print(f"{len(commits)} commits in {len(shards)} shard(s) under {args.out_dir}")
            if args.github_output:
                matrix = json.dumps(list(range(len(shards))))
                github_output({"count": str(len(commits)), "shards": matrix})
    except CommitsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
