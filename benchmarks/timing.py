"""asv timing attributes shared by every benchmark of a multi-second Bengal build, and the
regression thresholds the classes declare, each beside the evidence behind it.

A threshold is the relative change of one benchmark that counts as a regression
(``regression_threshold``; ``catalogue.thresholds`` writes them into asv.conf.json). The A/A runs
quoted here compared one Bengal commit with itself.
"""

from __future__ import annotations

from benchmarks.profiles import PROFILE

# Timed with asv's samples (``time_``/``timeraw_``): asv's significance test must also find the
# change. No A/A figure: asv's default factor.
SAMPLED = 0.1
# One value per commit, no statistics (``track_`` of a single build or of the medians of a few
# dev-server samples): an A/A run of the pr profile on 2 shared cores moved such values by up
# to 34% (an A/A pair of 0.5.1 builds of the generated sites), so only a larger change counts.
SINGLE_MEASUREMENT = 0.5
# One build's peak RSS (``peakmem_`` and the CLI child's): no A/A figure yet, kept from the first
# config; single builds' RSS moved by a few percent.
PEAK_RSS = 0.05
# HTML pages an incremental rebuild rewrote (speedup families): kept from the first config.
PAGES_REWRITTEN = 0.1
# Instruction counts (cachegrind's Ir total of a one-worker build): an A/A run through asv moved
# counts by at most 0.002%, repeated counts of one build by up to 0.013%.
INSTRUCTIONS = 0.01
# Bytes a build wrote and kept: moved by up to 0.09% A/A (dates; early themes list random pages).
BYTES_WRITTEN = 0.01
# An exact count (missed edits, differing outputs, pages and files written): an A/A pair gives
# the same count, so any change is a finding.
EXACT = 0.0


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
