"""The answer a maintainer reads: each culprit with its step, its share of the range's change, the
evidence (changed files, call-count diff), the quiet sub-ranges that could still hide an opposite
pair of steps, and what the probes cost; as Markdown and as JSON. One ``Answer`` per benchmark,
one ``Report`` per bisect (its benchmarks share the probes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.bisect.commits import Commit, probeable_flags
from tools.bisect.probe import Probe
from tools.bisect.search import Outcome, Quiet, Step, may_hide_pair, relative, unprobed

MAX_FILES = 15


@dataclass
class Answer:
    benchmark: str  # asv display name
    target: str  # the bisect's name for it (full, one_page, ...)
    profile: str
    machine: str
    threshold: float
    higher_is_better: bool
    commits: list[Commit]
    outcome: Outcome
    probes: list[Probe]
    call_diffs: dict[int, str] = field(default_factory=dict)  # step's last suspect → Markdown

    @property
    def total(self) -> float:
        """The range's change, bad minus good (absolute)."""
        return self.outcome.values[len(self.commits) - 1] - self.outcome.values[0]

    def share(self, step: Step) -> float:
        """How much of the range's total change this step explains (1.0 = all of it)."""
        delta = step.value_after - step.value_before
        return delta / self.total if self.total else 0.0

    def worse(self, step: Step) -> bool:
        return (step.relative < 0) if self.higher_is_better else (step.relative > 0)

    def hiding(self) -> list[tuple[Quiet, int]]:
        """Quiet sub-ranges that may hide an opposite pair of steps, with their number of
        unprobed changes, most first."""
        flags, values = probeable_flags(self.commits), self.outcome.values
        found = [
            (q, len(unprobed(q, flags, values)))
            for q in self.outcome.quiet
            if may_hide_pair(q, flags, values)
        ]
        return sorted(found, key=lambda x: (-x[1], x[0].before))

    @property
    def unexplained(self) -> float:
        """Change not in any named step, relative to the good commit's value."""
        explained = sum(s.value_after - s.value_before for s in self.outcome.steps)
        return relative(self.outcome.values[0], self.outcome.values[0] + self.total - explained)

    def to_json(self) -> dict[str, Any]:
        c, flags = self.commits, probeable_flags(self.commits)
        return {
            "benchmark": self.benchmark,
            "target": self.target,
            "profile": self.profile,
            "machine": self.machine,
            "threshold": self.threshold,
            "good": _commit(c[0]),
            "bad": _commit(c[-1]),
            "good_value": self.outcome.values[0],
            "bad_value": self.outcome.values[len(c) - 1],
            "total_relative": relative(self.outcome.values[0], self.outcome.values[len(c) - 1]),
            "commits": len(c) - 1,
            "probeable": sum(1 for x in c[1:] if x.probeable),
            "not_probed": [x.sha for x in c[1:] if not x.probeable],
            "steps": [
                {
                    "culprit": c[s.suspects[0]].sha if s.exact else None,
                    "suspects": [_commit(c[i]) for i in s.suspects],
                    "before": c[s.before].sha,
                    "after": c[s.after].sha,
                    "value_before": s.value_before,
                    "value_after": s.value_after,
                    "relative": s.relative,
                    "share_of_total": self.share(s),
                    "regression": self.worse(s),
                    "call_count_diff": self.call_diffs.get(s.suspects[-1], ""),
                }
                for s in self.outcome.steps
            ],
            "quiet": [
                {
                    "before": c[q.before].sha,
                    "after": c[q.after].sha,
                    "value_before": q.value_before,
                    "value_after": q.value_after,
                    "unprobed_changes": len(unprobed(q, flags, self.outcome.values)),
                    "may_hide_pair": may_hide_pair(q, flags, self.outcome.values),
                }
                for q in self.outcome.quiet
            ],
            "unexplained_relative": self.unexplained,
            "skipped": {c[i].sha: why for i, why in self.outcome.skipped.items()},
            "probes": [p.__dict__ for p in self.probes],
            "asv_runs": sum(1 for p in self.probes if not p.stored),
            "probe_seconds": sum(p.seconds for p in self.probes),
        }

    def markdown(self) -> str:
        c, v = self.commits, self.outcome.values
        good, bad = c[0], c[-1]
        total_rel = relative(v[0], v[len(c) - 1])
        regressions = [s for s in self.outcome.steps if self.worse(s)]
        verdict = f"{len(regressions)} regression step(s)" if regressions else "no regression step"
        not_probed = [x for x in c[1:] if not x.probeable]
        runs = [p for p in self.probes if not p.stored]
        lines = [
            f"## Bisect of `{self.benchmark}`: {verdict}",
            "",
            f"`{good.short}` → `{bad.short}`: {_num(v[0])} → {_num(v[len(c) - 1])} "
            f"(**{total_rel:+.2%}**); threshold {self.threshold:.2%} "
            f"({'higher' if self.higher_is_better else 'lower'} is better), profile "
            f"`{self.profile}`, machine `{self.machine}`.",
            f"{len(c) - 1} first-parent commits after the good one; {len(not_probed)} change "
            f"nothing under Bengal's package or its build metadata and were not probed.",
            "",
        ]
        for n, step in enumerate(self.outcome.steps, 1):
            lines += self._step(n, step)
        if not self.outcome.steps:
            lines += ["No step beyond the threshold between the good and the bad commit.", ""]
        if abs(self.unexplained) > self.threshold:
            quiet = ", ".join(
                f"`{c[q.before].short}`..`{c[q.after].short}` "
                f"{relative(q.value_before, q.value_after):+.3%}"
                for q in self.outcome.quiet
                if q.value_after != q.value_before
            )
            lines += [
                f"**Unexplained: {self.unexplained:+.3%}** of the good value is in sub-ranges "
                f"whose own change stays within the threshold (small steps add up): {quiet}.",
                "",
            ]
        else:
            lines += [
                f"The named steps explain the range's change within the threshold "
                f"(unexplained {self.unexplained:+.3%}).",
                "",
            ]
        hiding = self.hiding()
        if hiding:
            ranges = ", ".join(
                f"`{c[q.before].short}`..`{c[q.after].short}` ({n} unprobed change(s))"
                for q, n in hiding
            )
            lines += [
                f"**Quiet sub-ranges that could hide an opposite pair of steps** (a step and its "
                f"reversal between two probes within the threshold): {ranges}. "
                "`--thorough N` probes inside them, the longest first.",
                "",
            ]
        else:
            lines += [
                "No quiet sub-range holds an unprobed change that could hide an opposite pair "
                "of steps.",
                "",
            ]
        if self.outcome.skipped:
            lines += ["**Skipped commits** (not measurable):", ""]
            lines += [
                f"- `{c[i].short}` {c[i].subject}: {why}" for i, why in self.outcome.skipped.items()
            ]
            lines.append("")
        lines += [
            f"**Probes**: {len(runs)} asv run(s), {sum(p.seconds for p in runs) / 60:.1f} min; "
            f"{len(self.probes) - len(runs)} value(s) reused (stored results, or this bisect's "
            "run of the commit for another benchmark). Every run's result is kept in the asv "
            "results (same machine and profile).",
            "",
            "| commit | value | cost |",
            "|---|---:|---:|",
        ]
        by_sha = {x.sha: x for x in c}
        for p in self.probes:
            value = _num(p.value) if p.value is not None else f"skipped: {p.reason}"
            cost = "reused" if p.stored else f"{p.seconds:.0f} s"
            lines.append(f"| `{p.sha[:8]}` {by_sha[p.sha].subject[:60]} | {value} | {cost} |")
        return "\n".join([*lines, ""])

    def _step(self, n: int, step: Step) -> list[str]:
        c = self.commits
        kind = "Regression" if self.worse(step) else "Improvement"
        head = c[step.suspects[-1]]
        if step.exact:
            who = f"**culprit `{head.short}`** {head.subject} ({head.date})"
        else:
            names = ", ".join(f"`{c[i].short}`" for i in step.suspects)
            who = f"**one of {names}** (skipped commits hide the step; see below)"
        out = [
            f"### {kind} {n}: {who}",
            "",
            f"- step: {_num(step.value_before)} → {_num(step.value_after)} "
            f"(**{step.relative:+.2%}**) from `{c[step.before].short}`",
            f"- explains **{self.share(step):.0%}** of the range's change",
        ]
        for i in step.suspects:
            files = c[i].files
            shown = ", ".join(f"`{f}`" for f in files[:MAX_FILES])
            more = f" and {len(files) - MAX_FILES} more" if len(files) > MAX_FILES else ""
            out.append(f"- `{c[i].short}` changed {len(files)} file(s): {shown}{more}")
        diff = self.call_diffs.get(step.suspects[-1])
        if diff:
            out += ["", diff]
        return [*out, ""]


