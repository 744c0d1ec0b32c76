"""Where does a full build spend its time? Per-phase times from Bengal's own build stats.

Read from the warm in-process clean full build that the one-page edit is compared with (no build
of its own). A phase the commit reports as 0 ms is 0; a phase it does not report at all is
skipped (asv shows n/a) instead of failing.
"""

import driver
from benchmarks.measure import edit_measurement, measure_edits, measure_once, measurement
from benchmarks.profiles import PROFILE
from benchmarks.sites import site_id
from benchmarks.timing import SingleMeasurement


class Phases(SingleMeasurement):
    """Threshold 50%: one value per commit, no statistics; an A/A run of the pr profile on 2
    shared cores moved such values by up to 34%."""

    regression_threshold = 0.5
    setup_cache = staticmethod(measure_edits)
    params = list(driver.PHASES)
    param_names = ("phase",)
    version = "2"

    def setup(self, cache: dict, phase: str) -> None:
        phases = edit_measurement(cache, "incremental", "one_page", "clean_phases_ms")
        if phase not in phases:  # raised in setup, asv records a skip (n/a), not a failure
            raise NotImplementedError(f"this Bengal commit does not report the {phase} phase")

    def track_phase_ms(self, cache: dict, phase: str) -> float:
        return edit_measurement(cache, "incremental", "one_page", "clean_phases_ms")[phase]

    track_phase_ms.unit = "ms"


class ReferencePhases(SingleMeasurement):
    """The same phases as the CLI prints them for each site's one reference build (eras whose CLI
    prints no phase times skip): where the time goes as sites grow.

    Threshold 50%: one value per commit, no statistics; an A/A run of the pr profile on 2 shared
    cores moved such values by up to 34%."""

    regression_threshold = 0.5

    setup_cache = staticmethod(measure_once)
    params = [[site_id(kind, pages) for kind, pages in PROFILE.full_sites], list(driver.PHASES)]
    param_names = ("site", "phase")
    version = "1"

    def setup(self, cache: dict, site: str, phase: str) -> None:
        if phase not in measurement(cache["reference"][site], "phases_ms"):
            raise NotImplementedError(f"this Bengal commit's CLI does not print the {phase} phase")

    def track_cli_phase_ms(self, cache: dict, site: str, phase: str) -> float:
        return measurement(cache["reference"][site], "phases_ms")[phase]

    track_cli_phase_ms.unit = "ms"
