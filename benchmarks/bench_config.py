"""Config-change detection: does changing the resolved config rebuild everything, once?"""

from benchmarks.families import builds
from benchmarks.families.builds import measure_edits
from benchmarks.results import read
from benchmarks.timing import EXACT, SingleMeasurement


class ConfigChange(SingleMeasurement):
    """A site-title change must rewrite every page (0 = it did, 1 = it missed some: stale titles);
    the no-op build after it must rewrite none (Bengal 0.1.0 kept doing full rebuilds after any
    config change). Both are lower-is-better, as asv assumes, so any rise is flagged (``EXACT``)."""

    regression_threshold = EXACT

    setup_cache = staticmethod(measure_edits)
    exact = True  # a count the runner's load cannot move: the exact tier's
    version = "1"

    def track_config_change_missed_full_rebuild(self, cache: dict) -> int:
        return read(builds.rebuild_after(cache, "incremental", "config"), "missed_full_rebuild")

    track_config_change_missed_full_rebuild.unit = "bool"

    def track_noop_after_config_change_rebuilt_pages(self, cache: dict) -> int:
        return read(
            builds.rebuild_after(cache, "incremental", "config"), "noop_after_rebuilt_pages"
        )

    track_noop_after_config_change_rebuilt_pages.unit = "pages"
