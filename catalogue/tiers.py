"""The one place that defines the tiers of the history and the parts each commit's run is cut in.

Why parts: asv saves a commit's results only when its ``asv run`` ends, so one run of the whole
suite loses everything when it overruns or its runner is lost. A part is one ``asv run --bench
REGEX`` over the benchmarks that share one ``setup_cache`` (a part that took benchmarks of two
caches would pay for both), with its own time limit: an overrun loses that part only, and asv
adds each part's results to the commit's result file (``Results.load_data``).

Why tiers: the ``nightly`` profile costs hours per commit and Bengal lands about 11 commits a day.
The ``exact`` tier (instruction counts, exact work counters, missed-edit and output-difference
counters, at the ``pr`` profile's sites: numbers that do not depend on the runner's load) is
cheap enough for every commit; the ``scale`` tier (the ``nightly`` profile) runs for the tip and
a sample. Each tier is its own series: its own asv machine name (``scope.machine``).

Each limit is at least twice the part's cost: the larger of Bengal 0.5.1's and a recent main's,
each part measured on its own as a bench job runs it (asv env and install of the commit
included), on the development machine (2 cores, shared: see the comment at ``TIERS`` and
docs/part-costs.md). ``Part.limit`` scales it by the number of pythons of a run.

    python -m catalogue.tiers            # the tiers, their parts, regexes and limits (markdown)
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

import scope
from catalogue import Entry, load


@dataclass(frozen=True)
class Part:
    """One ``asv run`` of a commit: the benchmarks whose ``setup_cache`` is one of ``caches``
    ("" for none), stopped after ``limit_s`` seconds per python."""

    name: str
    caches: tuple[str, ...]
    limit_s: int
    cost_s: int  # measured (install included), the base of limit_s: see the comment at TIERS
    exact_only: bool = False  # only the benchmarks that declare ``exact = True``
    owners: tuple[str, ...] = ()  # named classes instead (a suite without this catalogue)

    def limit(self, pythons: int = 1) -> int:
        """The limit of one run over ``pythons`` environments: asv measures them one after the
        other. 3.14t is assumed to cost about twice 3.14 (not measured: no 3.14t here), so
        "3.14 3.14t" costs ~3x ``cost_s``, under this 2x ``limit_s`` >= 4x ``cost_s``."""
        return self.limit_s * pythons

    @property
    def counts_instructions(self) -> bool:
        """Its benchmarks run valgrind (a runner without it cannot measure this part)."""
        return "measure_instructions" in self.caches

    def takes(self, entry: Entry) -> bool:
        return entry.setup_cache in self.caches and (entry.exact or not self.exact_only)

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The ``module.Class`` (or ``module.function``) names of the catalogue it takes."""
        return self.owners or tuple(sorted({e.owner for e in load() if self.takes(e)}))

    @property
    def regex(self) -> str:
        """asv's ``--bench`` (``re.search`` on ``module.Class.method``, ``(params)`` appended when
        parameterised): exactly these classes or functions, not their namesakes
        (``bench_full.FullBuild`` must not take ``bench_full.FullBuildMemory``)."""
        alts = "|".join(re.escape(p) for p in self.prefixes)
        return f"^(?:{alts})(?:[.(]|$)"


@dataclass(frozen=True)
class Tier:
    """A series of the history (its profile and machine suffix: ``scope.TIERS``) in parts."""

    name: str
    parts: tuple[Part, ...]

    @property
    def profile(self) -> str:
        return scope.tier_scope(self.name).profile

    @property
    def series(self) -> str:
        return scope.tier_scope(self.name).series

    def part(self, name: str) -> Part:
        for part in self.parts:
            if part.name == name:
                return part
        known = ", ".join(p.name for p in self.parts)
        raise KeyError(f"tier {self.name} has no part {name!r} (parts: {known})")


MINUTE = 60

