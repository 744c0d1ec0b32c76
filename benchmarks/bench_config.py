"""Config-change detection: does changing the resolved config rebuild everything, once?"""

from benchmarks.common import SingleMeasurement, edit_measurement, measure_once


class ConfigChange(SingleMeasurement):
    """A site-title change must rewrite every page (1 = it did); the no-op build after it must
    rewrite none (Bengal 0.1.0 kept doing full rebuilds after any config change)."""

    setup_cache = staticmethod(measure_once)
    version = "1"

    def track_config_change_rebuilt_all(self, cache: dict) -> int:
        return int(edit_measurement(cache, "incremental", "config", "full_rebuild"))

    track_config_change_rebuilt_all.unit = "bool"

    def track_noop_after_config_change_rebuilt_pages(self, cache: dict) -> int:
        return edit_measurement(cache, "incremental", "config", "noop_after_rebuilt_pages")

    track_noop_after_config_change_rebuilt_pages.unit = "pages"
