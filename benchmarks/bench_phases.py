"""Where does a full build spend its time? Per-phase times from Bengal's own build stats.

Read from the warm in-process clean full build that the one-page edit is compared with (no build
of its own). A phase the commit reports as 0 ms is 0; a phase it does not report at all is
skipped (asv shows n/a) instead of failing.
"""

import driver
from benchmarks.families import builds
from benchmarks.families.builds import measure_edits, measure_once
from benchmarks.profiles import PROFILE
from benchmarks.results import read
from benchmarks.sites import site_id
from benchmarks.timing import SINGLE_MEASUREMENT, SingleMeasurement


class Phases(SingleMeasurement):
    regression_threshold = SINGLE_MEASUREMENT
    setup_cache = staticmethod(measure_edits)
    params = list(driver.PHASES)
    param_names = ("phase",)
    version = "2"

    def track_phase_ms(self, cache: dict, phase: str) -> float:
        return read(builds.clean_phase_ms(cache, phase))

    track_phase_ms.unit = "ms"


class ReferencePhases(SingleMeasurement):
    """The same phases as the CLI prints them for each site's one reference build (eras whose CLI
    prints no phase times skip): where the time goes as sites grow."""

    regression_threshold = SINGLE_MEASUREMENT

    setup_cache = staticmethod(measure_once)
    params = [[site_id(kind, pages) for kind, pages in PROFILE.full_sites], list(driver.PHASES)]
    param_names = ("site", "phase")
    version = "1"

    def track_cli_phase_ms(self, cache: dict, site: str, phase: str) -> float:
        return read(builds.reference_phase_ms(cache, site, phase))

    track_cli_phase_ms.unit = "ms"
