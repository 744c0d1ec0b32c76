"""Benchmark commits one at a time, each in bounded parts, recording how each part ended.

Why: one ``asv run`` over all selected commits saves each commit's results when that commit is
done, but a commit that hangs takes the whole job down with it and the job's time limit throws
away the status of everything. Here each commit is its own bounded asv run, or, with ``--tier``,
one bounded asv run per part of the tier (``catalogue.tiers``: ``{bench}`` in the command becomes
the part's ``--bench`` regex): a part that exceeds its limit is killed (with every process it
started) and recorded as ``timeout`` while the parts before it keep their saved results. No run
starts or runs past ``--deadline`` (seconds from the start), so the steps that upload and push the
results always get their time. ``status.json`` is rewritten after every change of state, so a
run killed from outside still says which commits and parts finished. Commits run in the order of
``--hashes`` (the selection writes the tip first: the deadline cuts the oldest).

    python -m tools.ci.bench_commits --hashes hashes.txt --status run/status.json \\
        --machine gha-ubuntu-x64-exact --tier exact [--part counts] --deadline 17100 \\
        [--pythons "3.14 3.14t"] -- \\
        python -m tools.asv_local --repo bengal-src --machine-preset gha \\
            --results-dir run/results run '{commit}^!' --bench '{bench}' --show-stderr

``--pythons`` names the pythons the command's asv measures (one after the other): each part's
limit is multiplied by their number.

Without ``--tier``, ``--commit-timeout`` bounds one run of the whole suite per commit.
``{commit}`` in the command is replaced by each full commit hash. States: ``pending``,
``running``, ``ok`` (every benchmark gave a value), ``findings`` (only Bengal's own findings failed
a value: a refused build, a missed edit), ``failed`` (a benchmark failed for the harness's reason:
a missing tool, an asv timeout, a lost server; ``reason`` says which), ``error`` (asv exited
neither 0 nor 2), ``timeout``, ``out-of-time`` (stopped or never started at the deadline),
``interrupted`` (this script was signalled). Each run's output is also kept beside status.json
(``asv-<commit>-<part>.log``), where it is judged. A part that needs valgrind fails at once, in
one line, when there is none. Exit 0 when every run is ``ok`` or ``findings``, else 1; 2 on bad
input.
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import scope
from catalogue import tiers
from driver.processes import stop_tree
from tools.asv_local import summary as asv_summary

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
GRACE_SECONDS = 30.0  # between SIGTERM and SIGKILL when a commit is stopped
# When this script is signalled (a step timeout), the runner kills it for good within seconds.
INTERRUPT_GRACE_SECONDS = 5.0
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
PASSING = ("ok", "findings")  # a finding is Bengal's, a result: the part passes


class BenchError(Exception):
    """A user-facing failure: one line, exit status 2."""


class Interrupted(Exception):
    """This script received SIGTERM or SIGINT."""


def read_hashes(path: Path) -> list[str]:
    try:
        commits = path.read_text().split()
    except OSError as exc:
        raise BenchError(f"cannot read {path}: {exc.strerror}") from exc
    bad = [c for c in commits if not SHA_RE.match(c)]
    if bad:
        raise BenchError(f"{path}: {bad[0]!r} is not a full commit hash")
    return commits


def write_status(path: Path, status: dict) -> None:
    """Replace ``path`` atomically: a kill at any moment leaves the previous or the new state."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(status, indent=1) + "\n")
    tmp.replace(path)


def become_subreaper() -> None:
    """Make orphaned descendants (a Bengal build whose benchmark process died) this process's
    children instead of init's, so that a stopped run's orphans are reaped here
    (``stop_run``). Linux only; elsewhere a no-op."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def stop_run(proc: subprocess.Popen, grace: float) -> None:
    """Stop one asv run with everything it started (``driver.processes.stop_tree``), then reap
    the dead orphans this subreaper inherited from it or from earlier runs."""
    stop_tree(proc, grace)
    if sys.platform != "linux":  # no subreaper there (become_subreaper), no os.waitid on macOS
        return
    while True:
        try:
            dead = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if dead is None:
            return
        os.waitpid(dead.si_pid, 0)


def log_name(entry: dict) -> str:
    return f"asv-{entry['commit'][:12]}-{entry.get('part', 'all')}.log"


def tee(proc: subprocess.Popen, path: Path) -> None:
    """Copy the child's output to this job's log and to ``path`` (judged when it ends)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for line in proc.stdout:  # type: ignore[union-attr]
            sys.stdout.buffer.write(line)
            sys.stdout.flush()
            out.write(line)
            out.flush()


