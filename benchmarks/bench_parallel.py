"""Parallelism: how much faster is the default worker count than one worker?

On GIL CPython the answer shows what threads buy despite the GIL; with a free-threaded 3.14t in
the asv matrix it shows the free-threading win.
"""

import driver
from benchmarks.profiles import PROFILE
from benchmarks.sites import fresh_copy
from benchmarks.timing import SingleMeasurement


class Parallelism(SingleMeasurement):
    version = "1"

    def track_default_workers_speedup(self) -> float:
        """One-worker CLI full build time / default-workers CLI full build time."""
        kind, pages = PROFILE.edit_site
        one = driver.build(fresh_copy(kind, pages), mode="full", via="cli", workers=1)
        default = driver.build(fresh_copy(kind, pages), mode="full", via="cli")
        return one.wall_s / default.wall_s

    track_default_workers_speedup.unit = "x"
