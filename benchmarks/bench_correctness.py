"""Incremental correctness: after each kind of edit, does the rebuilt output carry the edit, and
does it equal a clean full build of the same sources (volatile strings such as build timestamps
normalised)? And does a second in-process full build write every page the first wrote? Every
number here should be 0. The files themselves are in ``measure_edits``'s result."""

from benchmarks.measure import (
    ALL_EDITS,
    MODES,
    WORKER_SETTINGS,
    edit_measurement,
    measure_edits,
    measurement,
    skip_unmeasured_edit,
)
from benchmarks.timing import SingleMeasurement


class IncrementalCorrectness(SingleMeasurement):
    """Threshold 0: an exact count; an A/A pair gives the same count, so any change is a
    finding."""

    regression_threshold = 0.0
    setup_cache = staticmethod(measure_edits)
    params = [e for e in ALL_EDITS if e != "noop"]
    param_names = ("edit",)
    version = "1"

    def track_outputs_differing_from_clean_build(self, cache: dict, edit: str) -> int:
        return len(edit_measurement(cache, "incremental", edit, "differing"))

    track_outputs_differing_from_clean_build.unit = "files"

    def track_html_pages_differing_from_clean_build(self, cache: dict, edit: str) -> int:
        """The same, HTML pages only (what readers see; the rest are search/LLM outputs)."""
        differing = edit_measurement(cache, "incremental", edit, "differing")
        return sum(1 for rel in differing if rel.endswith(".html"))

    track_html_pages_differing_from_clean_build.unit = "pages"


class MissedEdits(SingleMeasurement):
    """Outputs that did not get the user's edit although a clean build of the same sources shows
    it (for a stylesheet edit: a written copy of the stylesheet without the new rule), or that
    still serve, link to or list a page the edit deleted: the build silently kept old content.
    0 = fine.
    ``incremental``: the explicit incremental build; ``default``: the plain ``bengal build``.

    Threshold 0: an exact count; an A/A pair gives the same count, so any change is a finding."""

    regression_threshold = 0.0

    setup_cache = staticmethod(measure_edits)
    params = [list(MODES), [e for e in ALL_EDITS if e != "noop"]]
    param_names = ("mode", "edit")
    version = "1"

    def setup(self, cache: dict, mode: str, edit: str) -> None:
        skip_unmeasured_edit(cache, mode, edit)

    def track_missed_edit_outputs(self, cache: dict, mode: str, edit: str) -> int:
        return len(edit_measurement(cache, mode, edit, "missed_edit"))

    track_missed_edit_outputs.unit = "files"


class SecondFullBuild(SingleMeasurement):
    """Two in-process full builds of a fresh nested-8 site at one path, one after the other in one
    thread, with ``max_workers`` 1 or Bengal's default: the HTML pages the first wrote that the
    second left unwritten. From 0.5.1 on the one-worker second build writes only the special
    pages and raises nothing (docs/findings.md). 0 = fine.

    Threshold 0: an exact count; an A/A pair gives the same count, so any change is a finding."""

    regression_threshold = 0.0
    setup_cache = staticmethod(measure_edits)
    params = list(WORKER_SETTINGS)
    param_names = ("workers",)
    version = "1"

    def track_pages_left_unwritten(self, cache: dict, workers: str) -> int:
        return measurement(cache["second_build"][workers], "unwritten")

    track_pages_left_unwritten.unit = "pages"
