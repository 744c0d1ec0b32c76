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
a sample. Each tier is its own series: its own asv machine name (``tools.ci.machine``).

Each limit is at least twice the part's cost: the larger of Bengal 0.5.1's and a recent main's,
each part measured on its own as a bench job runs it (asv env and install of the commit
included), on the development machine (2 cores, shared: see the comment at ``TIERS`` and
docs/part-costs.md). ``Part.limit`` scales it by the number of pythons of a run.

    python -m tools.ci.tiers            # the tiers, their parts, regexes and limits (markdown)
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

TIER_ENV = "BENGAL_BENCH_TIER"
PYTHON = re.compile(r"3\.[0-9]{1,2}t?")  # an asv "pythons" entry: 3.14, or 3.14t free-threaded


def python_count(pythons: str) -> int:
    """How many asv environments one run of a part measures: ``"3.14 3.14t"`` → 2 (asv's
    ``--pythons`` as the workflows pass ``ASV_PYTHONS``); ValueError when it names none."""
    names = set(pythons.replace(",", " ").split())
    if not names or not all(PYTHON.fullmatch(n) for n in names):
        raise ValueError(f"pythons {pythons!r}: expected versions like '3.14' or '3.14 3.14t'")
    return len(names)


@dataclass(frozen=True)
class Part:
    """One ``asv run`` of a commit: the benchmarks of ``prefixes`` (``module.`` or
    ``module.Class``), stopped after ``limit_s`` seconds per python."""

    name: str
    prefixes: tuple[str, ...]
    limit_s: int
    cost_s: int  # measured (install included), the base of limit_s: see the comment at TIERS

    def limit(self, pythons: int = 1) -> int:
        """The limit of one run over ``pythons`` environments: asv measures them one after the
        other. 3.14t is assumed to cost about twice 3.14 (not measured: no 3.14t here), so
        "3.14 3.14t" costs ~3x ``cost_s``, under this 2x ``limit_s`` >= 4x ``cost_s``."""
        return self.limit_s * pythons

    @property
    def regex(self) -> str:
        """asv's ``--bench`` (``re.search`` on ``module.Class.method``, ``(params)`` appended when
        parameterised): exactly these modules, classes or functions, not their namesakes
        (``bench_full.FullBuild`` must not take ``bench_full.FullBuildMemory``)."""
        alts = "|".join(re.escape(p.rstrip(".")) for p in self.prefixes)
        return f"^(?:{alts})(?:[.(]|$)"


@dataclass(frozen=True)
class Tier:
    """A series of the history: which profile, under which machine suffix, in which parts."""

    name: str
    profile: str
    series: str  # the asv machine name's suffix (tools.ci.machine)
    parts: tuple[Part, ...]

    def part(self, name: str) -> Part:
        for part in self.parts:
            if part.name == name:
                return part
        known = ", ".join(p.name for p in self.parts)
        raise KeyError(f"tier {self.name} has no part {name!r} (parts: {known})")


MINUTE = 60
# The benchmarks that read measure_once (benchmarks/measure.py): one CLI build per site, the
# ladder, the one-page rebuild per size, the one-worker build.
MEASURED = (
    "bench_full.FullBuildReference",
    "bench_parallel.Parallelism",
    "bench_phases.ReferencePhases",
    "bench_scaling.ScalingExponents",
    "bench_scaling.ScalingLadder",
    "bench_scaling.RebuildGrowth",
    "bench_scaling.RebuildGrowthExponent",
)
# The benchmarks that read measure_edits: every edit, in-process and with the plain CLI build,
# against a clean build. Split from MEASURED so that each fits a job with 3.14t too.
EDITS = (
    "bench_config.ConfigChange",
    "bench_correctness.IncrementalCorrectness",
    "bench_correctness.MissedEdits",
    "bench_correctness.SecondFullBuild",
    "bench_incremental.IncrementalWork",
    "bench_incremental.DefaultCommandWork",
    "bench_phases.Phases",
)
# Timed with asv's samples (their own setup, or built_states).
TIMED = (
    "bench_full.FullBuild",
    "bench_full.FullBuildMemory",
    "bench_incremental.IncrementalBuild",
    "bench_incremental.DefaultCommand",
    "bench_startup.",
)

