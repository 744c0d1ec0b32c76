"""Incremental builds: does editing one page, a batch, a stylesheet or the config skip work?

Timed samples restore the validated built state of one site (untimed), apply one user edit
(untimed) and time only the rebuild, which is then validated, the edited pages carrying the edit
included. The speedup and rebuilt-page counts come from ``measure_edits``
(``benchmarks.families.builds``): the rebuild and a clean full build of the same sources,
measured in the same process.
"""

from benchmarks.families import builds
from benchmarks.families.builds import ALL_EDITS, built_states, measure_edits
from benchmarks.profiles import PROFILE
from benchmarks.results import read
from benchmarks.sites import edit_and_prepare, warm_up_in_process
from benchmarks.timing import (
    PAGES_REWRITTEN,
    SAMPLED,
    SINGLE_MEASUREMENT,
    MultiSecondBuild,
    SingleMeasurement,
)


class _Rebuild(MultiSecondBuild):
    regression_threshold = SAMPLED
    setup_cache = staticmethod(built_states)
    param_names = ("edit",)
    version = "1"
    mode = "incremental"
    via = "api"

    def setup(self, site: str, edit: str) -> None:
        if self.via == "api":
            warm_up_in_process()
        self.build, self.change = edit_and_prepare(edit, mode=self.mode, via=self.via)

    def time_rebuild(self, site: str, edit: str) -> None:
        self.build.run()

    def teardown(self, site: str, edit: str) -> None:
        if hasattr(self, "build"):
            self.build.verify(change=self.change)
            del self.build


class _RebuildWork(SingleMeasurement):
    regression_threshold = SINGLE_MEASUREMENT
    setup_cache = staticmethod(measure_edits)
    param_names = ("edit",)
    version = "1"
    mode = "incremental"

    def track_speedup_over_full(self, cache: dict, edit: str) -> float:
        """Clean full build time / rebuild time, same process (higher is better)."""
        return read(builds.rebuild_after(cache, self.mode, edit), "speedup")

    track_speedup_over_full.unit = "x"
    track_speedup_over_full.higher_is_better = True

    def track_rebuilt_pages(self, cache: dict, edit: str) -> int:
        """HTML pages the rebuild wrote (a correct no-op writes none)."""
        return read(builds.rebuild_after(cache, self.mode, edit), "rebuilt_pages")

    track_rebuilt_pages.unit = "pages"
    track_rebuilt_pages.regression_threshold = PAGES_REWRITTEN

    def track_rebuild_cpu_seconds(self, cache: dict, edit: str) -> float:
        """CPU time (user + system) of the rebuild: of the ``bengal`` child for the CLI, of this
        process for an in-process build."""
        return read(builds.rebuild_after(cache, self.mode, edit), "cpu_s")

    track_rebuild_cpu_seconds.unit = "s"


class IncrementalBuild(_Rebuild):
    """Explicit incremental rebuild, in-process through Bengal's Python API."""

    params = list(PROFILE.timed_edits)


class IncrementalWork(_RebuildWork):
    """Speedup and pages rewritten by the explicit incremental rebuild."""

    params = list(ALL_EDITS)


class DefaultCommand(_Rebuild):
    """What users type: the plain ``bengal build`` CLI, which decides on its own whether to reuse
    the cache (where it does not, this is a full build: that is what its users wait for)."""

    params = list(PROFILE.timed_default_edits) or ["noop"]
    mode = "default"
    via = "cli"

    def setup(self, site: str, edit: str) -> None:
        if edit not in PROFILE.timed_default_edits:
            raise NotImplementedError(f"not timed in the {PROFILE.name} profile (see *Work)")
        super().setup(site, edit)


class DefaultCommandWork(_RebuildWork):
    """Speedup and pages rewritten by the plain ``bengal build`` after an edit."""

    params = list(ALL_EDITS)
    mode = "default"
