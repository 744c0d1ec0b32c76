"""A real site beside the generated ones: Bengal's own documentation at the pinned tag.

What is measured, and how, is ``benchmarks.families.real`` (``measure_real``, once per commit
where ``PROFILE.real_site`` asks for it): one CLI full build (wall and CPU time, the child's peak
RSS, pages/s), then one real page edited and rebuilt by the CLI (``--incremental``; its speedup
over that full build, pages rewritten, outputs that miss the edit).

Without a Bengal git repository (a release history built from PyPI sdists has no ``site/``)
every benchmark here is skipped (asv: n/a) with one line that says what to pass.
"""

from __future__ import annotations

from typing import Any

from benchmarks.families import real
from benchmarks.families.real import measure_real
from benchmarks.results import read
from benchmarks.timing import EXACT, PEAK_RSS, SINGLE_MEASUREMENT, SingleMeasurement


class _Real(SingleMeasurement):
    setup_cache = staticmethod(measure_real)
    version = "1"


class RealSiteBuild(_Real):
    """One CLI full build of the real site (about 1,550 pages at v0.5.1): single-shot timings
    (``SINGLE_MEASUREMENT``), peak RSS ``PEAK_RSS``."""

    regression_threshold = SINGLE_MEASUREMENT

    def track_build_seconds(self, cache: dict[str, Any]) -> float:
        return read(real.full_build(cache), "wall_s")

    track_build_seconds.unit = "seconds"

    def track_build_cpu_seconds(self, cache: dict[str, Any]) -> float:
        return read(real.full_build(cache), "cpu_s")

    track_build_cpu_seconds.unit = "seconds"

    def track_build_peak_rss_mb(self, cache: dict[str, Any]) -> float:
        return read(real.full_build(cache), "peak_rss_mb")

    track_build_peak_rss_mb.unit = "MB"
    track_build_peak_rss_mb.regression_threshold = PEAK_RSS

    def track_pages_per_second(self, cache: dict[str, Any]) -> float:
        return read(real.full_build(cache), "pages_per_second")

    track_pages_per_second.unit = "pages/s"
    track_pages_per_second.higher_is_better = True


class RealSiteOnePage(_Real):
    """One real page edited and rebuilt after the full build (``bengal build --incremental``).

    Single-shot timings (``SINGLE_MEASUREMENT``); pages rewritten and outputs that missed the
    edit are exact counters (``EXACT``).
    """

    regression_threshold = SINGLE_MEASUREMENT

    def track_one_page_rebuild_seconds(self, cache: dict[str, Any]) -> float:
        return read(real.one_page(cache), "wall_s")

    track_one_page_rebuild_seconds.unit = "seconds"

    def track_one_page_rebuild_cpu_seconds(self, cache: dict[str, Any]) -> float:
        return read(real.one_page(cache), "cpu_s")

    track_one_page_rebuild_cpu_seconds.unit = "seconds"

    def track_speedup_over_full(self, cache: dict[str, Any]) -> float:
        return read(real.one_page(cache), "speedup")

    track_speedup_over_full.unit = "x"
    track_speedup_over_full.higher_is_better = True

    def track_pages_rewritten(self, cache: dict[str, Any]) -> float:
        return read(real.one_page(cache), "rebuilt_pages")

    track_pages_rewritten.unit = "pages"
    track_pages_rewritten.regression_threshold = EXACT

    def track_missed_edit(self, cache: dict[str, Any]) -> float:
        return read(real.one_page(cache), "missed_edit_outputs")

    track_missed_edit.unit = "outputs"
    track_missed_edit.regression_threshold = EXACT
