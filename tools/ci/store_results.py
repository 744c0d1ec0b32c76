"""Put the results of benchmark runs on the results branch: merge, keep the ledger, push, retry.

Why: the jobs that run Bengal hold no write token, so they upload their run directory (asv's
``results/`` and ``tools.ci.bench_commits``' ``status.json``) as an artifact, even when they failed
or timed out; this job, which runs only this repository's stdlib code, stores it. Nightly and
backfill runs may store at the same time: a push that origin rejects because the other one got
there first is redone on the new tip (check out, merge, push), a bounded number of times, instead
of queueing in a concurrency group, where a later run would cancel a pending one and lose it.

    python -m tools.ci.store_results --worktree results-branch --message "nightly (run 42)" \\
        --run-label "nightly 42" --plan plan.json [--ledger] [--suite benchmarks] \\
        [--branch results] [--summary FILE] [--github-output] [RUN_DIR...]

Each RUN_DIR may hold ``results/`` (merged with ``tools.ci.merge_results``: profiles never mix)
and ``status.json``; both may be missing (a run killed before asv saved anything). Only what the
plan selected is taken (``tools.ci.trusted_results``): a RUN_DIR named like one of the plan's
artifacts may hold only that task's commit and machine; every refusal is one line of the summary.
With ``--ledger`` (the nightly's and the backfill's store) each planned part is recorded in
``ledger.json`` (``tools.ci.ledger``): stored, or one failed try, also when its RUN_DIR is missing
(the artifact was lost). A bisect's store gives no ``--ledger``: its probes are never the
nightly's measurement.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import catalogue
from tools.ci import (
    comment_body,
    commits,
    github_output,
    ledger,
    merge_results,
    plan,
    trusted_results,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "ci" / "results_branch.sh"
REJECTED = 3  # results_branch.sh push: origin moved on
GIT_TIMEOUT = 600  # seconds for one checkout or push


class StoreError(Exception):
    """A user-facing failure: one line, exit status 2."""


def branch_script(*args: str) -> int:
    """Run results_branch.sh from the current directory (a clone of this repository)."""
    try:
        return subprocess.run(["bash", str(SCRIPT), *args], timeout=GIT_TIMEOUT).returncode
    except subprocess.TimeoutExpired as exc:
        raise StoreError(f"results_branch.sh {args[0]} took more than {GIT_TIMEOUT} s") from exc


def trust(
    runs: list[Path],
    scratch: Path,
    tasks: list[dict[str, object]],
    suite: Path,
    names_from: Path = catalogue.JSON_PATH,
) -> tuple[list[Path], list[str]]:
    """The runs reduced to what ``tasks`` selected, in ``scratch``; and the refusals. The names
    allowed are the catalogue's (``names_from``), the code of each benchmark ``suite``'s."""
    try:
        names = set(comment_body.allowed_benchmarks(names_from))
    except comment_body.BodyError as exc:
        raise StoreError(str(exc)) from None
    if not names:
        raise StoreError(f"{names_from}: no benchmarks in the catalogue")
    everything = trusted_results.allowed_from_plan(tasks)
    machines = trusted_results.machine_files(tasks)
    by_artifact = {str(t["artifact"]): t for t in tasks}
    if scratch.exists():
        shutil.rmtree(scratch)
    out, lines = [], []
    for i, run in enumerate(runs):
        task = by_artifact.get(run.name)
        allowed = trusted_results.allowed_from_plan([task]) if task else everything
        dest = scratch / f"{i}" / run.name
        dest.mkdir(parents=True)
        lines += trusted_results.filter_run(run, dest, allowed, names, machines, suite)
        out.append(dest)
    return out, lines


def apply_runs(
    worktree: Path, runs: list[Path], label: str, tasks: list[dict[str, object]] | None = None
) -> list[str]:
    """Merge every (trusted) run into the checked-out branch; with the plan's ``tasks`` (a
    nightly or a backfill, never a bisect) record each planned part in ledger.json."""
    lines = []
    # One run whose results cannot be merged (another profile or environment, columns that
    # differ) is refused in one line; the others are stored, and its parts stay to do.
    good: list[Path] = []
    for run in runs:
        tree = run / "results"
        if not (tree / "benchmarks.json").exists():
            good.append(run)
            continue
        try:
            merge_results.merge_trees(worktree / "results", [tree], dry_run=True)
        except merge_results.MergeError as exc:
            lines.append(f"{run.name}: refused, its results cannot be merged: {exc}")
            continue
        good.append(run)
    trees = [r / "results" for r in good if (r / "results" / "benchmarks.json").exists()]
    if trees:
        counts = merge_results.merge_trees(worktree / "results", trees)
        lines += [f"merged {n} result file(s) from {t}" for t, n in zip(trees, counts, strict=True)]
    if tasks:
        path = worktree / ledger.FILE_NAME
        book = ledger.load(path)
        lines += ledger.record(book, tasks, {r.name: r for r in good}, label)
        if book or path.exists():
            ledger.save(path, book)
    return lines


def store(
    worktree: Path,
    runs: list[Path],
    message: str,
    label: str,
    branch: str,
    attempts: int,
    tasks: list[dict[str, object]] | None = None,
) -> tuple[str, list[str]]:
    """Check out, apply, push; again on a rejected push. Returns (branch head or "", lines)."""
    for attempt in range(1, attempts + 1):
        if branch_script("checkout", str(worktree), branch) != 0:
            raise StoreError(f"could not check out the {branch} branch")
        lines = apply_runs(worktree, runs, label, tasks)
        rc = branch_script("push", str(worktree), message, branch)
        if rc == 0:
            head = subprocess.run(
                ["git", "-C", str(worktree), "rev-parse", "--verify", "--quiet", "HEAD"],
                capture_output=True,
                text=True,
            ).stdout.strip()
            return head, lines
        if rc != REJECTED:
            raise StoreError(f"pushing the {branch} branch failed (exit status {rc})")
        print(f"store_results: origin moved on; attempt {attempt + 1} of {attempts}", flush=True)
        time.sleep(min(2**attempt, 30))
    raise StoreError(f"origin's {branch} branch kept moving: gave up after {attempts} attempts")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.store_results", description=__doc__)
    parser.add_argument("--worktree", type=Path, required=True, help="where to check it out")
    parser.add_argument("--branch", default="results")
    parser.add_argument("--message", required=True, help="commit message")
    parser.add_argument("--run-label", required=True, help="names the run in ledger.json")
    parser.add_argument("--attempts", type=int, default=5)
    parser.add_argument("--plan", type=Path, required=True, help="the select job's plan.json")
    parser.add_argument(
        "--suite", type=Path, default=ROOT / "benchmarks", help="the benchmarks' code"
    )
    parser.add_argument(
        "--catalogue", type=Path, default=catalogue.JSON_PATH, help="benchmark names allowed"
    )
    parser.add_argument(
        "--ledger",
        action="store_true",
        help="record each planned part in ledger.json (the nightly and the backfill, never a "
        "bisect); a planned artifact missing from RUN_DIR... is a lost try",
    )
    parser.add_argument("--summary", type=Path, help="append a markdown section here")
    parser.add_argument("--github-output", action="store_true", help="sha=<branch head>")
    parser.add_argument(
        "runs", type=Path, nargs="*", help="run directories, each named by its artifact"
    )
    args = parser.parse_args(argv)
    try:
        if args.github_output and not os.environ.get("GITHUB_OUTPUT"):
            raise StoreError("--github-output given but $GITHUB_OUTPUT is not set")
        if args.attempts < 1:
            raise StoreError(f"--attempts must be >= 1, got {args.attempts}")
        missing = [str(r) for r in args.runs if not r.is_dir()]
        if missing:
            raise StoreError(f"not a directory: {', '.join(missing)}")
        tasks = plan.load(args.plan)
        with tempfile.TemporaryDirectory(prefix="trusted-") as scratch:
            runs, refused = trust(args.runs, Path(scratch), tasks, args.suite, args.catalogue)
            head, lines = store(
                args.worktree,
                runs,
                args.message,
                args.run_label,
                args.branch,
                args.attempts,
                tasks if args.ledger else None,
            )
        lines = refused + lines
    except (
        StoreError,
        merge_results.MergeError,
        ledger.LedgerError,
        commits.CommitsError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    print(f"{args.branch} is at {head or '(nothing stored)'}")
    if args.summary:
        with args.summary.open("a") as fh:
            fh.write(f"### Results branch\n\n`{args.branch}` at `{head[:8] or 'none'}`\n\n")
            fh.write("".join(f"- {line}\n" for line in lines))
    if args.github_output and not github_output.write(sha=head):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
