"""Scaling: does build time grow linearly with pages, and does memory?

The seed question: Bengal's early numbers fell from 141 pages/s at 1K pages to 29 pages/s at 10K.
Memory pressure or algorithm? A time exponent near 1.0 with memory growing like pages says
linear work; a time exponent >= 1.2 flags superlinear work; memory growing faster than pages
(exponent > 1) points at memory. The ladder is measured once per commit (CLI builds, validated)
and read by every benchmark here.
"""

import driver
from benchmarks.measure import log_log_slope
from benchmarks.profiles import PROFILE
from benchmarks.sites import fresh_copy
from benchmarks.timing import SingleMeasurement


def measure_ladder() -> dict[int, dict[str, float]]:
    """Validated CLI full builds of nested sites, smallest first."""
    ladder = {}
    for pages in PROFILE.ladder:
        result = driver.build(fresh_copy("nested", pages, name="ladder"), mode="full", via="cli")
        ladder[pages] = {"wall_s": result.wall_s, "peak_rss_mb": result.peak_rss_mb}
    return ladder


measure_ladder.timeout = PROFILE.prepare_timeout


class ScalingExponents(SingleMeasurement):
    setup_cache = staticmethod(measure_ladder)
    version = "1"

    def track_time_exponent(self, ladder: dict) -> float:
        """Slope of log(build time) over log(pages) across the ladder."""
        sizes = sorted(ladder)
        return log_log_slope(sizes, [ladder[n]["wall_s"] for n in sizes])

    track_time_exponent.unit = "exponent"

    def track_memory_exponent(self, ladder: dict) -> float:
        """Slope of log(peak RSS) over log(pages) across the ladder."""
        sizes = sorted(ladder)
        return log_log_slope(sizes, [ladder[n]["peak_rss_mb"] for n in sizes])

    track_memory_exponent.unit = "exponent"


class ScalingLadder(SingleMeasurement):
    """The curves themselves: build time and the CLI child's peak RSS per site size."""

    setup_cache = staticmethod(measure_ladder)
    params = list(PROFILE.ladder)
    param_names = ("pages",)
    version = "1"

    def track_build_seconds(self, ladder: dict, pages: int) -> float:
        return ladder[pages]["wall_s"]

    track_build_seconds.unit = "s"

    def track_peak_rss(self, ladder: dict, pages: int) -> float:
        return ladder[pages]["peak_rss_mb"]

    track_peak_rss.unit = "MB"