@dataclass
class Report:
    """One bisect of a range: an answer per benchmark, from the same probes."""

    answers: list[Answer]

    @property
    def asv_runs(self) -> list[Probe]:
        """Each asv run once: it is not ``stored`` in the answer whose search started it."""
        return [p for a in self.answers for p in a.probes if not p.stored]

    def to_json(self) -> dict[str, Any]:
        return {
            "answers": [a.to_json() for a in self.answers],
            "asv_runs": len(self.asv_runs),
            "probe_seconds": sum(p.seconds for p in self.asv_runs),
        }

    def markdown(self) -> str:
        if len(self.answers) == 1:
            return self.answers[0].markdown()
        c = self.answers[0].commits
        names = ", ".join(f"`{a.target}`" for a in self.answers)
        head = (
            f"One bisect of `{c[0].short}` → `{c[-1].short}` for {names}: "
            f"{len(self.asv_runs)} asv run(s), "
            f"{sum(p.seconds for p in self.asv_runs) / 60:.1f} min; each run took every "
            "benchmark's number from the same builds.\n\n"
        )
        return head + "\n".join(a.markdown() for a in self.answers)


def _commit(c: Commit) -> dict[str, Any]:
    return {"sha": c.sha, "subject": c.subject, "date": c.date, "files": c.files}


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"
