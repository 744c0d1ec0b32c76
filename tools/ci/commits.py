"""Which Bengal commits a CI job benchmarks: range listing, shard files, bounded nightly selection.

Why explicit scripts instead of asv's ``--steps``: the backfill workflow must hand each runner of
a matrix its own ``HASHFILE:`` and the nightly must stay inside one runner's window however many
commits landed, and both choices should be testable without running asv.

    python -m tools.ci.commits shard --repo R --range v0.1.0..main --shards 4 --out-dir shards/
    python -m tools.ci.commits nightly --repo R --results .asv/results --machine M \
        --branch main --budget 12 --out hashes.txt [--failed failed-commits.json] [--summary F]

Shard files hold one full commit hash per line, oldest first (``asv run HASHFILE:file``); the
nightly's hash file lists the tip first, so that a deadline cuts the oldest commits, not the
newest. ``--github-output`` appends ``key=value`` lines to ``$GITHUB_OUTPUT`` for the workflow.

The nightly retries a commit recorded in ``--failed`` once (``tools.ci.failed_commits``: one
failure is usually the runner's or PyPI's) and skips one that failed in two separate runs: a
commit that can never finish is not picked again every night, where it would block the nights
for good. Both are listed in ``--summary``. ``tools.ci.plan`` selects each tier this way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
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


@dataclass
class Selection:
    """One tier's choice for one night: ``chosen`` newest first (the tip runs first)."""

    fresh: list[str]  # new commits (after the newest with results), oldest first
    chosen: list[str]
    skipped: dict[str, dict]  # failed in two runs: not chosen
    retried: dict[str, dict]  # failed once, no results yet: candidates again


def select(
    repo: Path,
    branch: str,
    done: set[str],
    record: dict[str, dict],
    cap: int,
    *,
    sample: bool = False,
) -> Selection:
    """The commits one tier runs tonight, at most ``cap``.

    Candidates are the new commits and the commits that failed once (wherever they are: a newer
    commit's results must not end their retry), minus those that failed in two runs. ``sample``
    False takes the newest ``cap`` (the exact tier: every commit, newest first); True an even
    sample with the tip (the scale tier).
    """
    if cap < 1:
        raise CommitsError(f"the cap must be >= 1, got {cap}")
    twice = failed_commits.skipped(record)
    once = failed_commits.retried(record)
    done = done - set(record)  # a result file of a failed commit holds no result
    history = list_commits(repo, branch)
    fresh = new_commits(repo, branch, done)
    position = {c: i for i, c in enumerate(history)}
    candidates = {c for c in fresh if c not in twice}
    candidates |= {c for c in once if c in position and c not in done}
    ordered = sorted(candidates, key=position.__getitem__)  # oldest first
    chosen = even_sample(ordered, cap) if sample else ordered[-cap:]
    return Selection(
        fresh=fresh,
        chosen=list(reversed(chosen)),
        skipped={c: twice[c] for c in fresh if c in twice},
        retried={c: once[c] for c in ordered if c in once},
    )


def selection_summary(title: str, machine: str, sel: Selection) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: what was chosen, retried and skipped, and why."""
    lines = [
        f"### {title} on `{machine}`",
        "",
        f"{len(sel.fresh)} new commit(s); benchmarking {len(sel.chosen)}, tip first: "
        + (", ".join(f"`{c[:8]}`" for c in sel.chosen) or "none"),
        "",
    ]
    for label, entries in (
        ("Retried, failed once before", sel.retried),
        ("Skipped, failed in two runs", sel.skipped),
    ):
        if entries:
            lines += [f"{label} ({len(entries)}):", ""]
            lines += [
                f"- `{c[:8]}` ({e.get('kind', 'failed')}): {e.get('reason', '?')} "
                f"(runs: {', '.join(failed_commits.runs_of(e))})"
                for c, e in entries.items()
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
    p = sub.add_parser("nightly", help="NEW commits and retries, newest first, at most --budget")
    p.add_argument("--repo", type=Path, required=True)
    p.add_argument("--results", type=Path, required=True, help="asv results dir")
    p.add_argument("--machine", required=True)
    p.add_argument("--branch", default="main")
    p.add_argument("--budget", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--failed", type=Path, help="failed-commits.json of the results branch")
    p.add_argument("--sample", action="store_true", help="an even sample with the tip")
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
            sel = select(args.repo, args.branch, done, failed, args.budget, sample=args.sample)
            write_hashes(args.out, sel.chosen)
            print(
                f"{len(sel.fresh)} new commit(s); benchmarking {len(sel.chosen)} "
                f"(budget {args.budget})"
            )
            for c, e in sel.skipped.items():
                print(f"skipped {c[:8]}: failed in two runs ({e.get('reason', '?')})")
            if args.summary:
                with args.summary.open("a") as fh:
                    fh.write(selection_summary("Nightly selection", args.machine, sel))
            if args.github_output:
                github_output({"new": str(len(sel.fresh)), "count": str(len(sel.chosen))})
    except (CommitsError, failed_commits.FailedError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
