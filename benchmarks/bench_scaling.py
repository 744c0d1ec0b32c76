"""Scaling: does build time grow linearly with pages, does memory, and does a one-page rebuild
stay proportional to the edit?

The seed question: Bengal's early numbers fell from 141 pages/s at 1K pages to 29 pages/s at 10K.
Memory pressure or algorithm? The ladder's reference CLI builds (``measure_once``, shared with
the full-build family) include interpreter start-up and the theme's fixed asset work; a one-page
site built the same way measures that fixed part, and the exponents are taken over what remains:
the slope of log(C(n) - C(1)) over log(n - 1), where C is the CPU time of the ``bengal`` child
(user + system: the work done, which other load on the machine does not inflate the way it
inflates wall time), and the same for its peak RSS. About 1.0 is linear per-page work; >= 1.2
flags superlinear work; memory growing faster than pages points at memory. Wall times per size
are in ``ScalingLadder``. The arithmetic is ``benchmarks.families.builds``'s.
"""

from benchmarks.families import builds
from benchmarks.families.builds import measure_once
from benchmarks.profiles import PROFILE
from benchmarks.results import read
from benchmarks.timing import PAGES_REWRITTEN, PEAK_RSS, SINGLE_MEASUREMENT, SingleMeasurement


class ScalingExponents(SingleMeasurement):
    regression_threshold = SINGLE_MEASUREMENT
    setup_cache = staticmethod(measure_once)
    version = "2"

    def track_time_exponent(self, cache: dict) -> float:
        """Per-page CPU time exponent (start-up and fixed work removed, see the module)."""
        return read(builds.per_page_exponent(cache, "cpu_s"))

    track_time_exponent.unit = "exponent"

    def track_memory_exponent(self, cache: dict) -> float:
        """Per-page peak RSS exponent of the CLI child (interpreter floor removed)."""
        return read(builds.per_page_exponent(cache, "peak_rss_mb"))

    track_memory_exponent.unit = "exponent"


class ScalingLadder(SingleMeasurement):
    """The curves themselves: build time and the CLI child's peak RSS per site size."""

    regression_threshold = SINGLE_MEASUREMENT

    setup_cache = staticmethod(measure_once)
    params = [1, *PROFILE.ladder]
    param_names = ("pages",)
    version = "2"

    def track_build_seconds(self, cache: dict, pages: int) -> float:
        return read(builds.ladder_build(cache, pages), "wall_s")

    track_build_seconds.unit = "s"

    def track_build_cpu_seconds(self, cache: dict, pages: int) -> float:
        return read(builds.ladder_build(cache, pages), "cpu_s")

    track_build_cpu_seconds.unit = "s"

    def track_peak_rss(self, cache: dict, pages: int) -> float:
        return read(builds.ladder_build(cache, pages), "peak_rss_mb")

    track_peak_rss.unit = "MB"
    track_peak_rss.regression_threshold = PEAK_RSS


class RebuildGrowth(SingleMeasurement):
    """The explicit one-page incremental rebuild (warm process) at growing site sizes."""

    regression_threshold = SINGLE_MEASUREMENT

    setup_cache = staticmethod(measure_once)
    params = list(PROFILE.rebuild_sizes)
    param_names = ("pages",)
    version = "1"

    def track_one_page_rebuild_seconds(self, cache: dict, pages: int) -> float:
        return read(builds.rebuild_growth(cache, pages), "wall_s")

    track_one_page_rebuild_seconds.unit = "s"

    def track_one_page_rebuilt_pages(self, cache: dict, pages: int) -> int:
        """HTML pages the one-page rebuild wrote (should not grow with the site)."""
        return read(builds.rebuild_growth(cache, pages), "rebuilt_pages")

    track_one_page_rebuilt_pages.unit = "pages"
    track_one_page_rebuilt_pages.regression_threshold = PAGES_REWRITTEN


class RebuildGrowthExponent(SingleMeasurement):
    regression_threshold = SINGLE_MEASUREMENT
    setup_cache = staticmethod(measure_once)
    version = "1"

    def track_one_page_rebuild_exponent(self, cache: dict) -> float:
        """Slope of log(one-page rebuild time) over log(pages): ~0 proportional to the edit,
        ~1 proportional to the site."""
        return read(builds.rebuild_growth_exponent(cache))

    track_one_page_rebuild_exponent.unit = "exponent"
