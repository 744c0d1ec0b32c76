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
are in ``ScalingLadder``.
"""

from benchmarks.measure import log_log_slope, measure_once, measurement
from benchmarks.profiles import PROFILE
from benchmarks.sites import site_id
from benchmarks.timing import SingleMeasurement


def _per_page_exponent(cache: dict, key: str) -> float:
    """Slope of log(value(n) - value(1)) over log(n - 1) across the ladder."""
    base = measurement(cache["reference"][site_id("nested", 1)], key)
    sizes = sorted(PROFILE.ladder)
    extra = [measurement(cache["reference"][site_id("nested", n)], key) - base for n in sizes]
    if min(extra) <= 0:
        raise RuntimeError(
            f"{key} does not grow over the ladder {sizes} beyond the one-page build "
            f"({base:.3g}): differences {[round(e, 3) for e in extra]}"
        )
    return log_log_slope([n - 1 for n in sizes], extra)


class ScalingExponents(SingleMeasurement):
    """Threshold 50%: one value per commit, no statistics; an A/A run of the pr profile on 2
    shared cores moved such values by up to 34%."""

    regression_threshold = 0.5
    setup_cache = staticmethod(measure_once)
    version = "2"

    def track_time_exponent(self, cache: dict) -> float:
        """Per-page CPU time exponent (start-up and fixed work removed, see the module)."""
        return _per_page_exponent(cache, "cpu_s")

    track_time_exponent.unit = "exponent"

    def track_memory_exponent(self, cache: dict) -> float:
        """Per-page peak RSS exponent of the CLI child (interpreter floor removed)."""
        return _per_page_exponent(cache, "peak_rss_mb")

    track_memory_exponent.unit = "exponent"


class ScalingLadder(SingleMeasurement):
    """The curves themselves: build time and the CLI child's peak RSS per site size.

    Threshold 50%: one value per commit, no statistics; an A/A run of the pr profile on 2 shared
    cores moved such values by up to 34%. Peak RSS: 5%."""

    regression_threshold = 0.5

    setup_cache = staticmethod(measure_once)
    params = [1, *PROFILE.ladder]
    param_names = ("pages",)
    version = "2"

    def track_build_seconds(self, cache: dict, pages: int) -> float:
        return measurement(cache["reference"][site_id("nested", pages)], "wall_s")

    track_build_seconds.unit = "s"

    def track_build_cpu_seconds(self, cache: dict, pages: int) -> float:
        return measurement(cache["reference"][site_id("nested", pages)], "cpu_s")

    track_build_cpu_seconds.unit = "s"

    def track_peak_rss(self, cache: dict, pages: int) -> float:
        return measurement(cache["reference"][site_id("nested", pages)], "peak_rss_mb")

    track_peak_rss.unit = "MB"
    track_peak_rss.regression_threshold = 0.05


class RebuildGrowth(SingleMeasurement):
    """The explicit one-page incremental rebuild (warm process) at growing site sizes.

    Threshold 50%: one value per commit, no statistics; an A/A run of the pr profile on 2 shared
    cores moved such values by up to 34%. Pages rewritten: 10%."""

    regression_threshold = 0.5

    setup_cache = staticmethod(measure_once)
    params = list(PROFILE.rebuild_sizes)
    param_names = ("pages",)
    version = "1"

    def track_one_page_rebuild_seconds(self, cache: dict, pages: int) -> float:
        return measurement(cache["rebuild_growth"][pages], "wall_s")

    track_one_page_rebuild_seconds.unit = "s"

    def track_one_page_rebuilt_pages(self, cache: dict, pages: int) -> int:
        """HTML pages the one-page rebuild wrote (should not grow with the site)."""
        return measurement(cache["rebuild_growth"][pages], "rebuilt_pages")

    track_one_page_rebuilt_pages.unit = "pages"
    track_one_page_rebuilt_pages.regression_threshold = 0.1


class RebuildGrowthExponent(SingleMeasurement):
    """Threshold 50%: one value per commit, no statistics; an A/A run of the pr profile on 2
    shared cores moved such values by up to 34%."""

    regression_threshold = 0.5
    setup_cache = staticmethod(measure_once)
    version = "1"

    def track_one_page_rebuild_exponent(self, cache: dict) -> float:
        """Slope of log(one-page rebuild time) over log(pages): ~0 proportional to the edit,
        ~1 proportional to the site."""
        sizes = sorted(PROFILE.rebuild_sizes)
        times = [measurement(cache["rebuild_growth"][n], "wall_s") for n in sizes]
        return log_log_slope(sizes, times)

    track_one_page_rebuild_exponent.unit = "exponent"