# Costs measured 2026-12-05, each part on its own (python -m tools.ci.bench_commits --part P, a
# fresh asv env and suite cache, python 3.14), for Bengal 0.5.1 (88c29b8a) and main (18a41bd1,
# 2026-08-17), on 2 cores under a load average of 9-13 (other test runs): wall times are
# upper bounds for a quiet runner. cost_s = the larger of the two, rounded up; docs/part-costs.md
# has every run. Each limit is at least 2x its cost, and 2 pythons (3.14 3.14t: ~3x the cost if
# 3.14t costs ~2x, an assumption) still fit GitHub's 360-min job (tests/test_results_workflows.py).
TIERS: dict[str, Tier] = {
    "exact": Tier(
        name="exact",
        profile="pr",
        series="exact",
        parts=(
            # measure_instructions: nested-50 under cachegrind, and start-up. 0.5.1: 1,220 s;
            # main: ~1,305 s (its asv run's end; bench_commits was stopped from outside at 1,111 s).
            Part("counts", ("bench_instructions.",), limit_s=45 * MINUTE, cost_s=22 * MINUTE),
            # measure_edits at the pr sites, read only for its exact counters. 0.5.1: 1,479 s,
            # main: 1,691 s, both measured with the builds too (measure_once then held both:
            # ~2 min of them at the pr sites).
            Part(
                "counters",
                ("bench_correctness.", "bench_config."),
                limit_s=60 * MINUTE,
                cost_s=29 * MINUTE,
            ),
        ),
    ),
    "scale": Tier(
        name="scale",
        profile="nightly",
        series="nightly",  # the nightly history's series from before tiers existed
        parts=(
            # main: 42 min to the one-page rebuilds (its flat-5000 and nested-5000 hit the
            # 900 s build limit, nested-10000 was then skipped), + the one-worker build. A
            # quiet runner that builds nested-5000 may try 10000: also bounded by 900 s.
            Part("measured", MEASURED, limit_s=95 * MINUTE, cost_s=47 * MINUTE),
            # main: 5 of the 7 in-process edits at 1K took 62 min at load ~12-15 (asset and
            # config re-render all 1,000 pages); ~95 min projected for the whole part at that
            # load, on ~2/3 of 0.5.1's CPU per build; 0.5.1's edits took ~47 min in the
            # end-to-end run (docs/local-and-ci.md). The limit is the largest that fits a
            # 2-python job: 2.9x 0.5.1's cost, ~1.5x main's loaded wall.
            Part("edits", EDITS, limit_s=143 * MINUTE, cost_s=50 * MINUTE),
            # main: 2,772 s.
            Part("timed", TIMED, limit_s=95 * MINUTE, cost_s=47 * MINUTE),
            # 0.5.1: 1,315 s; main: stopped from outside after 860 s (not finished).
            Part("devloop", ("bench_devloop.",), limit_s=45 * MINUTE, cost_s=22 * MINUTE),
            # 0.5.1: 1,455 s and failed (its nested-200 build under cachegrind dropped a page at
            # this load, so the one-page and no-op counts did not run): ~37 min if complete
            # (their instructions are 54% of the full build's).
            Part("counts", ("bench_instructions.",), limit_s=75 * MINUTE, cost_s=37 * MINUTE),
            # bench_real: Bengal's own docs (~1,550 pages), one full build and one page edited.
            # 0.5.1: 785 s; main: 768 s (failed: Bengal's render deadline expired at this load).
            Part("real", ("bench_real.",), limit_s=30 * MINUTE, cost_s=14 * MINUTE),
        ),
    ),
}


def tier(name: str) -> Tier:
    """The tier called ``name``; KeyError with the known names otherwise."""
    if name not in TIERS:
        raise KeyError(f"unknown tier {name!r} (tiers: {', '.join(TIERS)})")
    return TIERS[name]


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
