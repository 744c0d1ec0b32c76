"""Which Bengal commits a CI job benchmarks: range listing, shard files, bounded nightly selection.

Why explicit scripts instead of asv's ``--steps``: the backfill workflow must hand each runner of
a matrix its own ``HASHFILE:`` and the nightly must stay inside one runner's window however many
commits landed, and both choices should be testable without running asv.

    python -m tools.ci.commits shard --repo R --range v0.1.0..main --shards 4 --out-dir shards/
    python -m tools.ci.commits nightly --repo R --results .asv/results --machine M \
        --branch main --budget 12 --out hashes.txt [--failed failed-commits.json] [--summary F]

Hash files hold one full commit hash per line, oldest first (``asv run HASHFILE:file``).
``--github-output`` appends ``key=value`` lines to ``$GITHUB_OUTPUT`` for the workflow.

The nightly counts a commit recorded in ``--failed`` (``tools.ci.failed_commits``: it timed out or
every benchmark failed, on this machine) as handled, like one with results: a commit that can
never finish is not picked again every night, where it would block the nights for good. The
commits skipped that way are listed in ``--summary``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from tools.ci import failed_commits


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


def benchmarked_commits(results_dir: Path, machine: str) -> set[str]:
    """Full hashes of the commits that have a results file for ``machine``."""
    found: set[str] = set()
    mdir = results_dir / machine
    if not mdir.is_dir():
        return found
    for path in mdir.glob("*.json"):
        if path.name == "machine.json":
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("commit_hash"):
            found.add(data["commit_hash"])
    return found


def new_commits(repo: Path, branch: str, done: set[str]) -> list[str]:
    """Like asv's ``NEW``: the branch's commits after the newest one already benchmarked."""
    history = list_commits(repo, branch)
    for i in range(len(history) - 1, -1, -1):
        if history[i] in done:
            return history[i + 1 :]
    return history


def select_nightly(
    repo: Path, branch: str, done: set[str], failed: dict[str, dict[str, str]], budget: int
) -> tuple[list[str], list[str], list[str]]:
    """(new commits, the budgeted choice, failed commits skipped) for one night."""
    fresh = new_commits(repo, branch, done | set(failed))
    skipped = [c for c in new_commits(repo, branch, done) if c in failed]
    return fresh, even_sample(fresh, budget), skipped


def nightly_summary(
    machine: str, fresh: list[str], chosen: list[str], skipped: list[str], failed: dict
) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: what was chosen, what was skipped and why."""
    lines = [
        f"### Nightly selection on `{machine}`",
        "",
        f"{len(fresh)} new commit(s); benchmarking {len(chosen)}: "
        + (", ".join(f"`{c[:8]}`" for c in chosen) or "none"),
        "",
    ]
    if skipped:
        lines += [f"Skipped, recorded as failed in an earlier run ({len(skipped)}):", ""]
        lines += [
            f"- `{c[:8]}`: {failed[c].get('reason', '?')} ({failed[c].get('run', '?')})"
            for c in reversed(skipped)
        ]
        lines.append("")
    return "\n".join(lines) + "\n"


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
    p = sub.add_parser("nightly", help="NEW commits, bounded by --budget (even sample + tip)")
    p.add_argument("--repo", type=Path, required=True)
    p.add_argument("--results", type=Path, required=True, help="asv results dir")
    p.add_argument("--machine", required=True)
    p.add_argument("--branch", default="main")
    p.add_argument("--budget", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--failed", type=Path, help="failed-commits.json of the results branch")
    p.add_argument("--summary", type=Path, help="append the selection (markdown) here")
    p.add_argument("--github-output", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "list":
            print("\n".join(list_commits(args.repo, args.spec)))
        elif args.cmd == "shard":
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
        else:
            done = benchmarked_commits(args.results, args.machine)
            record = failed_commits.load(args.failed) if args.failed else {}
            failed = failed_commits.for_machine(record, args.machine)
            fresh, chosen, skipped = select_nightly(
                args.repo, args.branch, done, failed, args.budget
            )
            write_hashes(args.out, chosen)
            print(f"{len(fresh)} new commit(s); benchmarking {len(chosen)} (budget {args.budget})")
            for c in skipped:
                print(f"skipped {c[:8]}: recorded as failed ({failed[c].get('reason', '?')})")
            if args.summary:
                with args.summary.open("a") as fh:
                    fh.write(nightly_summary(args.machine, fresh, chosen, skipped, failed))
            if args.github_output:
                github_output({"new": str(len(fresh)), "count": str(len(chosen))})
    except (CommitsError, failed_commits.FailedError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