def judge(rc: int, log: Path, results: Path) -> tuple[str, str]:
    """(state, one-line reason) of a finished asv run, from its exit status and its log.

    A benchmark that failed for Bengal's reason (a refused build, a missed edit: a *finding*,
    ``tools.asv_local.summary``) is a result: the part is ``findings`` and passes. Anything else
    (asv crashed, a missing tool, a lost server, an error of this repository's code) is the
    harness's: ``failed`` or ``error``, and the job turns red. asv may exit 0 when only some
    parameters failed, so the log is read whatever the exit status."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        text = ""
    s = asv_summary.summarize(results, text, rc)
    harness = [f for f in s.failures if not f.finding]
    if rc not in (0, 2):
        return "error", f"asv exited {rc}"
    if harness:
        first = harness[0]
        why = first.errors[0] if first.errors else "no error line in the log"
        more = f" (and {len(harness) - 1} more)" if len(harness) > 1 else ""
        return "failed", f"{first.name}: {why}{more}"
    if s.failures:
        return "findings", f"{len(s.failures)} benchmark(s) failed for Bengal's own reason"
    if rc == 2:
        return "failed", "asv exited 2 but its log names no failed benchmark"
    return "ok", ""


def preflight(parts: list[tiers.Part]) -> None:
    """BenchError (one line) when a part needs a tool this runner does not have: the job turns
    red before anything is built, instead of recording counters without counts."""
    counting = [p.name for p in parts if p.counts_instructions]
    if counting and shutil.which("valgrind") is None:
        raise BenchError(
            f"valgrind is not on PATH: the {', '.join(counting)} part counts instructions under "
            "cachegrind (apt-get install valgrind)"
        )


def _on_signal(signum: int, frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


def run_commits(
    commits: list[str],
    command: list[str],
    status_path: Path,
    machine: str,
    commit_timeout: float,
    deadline: float,
    grace: float = GRACE_SECONDS,
    parts: list[tiers.Part] | None = None,
) -> dict:
    """Run ``command`` once per commit, or once per commit and part, in the given order;
    returns the final status."""
    start = time.monotonic()
    if parts:
        entries = [
            {"commit": c, "part": p.name, "state": "pending"} for c in commits for p in parts
        ]
        limits = {p.name: float(p.limit_s) for p in parts}
        regexes = {p.name: p.regex for p in parts}
    else:
        entries = [{"commit": c, "state": "pending"} for c in commits]
        limits, regexes = {}, {}
    status = {"machine": machine, "commit_timeout": commit_timeout, "commits": entries}
    if parts:
        status["part_limits"] = limits
    write_status(status_path, status)
    for entry in entries:
        remaining = deadline - (time.monotonic() - start)
        if remaining <= 0:
            entry["state"] = "out-of-time"
            continue
        own_limit = limits.get(entry.get("part", ""), commit_timeout)
        limit = min(own_limit, remaining)
        entry["state"] = "running"
        write_status(status_path, status)
        argv = [
            arg.replace("{commit}", entry["commit"]).replace(
                "{bench}", regexes.get(entry.get("part", ""), "")
            )
            for arg in command
        ]
        what = entry["commit"][:8] + (f" part {entry['part']}" if "part" in entry else "")
        print(f"bench_commits: {what} (limit {limit:.0f} s)", flush=True)
        began = time.monotonic()
        log_path = status_path.parent / log_name(entry)
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        copier = threading.Thread(target=tee, args=(proc, log_path), daemon=True)
        copier.start()
        try:
            rc = proc.wait(timeout=limit)
            copier.join(timeout=grace)
            entry["state"], entry["reason"] = judge(rc, log_path, status_path.parent / "results")
            entry["returncode"] = rc
        except subprocess.TimeoutExpired:
            stop_run(proc, grace)
            entry["state"] = "timeout" if limit == own_limit else "out-of-time"
        except Interrupted:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, signal.SIG_IGN)  # the cleanup runs to its end
            stop_run(proc, min(grace, INTERRUPT_GRACE_SECONDS))
            entry["state"] = "interrupted"
            entry["seconds"] = round(time.monotonic() - began, 1)
            write_status(status_path, status)
            raise
        entry["seconds"] = round(time.monotonic() - began, 1)
        write_status(status_path, status)
    write_status(status_path, status)
    return status


def summary(status: dict) -> str:
    """A markdown table of the run for ``$GITHUB_STEP_SUMMARY``."""
    lines = [
        f"### Commits benchmarked on `{status['machine']}`",
        "",
        "| commit | part | state | seconds |",
        "|---|---|---|---|",
    ]
    for e in status["commits"]:
        lines.append(
            f"| `{e['commit'][:8]}` | {e.get('part', 'all')} | {e['state']} | "
            f"{e.get('seconds', '')} |"
        )
    return "\n".join(lines) + "\n"


def select_parts(tier: str | None, names: list[str] | None) -> list[tiers.Part]:
    """The parts of ``tier`` named (all when none is); BenchError on an unknown name."""
    if tier is None:
        if names:
            raise BenchError("--part needs --tier")
        return []
    try:
        chosen = tiers.tier(tier)
        return [chosen.part(n) for n in names] if names else list(chosen.parts)
    except KeyError as exc:
        raise BenchError(str(exc.args[0])) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.bench_commits", description=__doc__)
    parser.add_argument("--hashes", type=Path, required=True, help="one full hash a line")
    parser.add_argument("--status", type=Path, required=True, help="status.json to write")
    parser.add_argument("--machine", required=True, help="asv machine name the results go to")
    parser.add_argument("--commit-timeout", type=float, help="seconds, without --tier")
    parser.add_argument("--tier", help="run the parts of this tier (catalogue.tiers)")
    parser.add_argument(
        "--part", action="append", help="only this part of --tier (repeatable; default all)"
    )
    parser.add_argument("--deadline", type=float, required=True, help="seconds from the start")
    parser.add_argument(
        "--pythons",
        default="3.14",
        help="with --tier: the asv pythons each run measures ('3.14 3.14t' doubles each limit)",
    )
    parser.add_argument("--summary", type=Path, help="append a markdown table here")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND with {commit}")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    try:
        if not command or not any("{commit}" in a for a in command):
            raise BenchError("give the command after --, with {commit} where the hash goes")
        parts = select_parts(args.tier, args.part)
        try:
            n = scope.python_count(args.pythons)
        except ValueError as exc:
            raise BenchError(str(exc)) from None
        parts = [dataclasses.replace(p, limit_s=p.limit(n)) for p in parts]
        preflight(parts)
        if parts and not any("{bench}" in a for a in command):
            raise BenchError("with --tier, put {bench} in the command where the part's regex goes")
        if not parts and args.commit_timeout is None:
            raise BenchError("give --tier, or --commit-timeout for one run of the whole suite")
        if (args.commit_timeout is not None and args.commit_timeout <= 0) or args.deadline <= 0:
            raise BenchError("--commit-timeout and --deadline must be positive")
        commits = read_hashes(args.hashes)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _on_signal)
    become_subreaper()
    try:
        status = run_commits(
            commits,
            command,
            args.status,
            args.machine,
            args.commit_timeout or 0.0,
            args.deadline,
            parts=parts,
        )
    except Interrupted as exc:
        print(f"bench_commits: stopped by {exc}", file=sys.stderr)
        return 1
    finally:
        if args.summary and args.status.exists():
            with args.summary.open("a") as fh:
                fh.write(summary(json.loads(args.status.read_text())))
    states = [e["state"] for e in status["commits"]]
    print(f"bench_commits: {', '.join(f'{s} {states.count(s)}' for s in sorted(set(states)))}")
    for e in status["commits"]:
        if e.get("reason"):
            what = f"{e['commit'][:8]} {e.get('part', '')}".strip()
            print(f"bench_commits: {what}: {e['state']}: {e['reason']}")
    return 0 if all(s in PASSING for s in states) else 1


if __name__ == "__main__":
    sys.exit(main())
