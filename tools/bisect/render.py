"""Render a bisect's answer again from its JSON, trusting only numbers and commit hashes.

Why: the job that bisects runs Bengal's code, which could rewrite anything it uploads. The job
that posts the answer holds a write token, so it rebuilds the Markdown here: commits must be in
the range this job lists itself (its own clone of Bengal: subjects, dates and files come from
there), values must be numbers, reasons are reduced to one plain line, and call-count rows must
have the shape ``tools.flame`` writes. One answer per benchmark, all of one range (with
``--benchmark``: exactly the benchmarks asked for). Anything else is refused with one line
(exit 2).

    python -m tools.bisect.render run/bisect/answer.json --repo bengal-src --out answer.md \
        [--benchmark full,noop,one_page]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

from benchmarks import profiles
from benchmarks.sites import site_id
from tools.bisect.answer import Answer, Report
from tools.bisect.commits import RangeError, first_parent_range
from tools.bisect.probe import Probe, parse_targets, targets
from tools.bisect.search import Outcome, Quiet, Step
from tools.report import data as rd

ROOT = Path(__file__).resolve().parents[2]
MAX_REASON = 200
CALL_ROW = re.compile(r"\| `[\w./<>-]+ [\w<>.-]+` \| [+-]\d+ \| \d+ → \d+ \|")
CALL_HEAD = (
    "#### Call counts",
    "| function | Δ calls | calls",
    "|---|---:|---:|",
    "`ncalls` from cProfile",
    "(no Bengal function changed its call count)",
)


class RenderError(Exception):
    """The JSON is not what tools.bisect writes: one line, exit status 2."""


def rebuild(data: dict[str, Any], repo: Path) -> Answer:
    """The Answer of ``data``, with every commit, number and text checked or re-derived."""
    commits = first_parent_range(repo, _sha(data["good"]["sha"]), _sha(data["bad"]["sha"]))
    index = {c.sha: i for i, c in enumerate(commits)}

    def at(sha: Any) -> int:
        if _sha(sha) not in index:
            raise RenderError(f"{sha!r} is not a first-parent commit of the range")
        return index[sha]

    target = targets().get(data.get("target"))  # type: ignore[arg-type]
    if target is None or data.get("profile") not in profiles.PROFILES:
        raise RenderError(f"unknown benchmark or profile: {data.get('target')!r}")
    name = target.asv_name(site_id(*profiles.PROFILES[data["profile"]].instruction_site))
    if not re.fullmatch(r"[\w.-]+", str(data.get("machine"))):
        raise RenderError(f"not a machine name: {data.get('machine')!r}")
    probes = [
        Probe(
            _sha(p["sha"]),
            None if p["value"] is None else _number(p["value"]),
            _plain(p.get("reason", "")),
            _number(p["seconds"]),
            bool(p["stored"]),
        )
        for p in data["probes"]
    ]
    outcome = Outcome(
        values={at(p.sha): p.value for p in probes if p.value is not None},
        skipped={at(sha): _plain(why) for sha, why in data["skipped"].items()},
    )
    for s in data["steps"]:
        suspects = tuple(at(x["sha"]) for x in s["suspects"])
        step = Step(
            at(s["before"]), at(s["after"]), suspects,
            _number(s["value_before"]), _number(s["value_after"]),
        )  # fmt: skip
        outcome.steps.append(step)
    for q in data.get("quiet", []):
        quiet = Quiet(
            at(q["before"]), at(q["after"]), _number(q["value_before"]), _number(q["value_after"])
        )
        outcome.quiet.append(quiet)
    for end in (0, len(commits) - 1):
        if end not in outcome.values:
            raise RenderError(f"no value for the range's end {commits[end].short}")
    thresholds = rd.load_thresholds(ROOT / "asv.conf.json")
    answer = Answer(
        name, target.name, data["profile"], data["machine"], rd.threshold_of(thresholds, name),
        rd.higher_is_better(name), commits, outcome, probes,
    )  # fmt: skip
    for s in data["steps"]:
        if s.get("call_count_diff"):
            answer.call_diffs[at(s["suspects"][-1]["sha"])] = _calls(s["call_count_diff"])
    return answer


def rebuild_report(data: dict[str, Any], repo: Path, asked: str | None = None) -> Report:
    """The Report of ``data``: every answer rebuilt, one per benchmark, all of one range; with
    ``asked`` (tools.bisect's ``--benchmark``), exactly those benchmarks in that order."""
    answers = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(answers, list) or not 0 < len(answers) <= len(targets()):
        raise RenderError("not a list of answers")
    report = Report([rebuild(a, repo) for a in answers])
    names = [a.target for a in report.answers]
    if len(set(names)) != len(names):
        raise RenderError(f"a benchmark answered twice: {', '.join(names)}")
    ranges = {(a.commits[0].sha, a.commits[-1].sha) for a in report.answers}
    if len(ranges) != 1:
        raise RenderError("answers of different ranges")
    if asked is not None and names != [t.name for t in parse_targets(asked)]:
        raise RenderError(f"answers for {', '.join(names)}, not for {asked!r}")
    return report


def _sha(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{40}", value):
        raise RenderError(f"not a commit hash: {value!r}")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RenderError(f"not a number: {value!r}")
    return float(value)


def _plain(text: Any) -> str:
    """One line of plain text: no Markdown, links, mentions or HTML survive."""
    line = " ".join(str(text).split())[:MAX_REASON]
    return re.sub(r"[`*_\[\]()<>@#|!\\]", " ", line)


def _calls(text: str) -> str:
    """Only the lines of a call-count table that have the shape tools.flame writes."""
    kept = [
        ln
        for ln in text.splitlines()
        if CALL_ROW.fullmatch(ln) or any(ln.startswith(h) for h in CALL_HEAD) or not ln.strip()
    ]
    return "\n".join(kept).strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bisect.render", description=__doc__)
    parser.add_argument("answer", type=Path, help="answer.json of tools.bisect")
    parser.add_argument("--repo", type=Path, required=True, help="this job's own Bengal clone")
    parser.add_argument("--out", type=Path, required=True, help="the Markdown to post")
    parser.add_argument("--benchmark", help="the benchmarks asked for (comma-separated)")
    args = parser.parse_args(argv)
    try:
        data = json.loads(args.answer.read_text())
        answer = rebuild_report(data, args.repo, args.benchmark)
    except (OSError, ValueError, KeyError, TypeError, RenderError, RangeError) as exc:
        print(f"tools.bisect.render: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    args.out.write_text(answer.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
