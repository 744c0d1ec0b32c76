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

Each limit is at least twice the part's measured cost for Bengal 0.5.1 on the development
machine (2 cores; README, "Parts and tiers": the exact tier measured part by part, the scale
tier's parts summed from the nightly profile's end-to-end breakdown), install of the commit
included.

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

TIERS: dict[str, Tier] = {
    "exact": Tier(
        name="exact",
        profile="pr",
        series="exact",
        parts=(
            # measure_instructions: nested-50 under cachegrind, and start-up.
            Part("counts", ("bench_instructions.",), limit_s=40 * MINUTE, cost_s=14 * MINUTE),
            # measure_edits at the pr sites, read only for its exact counters.
            Part(
                "counters",
                ("bench_correctness.", "bench_config."),
                limit_s=40 * MINUTE,
                cost_s=14 * MINUTE,
            ),
        ),
    ),
    "scale": Tier(
        name="scale",
        profile="nightly",
        series="nightly",  # the nightly history's series from before tiers existed
        parts=(
            # Apportioned from 0.5.1's end-to-end breakdown (README) until measured part by part.
            Part("measured", MEASURED, limit_s=110 * MINUTE, cost_s=54 * MINUTE),
            Part("edits", EDITS, limit_s=100 * MINUTE, cost_s=49 * MINUTE),
            Part("timed", TIMED, limit_s=50 * MINUTE, cost_s=23 * MINUTE),
            Part("devloop", ("bench_devloop.",), limit_s=35 * MINUTE, cost_s=15 * MINUTE),
            Part("counts", ("bench_instructions.",), limit_s=30 * MINUTE, cost_s=13 * MINUTE),
            # bench_real: Bengal's own docs (~1,550 pages), one full build and one page edited;
            # one asv run at 0.5.1 took 300 s at low load, 520 s at load ~10.
            Part("real", ("bench_real.",), limit_s=20 * MINUTE, cost_s=9 * MINUTE),
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
    lines = ["| tier | profile | part | benchmarks | cost on 0.5.1 | limit |", "|---" * 6 + "|"]
    for t in TIERS.values():
        for p in t.parts:
            lines.append(
                f"| {t.name} | {t.profile} | {p.name} | `{p.regex.replace('|', chr(92) + '|')}` | "
                f"{p.cost_s / MINUTE:.0f} min | {p.limit_s / MINUTE:.0f} min |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(table())
