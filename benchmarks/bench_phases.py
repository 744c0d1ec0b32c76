"""Where does a full build spend its time? Per-phase times from Bengal's own build stats.

Commits that do not report a phase skip it (asv shows n/a) instead of failing.
"""

import driver
from benchmarks.profiles import PROFILE
from benchmarks.sites import fresh_copy
from benchmarks.timing import SingleMeasurement


def measure_phases() -> dict[str, float]:
    """One validated in-process full build; its normalised per-phase times in ms."""
    kind, pages = PROFILE.edit_site
    result = driver.build(fresh_copy(kind, pages, name="phases"), mode="full", via="api")
    return result.stats.get("phases_ms", {})


measure_phases.timeout = PROFILE.timeout


class Phases(SingleMeasurement):
    setup_cache = staticmethod(measure_phases)
    params = list(driver.PHASES)
    param_names = ("phase",)
    version = "1"

    def setup(self, phases: dict, phase: str) -> None:
        if phase not in phases:
            raise NotImplementedError(f"this Bengal commit does not report the {phase} phase")

    def track_phase_ms(self, phases: dict, phase: str) -> float:
        return phases[phase]

    track_phase_ms.unit = "ms"
