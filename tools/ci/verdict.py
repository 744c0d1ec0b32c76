"""The compare job's verdict, from two exit statuses: ``asv continuous`` and ``tools.report``.

Why: the verdict must not come from grepping logs, and it must say which tool failed and why.
asv 0.6.6's ``continuous`` exits 0 (nothing worse), 1 (worse by its one factor, lower is better;
also any asv error) or 2 (a benchmark failed or timed out at either commit: asv then stops before
comparing). ``tools.report --fail-on regression`` exits 0, 1 (a regression or failure, with each
benchmark's own threshold and direction), 2 (it could not compare the two commits) or 3 (nothing
regressed or failed, but a noisy benchmark is undecided: its samples cannot tell,
``tools.noise``). The factor, when one was given, went to both.

asv also exits 1 when it crashes (an uncaught exception, a user error): ``--asv-log`` is asv's
own output, and an exit status of 1 without asv's closing line of a comparison that got worse
(``PERFORMANCE DECREASED.``) is a ``crash``, as is any status other than 0, 1 and 2 (a kill):
never a pass, whatever tools.report says.

    python -m tools.ci.verdict --asv-rc 0 --report-rc 1 --asv-log asv.log [--factor 1.2]
        [--summary FILE] [--json FILE] [--github-output]

Exit status 0 for ``pass``, 1 for ``regression``, ``undecided``, ``failure``, ``crash`` and
``error``: undecided is never a pass.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from tools.ci import github_output

KINDS = ("pass", "regression", "undecided", "failure", "crash", "error")
REPORT_UNDECIDED = 3  # tools.report --fail-on regression: no regression, something undecided
# asv continuous's closing line when the comparison found a benchmark worse (its exit status 1).
ASV_WORSE = "PERFORMANCE DECREASED."


@dataclass(frozen=True)
class Verdict:
    kind: str  # one of KINDS
    reason: str  # one line: which tool said what


def decide(asv_rc: int, report_rc: int, asv_compared: bool = True) -> Verdict:
    """The verdict for asv continuous's and tools.report's exit statuses; ``asv_compared``:
    whether asv's log ends its comparison with ``ASV_WORSE`` (what its status 1 should mean)."""
    if asv_rc not in (0, 1, 2):
        return Verdict("crash", f"asv continuous exited {asv_rc}: asv itself failed (see its log)")
    if asv_rc == 1 and not asv_compared:
        return Verdict(
            "crash",
            f"asv continuous exited 1 without reporting {ASV_WORSE!r}: asv itself failed "
            "(see its log), whatever tools.report found",
        )
    if report_rc not in (0, 1, REPORT_UNDECIDED):
        who = "asv continuous exited 1 and " if asv_rc == 1 else ""
        return Verdict(
            "error",
            f"{who}tools.report exited {report_rc}: it could not compare the two commits "
            "(no results for one of them?)",
        )
    if asv_rc == 2:
        where = "" if report_rc == 1 else " at the base commit only (tools.report: fixed at head)"
        return Verdict(
            "failure", f"asv continuous exited 2: a benchmark failed or timed out{where}"
        )
    if report_rc == 1:
        return Verdict(
            "regression",
            "tools.report exited 1: a benchmark regressed beyond its threshold "
            f"(asv continuous exited {asv_rc})",
        )
    if report_rc == REPORT_UNDECIDED:
        return Verdict(
            "undecided",
            f"tools.report exited {REPORT_UNDECIDED}: nothing regressed, but a noisy benchmark is "
            "undecided (its samples cannot tell; more interleaved rounds may decide) "
            f"(asv continuous exited {asv_rc})",
        )
    if asv_rc == 1:
        return Verdict(
            "pass",
            "asv continuous exited 1 (one factor, lower is better) but tools.report, which "
            "knows each benchmark's threshold and direction, found no regression",
        )
    return Verdict("pass", "asv continuous and tools.report both exited 0")


def summary(verdict: Verdict, asv_rc: int, report_rc: int, factor: str) -> str:
    """Markdown for the job summary: the verdict, both statuses, the thresholds used."""
    mark = {"pass": "🟢", "undecided": "🟡"}.get(verdict.kind, "🔴")
    thresholds = (
        f"factor {factor} for every benchmark (asv continuous --factor, tools.report --factor)"
        if factor
        else "per benchmark family (`regressions_thresholds` in asv.conf.json)"
    )
    return (
        f"## {mark} Verdict: {verdict.kind}\n\n{verdict.reason}.\n\n"
        f"- `asv continuous`: exit {asv_rc}\n"
        f"- `tools.report --fail-on regression`: exit {report_rc}\n"
        f"- thresholds: {thresholds}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.verdict", description=__doc__)
    parser.add_argument("--asv-rc", required=True, help="exit status of asv continuous")
    parser.add_argument(
        "--report-rc", required=True, help="exit status of tools.report (3: undecided)"
    )
    parser.add_argument("--asv-log", type=Path, help="asv continuous's output (stdout+stderr)")
    parser.add_argument("--factor", default="", help="the factor given to both, if any")
    parser.add_argument("--summary", type=Path, help="append the markdown summary here")
    parser.add_argument("--json", type=Path, help="write {kind, reason, asv_rc, report_rc}")
    parser.add_argument("--github-output", action="store_true", help="verdict=KIND")
    args = parser.parse_args(argv)
    for flag, value in (("--asv-rc", args.asv_rc), ("--report-rc", args.report_rc)):
        if not value.isdigit():
            parser.error(f"{flag} must be an exit status (0-255), got {value!r}")
    asv_rc, report_rc = int(args.asv_rc), int(args.report_rc)
    if asv_rc == 1 and args.asv_log is None:
        parser.error("--asv-log is needed when asv exited 1 (a regression, or a crash)")
    log = args.asv_log.read_text(errors="replace") if args.asv_log and args.asv_log.exists() else ""
    verdict = decide(asv_rc, report_rc, asv_compared=ASV_WORSE in log)
    print(f"verdict: {verdict.kind}: {verdict.reason}")
    if verdict.kind != "pass":
        print(f"::error::{verdict.kind}: {verdict.reason}")
    if args.summary:
        with args.summary.open("a") as fh:
            fh.write(summary(verdict, asv_rc, report_rc, args.factor))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        record = {**asdict(verdict), "asv_rc": asv_rc, "report_rc": report_rc}
        args.json.write_text(json.dumps(record) + "\n")
    if args.github_output and not github_output.write(verdict=verdict.kind):
        return 2
    return 0 if verdict.kind == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
