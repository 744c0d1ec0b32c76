"""Incremental builds: does editing one page, a batch, a stylesheet or the config skip work?

Each sample restores the validated built state of one site (untimed), applies one user edit
(untimed) and times only the rebuild. ``prepare_sites`` refuses a built state whose no-op
rebuild is a full build, and every timed rebuild is validated, the edited pages carrying the edit
included, before its number counts.
"""

import driver
from benchmarks.common import (
    CHANGES,
    PROFILE,
    MultiSecondBuild,
    SingleMeasurement,
    edit_and_prepare,
    prepare_sites,
    restore,
    warm_up_in_process,
)


class _Rebuild(MultiSecondBuild):
    """Time the rebuild after one edit; ``mode``/``via`` say which command a user typed."""

    setup_cache = staticmethod(prepare_sites)
    param_names = ("change",)
    version = "1"
    mode = "incremental"
    via = "api"

    def setup(self, reference: dict, change: str) -> None:
        if self.via == "api":
            warm_up_in_process(*PROFILE.edit_site)
        self.build, self.change = edit_and_prepare(change, mode=self.mode, via=self.via)

    def time_rebuild(self, reference: dict, change: str) -> None:
        self.build.run()

    def teardown(self, reference: dict, change: str) -> None:
        if hasattr(self, "build"):
            self.build.verify(change=self.change)
            del self.build


class _RebuildWork(SingleMeasurement):
    """How much faster than a full build is the rebuild, and how many pages did it rewrite?"""

    setup_cache = staticmethod(prepare_sites)
    param_names = ("change",)
    version = "1"
    mode = "incremental"
    via = "api"

    def setup(self, reference: dict, change: str) -> None:
        if self.via == "api":
            warm_up_in_process(*PROFILE.edit_site)

    def _rebuild(self, change: str) -> driver.BuildResult:
        build, edit = edit_and_prepare(change, mode=self.mode, via=self.via)
        build.run()
        return build.verify(change=edit)

    def track_speedup_over_full(self, reference: dict, change: str) -> float:
        """Full-build time / rebuild time, both measured in this process (higher is better)."""
        full = driver.build(restore(*PROFILE.edit_site), mode="full", via=self.via)
        return full.wall_s / self._rebuild(change).wall_s

    track_speedup_over_full.unit = "x"

    def track_rebuilt_pages(self, reference: dict, change: str) -> int:
        """HTML pages the rebuild wrote (a correct no-op writes none)."""
        return self._rebuild(change).html_written

    track_rebuilt_pages.unit = "pages"


class IncrementalBuild(_Rebuild):
    """Explicit incremental build, in-process through Bengal's Python API."""

    params = list(CHANGES)


class IncrementalWork(_RebuildWork):
    __doc__ = _RebuildWork.__doc__
    params = list(CHANGES)


class DefaultCommand(_Rebuild):
    """What users type: the plain ``bengal build`` CLI, which decides on its own whether to reuse
    the cache (eras without auto-detection do a full build: that is what their users got)."""

    params = ["noop", "one_page"]
    mode = "default"
    via = "cli"


class DefaultCommandWork(_RebuildWork):
    __doc__ = _RebuildWork.__doc__
    params = ["noop", "one_page"]
    mode = "default"
    via = "cli"
