"""asv timing attributes shared by every benchmark of a multi-second Bengal build."""

from __future__ import annotations

from benchmarks.profiles import PROFILE


class MultiSecondBuild:
    """Explicit sampling for builds that take seconds (asv's defaults assume microseconds)."""

    number = 1
    warmup_time = 0
    min_run_count = 1
    repeat = PROFILE.repeat
    rounds = PROFILE.rounds
    timeout = PROFILE.timeout


class SingleMeasurement(MultiSecondBuild):
    """For ``track_``/``peakmem_`` benchmarks: one value per commit, one round."""

    rounds = 1
