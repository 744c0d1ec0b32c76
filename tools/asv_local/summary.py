"""The end of `make bench`: what was recorded, what failed and why, where the site is.

    python -m tools.asv_local.summary --log .asv/bench.log --asv-rc 2 [--results .asv/results]

A failed benchmark is a *finding* when Bengal did something wrong (a build or the dev server
failed, an edit was missed, Bengal's own log reports a problem: the driver raises ``BuildFailed``,
``ServerFailed``, ``CliBroken`` or ``InstructionsFailed`` for those) and a *harness failure*
otherwise (asv's timeout, a missing tool, an error in this repository's code, an install that
failed). asv's results say which benchmarks failed; its log (``--show-stderr``) says why.

Exit status: 0 every benchmark gave a value (or was skipped: n/a); 1 only findings failed
(the run worked, the findings are results); 2 the harness failed (asv crashed, or a benchmark
failed for a reason that is not Bengal's).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools.report import data as rd

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = re.compile(r"^asv: benchmark timed out")
FINDING = re.compile(
    r"\b(?:BuildFailed|ServerFailed|CliBroken|InstructionsFailed)\b|the rebuild missed the edit"
)
HARNESS_DESPITE_FINDING = re.compile(r"valgrind is not on PATH|ValgrindMissing|InstallError")
# asv shortens a long name to "...its end" (e.g. "...ntal.IncrementalWork.track_x").
BENCH_LINE = re.compile(
    r"^\[\s*[\d.]+%\] ·{3} ((?:\.\.\.)?[\w.]*\w\.(?:time|timeraw|mem|peakmem|track)_\w*)\s"
)
COMMIT_LINE = re.compile(r"^\[\s*[\d.]+%\] · For \S+ commit ([0-9a-f]{8})")
PREFIX = re.compile(r"^\[\s*[\d.]+%\] ·+ ")


@dataclass
class Failure:
    name: str  # asv benchmark name
    failed: int  # parameter combinations that failed, over the run's commits
    errors: list[str] = field(default_factory=list)  # distinct error lines from the log

    @property
    def finding(self) -> bool:
        return bool(self.errors) and all(
            FINDING.search(e) and not HARNESS_DESPITE_FINDING.search(e) for e in self.errors
        )


def errors_by_benchmark(log: str) -> tuple[dict[str, list[str]], list[str]]:
    """(benchmark -> distinct error lines, the commits the log ran) from asv's console log.

    An error line is a traceback's exception line (the first line back at the column of its
    ``Traceback`` line: a multi-line message's later lines, e.g. Bengal's log quoted in a
    ``BuildFailed``, are not errors of their own) or asv's own verdict (a timeout)."""
    found: dict[str, list[str]] = {}
    commits: list[str] = []
    current: str | None = None
    traceback_col: int | None = None

    def record(line: str) -> None:
        if current and line not in (errors := found.setdefault(current, [])):
            errors.append(line)

    for raw in log.splitlines():
        if m := COMMIT_LINE.match(raw):
            commits.append(m.group(1))
        if m := BENCH_LINE.match(raw):
            current, traceback_col = m.group(1), None
            continue
        if (col := raw.find("Traceback (most recent call last):")) >= 0:
            traceback_col = col
            continue
        text = raw.lstrip(" ")
        if traceback_col is not None and text and len(raw) - len(text) == traceback_col:
            record(text.rstrip())
            traceback_col = None
        elif TIMEOUT.match(line := PREFIX.sub("", raw).strip()):
            record(line)
    return found, commits


@dataclass
class Summary:
    commits: list[str]
    values: int
    skipped: int
    failures: list[Failure]
    asv_rc: int

    @property
    def status(self) -> int:
        if self.asv_rc not in (0, 2) or any(not f.finding for f in self.failures):
            return 2
        return 1 if self.failures else 0


def summarize(results: Path, log: str, asv_rc: int) -> Summary:
    errors, ran = errors_by_benchmark(log)
    if not (results / "benchmarks.json").is_file():
        return Summary(ran, 0, 0, [], asv_rc if asv_rc else 2)
    machine = max(
        rd.machines(results), key=lambda m: max(p.stat().st_mtime for p in (results / m).iterdir())
    )
    rs = rd.load(results, machine)
    commits = [c for c in rs.commits if any(c.sha.startswith(s) for s in ran)] or rs.commits[-1:]
    values = skipped = 0
    failed: dict[str, int] = {}
    for commit in commits:
        for m in commit.measurements.values():
            if m.failed:
                failed[m.key] = failed.get(m.key, 0) + 1
            elif m.skipped:
                skipped += 1
            else:
                values += 1
    failures = [Failure(k, n, _errors_of(k, errors)) for k, n in sorted(failed.items())]
    return Summary([c.label for c in commits], values, skipped, failures, asv_rc)


def _errors_of(key: str, errors: dict[str, list[str]]) -> list[str]:
    """The error lines logged under ``key``, or under asv's shortened form of it."""
    return [
        line
        for name, lines in errors.items()
        if name == key or (name.startswith("...") and key.endswith(name[3:]))
        for line in lines
    ]


def render(s: Summary, html: Path) -> str:
    findings = [f for f in s.failures if f.finding]
    harness = [f for f in s.failures if not f.finding]
    lines = [
        "",
        "== make bench: summary ==",
        f"commits: {', '.join(s.commits) or 'none'}",
        f"values recorded: {s.values}; skipped (n/a: not measurable at that commit): {s.skipped}",
    ]
    if findings:
        lines.append(f"FINDINGS: {len(findings)} benchmarks failed because Bengal did "
                     "something wrong (by design: a wrong result is not a number):")  # fmt: skip
        lines += [f"  - {f.name} ({f.failed} failed): {f.errors[0][:200]}" for f in findings]
    if harness:
        lines.append(f"HARNESS FAILURES: {len(harness)} benchmarks failed for reasons that "
                     "are not Bengal's (fix the machine or this repository):")  # fmt: skip
        lines += [
            f"  - {f.name} ({f.failed} failed): {(f.errors or ['no error in the log'])[0][:200]}"
            for f in harness
        ]
    if s.asv_rc not in (0, 2):
        lines.append(f"HARNESS FAILURE: asv itself exited with status {s.asv_rc} (see its log)")
    lines += [
        f"asv site: {html}",
        "open it with:  .venv/bin/python -m tools.asv_local preview   (then http://127.0.0.1:8080)",
        {
            0: "exit status 0: every benchmark gave a value",
            1: "exit status 1: only Bengal's findings failed; the run itself worked",
            2: "exit status 2: the harness failed (see HARNESS above)",
        }[s.status],
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.asv_local.summary", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--log", type=Path, required=True, help="asv run's console output")
    parser.add_argument("--asv-rc", type=int, required=True, help="asv run's exit status")
    parser.add_argument("--results", type=Path, default=ROOT / ".asv" / "results")
    parser.add_argument("--html", type=Path, default=ROOT / ".asv" / "html")
    args = parser.parse_args(argv)
    log = args.log.read_text(errors="replace") if args.log.is_file() else ""
    try:
        summary = summarize(args.results, log, args.asv_rc)
    except rd.ReportError as exc:
        print(f"tools.asv_local.summary: error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render(summary, args.html))
    return summary.status


if __name__ == "__main__":
    sys.exit(main())
