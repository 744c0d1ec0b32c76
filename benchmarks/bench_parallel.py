"""Parallelism: how much faster is the default worker count than one worker?

On GIL CPython the answer shows what threads buy despite the GIL; with a free-threaded 3.14t in
the asv matrix it shows the free-threading win.
"""

from benchmarks.families import builds
from benchmarks.families.builds import measure_once
from benchmarks.results import read
from benchmarks.timing import SINGLE_MEASUREMENT, SingleMeasurement


class Parallelism(SingleMeasurement):
    regression_threshold = SINGLE_MEASUREMENT
    setup_cache = staticmethod(measure_once)
    version = "2"

    def track_default_workers_speedup(self, cache: dict) -> float:
        """One-worker CLI full build time / default-workers CLI full build time (the reference
        build of the edit site), both from the same run."""
        return read(builds.default_workers_speedup(cache))

    track_default_workers_speedup.unit = "x"
    track_default_workers_speedup.higher_is_better = True
