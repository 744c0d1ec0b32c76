"""Parallelism: how much faster is the default worker count than one worker?

On GIL CPython the answer shows what threads buy despite the GIL; with a free-threaded 3.14t in
the asv matrix it shows the free-threading win.
"""

from benchmarks.measure import measure_once, measurement
from benchmarks.profiles import PROFILE
from benchmarks.sites import site_id
from benchmarks.timing import SingleMeasurement


class Parallelism(SingleMeasurement):
    """Threshold 50%: one value per commit, no statistics; an A/A run of the pr profile on 2
    shared cores moved such values by up to 34%."""

    regression_threshold = 0.5
    setup_cache = staticmethod(measure_once)
    version = "2"

    def track_default_workers_speedup(self, cache: dict) -> float:
        """One-worker CLI full build time / default-workers CLI full build time (the reference
        build of the edit site), both from the same run."""
        one = measurement(cache["one_worker"], "wall_s")
        return one / measurement(cache["reference"][site_id(*PROFILE.edit_site)], "wall_s")

    track_default_workers_speedup.unit = "x"
    track_default_workers_speedup.higher_is_better = True