# Costs measured 2026-12-05, each part on its own (python -m tools.ci.bench_commits --part P, a
# fresh asv env and suite cache, python 3.14), for Bengal 0.5.1 (88c29b8a) and main (18a41bd1,
# 2026-08-17), on 2 cores under a load average of 9-13 (other test runs): wall times are
# upper bounds for a quiet runner. cost_s = the larger of the two, rounded up; docs/part-costs.md
# has every run. Each limit is at least 2x its cost, and 2 pythons (3.14 3.14t: ~3x the cost if
# 3.14t costs ~2x, an assumption) still fit GitHub's 360-min job (tests/test_results_workflows.py).
TIERS: dict[str, Tier] = {
    "exact": Tier(
        name="exact",
        parts=(
            # measure_instructions: nested-50 under cachegrind, and start-up. 0.5.1: 1,220 s;
            # main: ~1,305 s (its asv run's end; bench_commits was stopped from outside at 1,111 s).
            Part("counts", ("measure_instructions",), 45 * MINUTE, 22 * MINUTE, exact_only=True),
            # measure_edits at the pr sites, read only for its exact counters. 0.5.1: 1,479 s,
            # main: 1,691 s, both measured with the builds too (measure_once then held both:
            # ~2 min of them at the pr sites).
            Part("counters", ("measure_edits",), 60 * MINUTE, 29 * MINUTE, exact_only=True),
        ),
    ),
    "scale": Tier(
        name="scale",
        parts=(
            # main: 42 min to the one-page rebuilds (its flat-5000 and nested-5000 hit the
            # 900 s build limit, nested-10000 was then skipped), + the one-worker build. A
            # quiet runner that builds nested-5000 may try 10000: also bounded by 900 s.
            Part("measured", ("measure_once",), 95 * MINUTE, 47 * MINUTE),
            # main: 5 of the 7 in-process edits at 1K took 62 min at load ~12-15 (asset and
            # config re-render all 1,000 pages); ~95 min projected for the whole part at that
            # load, on ~2/3 of 0.5.1's CPU per build; 0.5.1's edits took ~47 min in the
            # end-to-end run (docs/local-and-ci.md). The limit is the largest that fits a
            # 2-python job: 2.9x 0.5.1's cost, ~1.5x main's loaded wall.
            Part("edits", ("measure_edits",), 143 * MINUTE, 50 * MINUTE),
            # main: 2,772 s.
            Part("timed", ("", "built_states"), 95 * MINUTE, 47 * MINUTE),
            # 0.5.1: 1,315 s; main: stopped from outside after 860 s (not finished). Both before
            # measure_settling joined (not re-measured: see docs/dev-loop.md for its cost).
            Part("devloop", ("measure_devloop", "measure_settling"), 45 * MINUTE, 22 * MINUTE),
            # 0.5.1: 1,455 s and failed (its nested-200 build under cachegrind dropped a page at
            # this load, so the one-page and no-op counts did not run): ~37 min if complete
            # (their instructions are 54% of the full build's).
            Part("counts", ("measure_instructions",), 75 * MINUTE, 37 * MINUTE),
            # bench_real: Bengal's own docs (~1,550 pages), one full build and one page edited.
            # 0.5.1: 785 s; main: 768 s (failed: Bengal's render deadline expired at this load).
            Part("real", ("measure_real",), 30 * MINUTE, 14 * MINUTE),
        ),
    ),
}


def tier(name: str) -> Tier:
    """The tier called ``name``; KeyError with the known names otherwise."""
    scope.tier_scope(name)
    return TIERS[name]


def parts_of(entry: Entry) -> list[str]:
    """``tier/part`` of every part that runs ``entry``."""
    return [f"{t.name}/{p.name}" for t in TIERS.values() for p in t.parts if p.takes(entry)]


def table() -> str:
    """Markdown: every tier's parts, what they run and their limits."""
    lines = ["| tier | profile | part | benchmarks | cost | limit |", "|---" * 6 + "|"]
    for t in TIERS.values():
        for p in t.parts:
            lines.append(
                f"| {t.name} | {t.profile} | {p.name} | `{p.regex.replace('|', chr(92) + '|')}` | "
                f"{p.cost_s / MINUTE:.0f} min | {p.limit_s / MINUTE:.0f} min |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(table())
