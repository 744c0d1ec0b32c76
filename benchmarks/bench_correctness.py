"""Incremental correctness: after each kind of edit, does the rebuilt output carry the edit, and
does it equal a clean full build of the same sources (volatile strings such as build timestamps
normalised)? And does a second in-process full build write every page the first wrote? Every
number here should be 0 (``EXACT``). The files themselves are in
``measure_edits``'s result (``benchmarks.families.builds``)."""

from benchmarks.families import builds
from benchmarks.families.builds import ALL_EDITS, MODES, WORKER_SETTINGS, measure_edits
from benchmarks.results import read
from benchmarks.timing import EXACT, SingleMeasurement


class IncrementalCorrectness(SingleMeasurement):
    regression_threshold = EXACT
    setup_cache = staticmethod(measure_edits)
    exact = True  # a count the runner's load cannot move: the exact tier's
    params = [e for e in ALL_EDITS if e != "noop"]
    param_names = ("edit",)
    version = "1"

    def track_outputs_differing_from_clean_build(self, cache: dict, edit: str) -> int:
        return read(builds.rebuild_after(cache, "incremental", edit), "differing_outputs")

    track_outputs_differing_from_clean_build.unit = "files"

    def track_html_pages_differing_from_clean_build(self, cache: dict, edit: str) -> int:
        """The same, HTML pages only (what readers see; the rest are search/LLM outputs)."""
        return read(builds.rebuild_after(cache, "incremental", edit), "differing_html_pages")

    track_html_pages_differing_from_clean_build.unit = "pages"


class MissedEdits(SingleMeasurement):
    """Outputs that did not get the user's edit although a clean build of the same sources shows
    it (for a stylesheet edit: a written copy of the stylesheet without the new rule), or that
    still serve, link to or list a page the edit deleted: the build silently kept old content.
    0 = fine.
    ``incremental``: the explicit incremental build; ``default``: the plain ``bengal build``."""

    regression_threshold = EXACT

    setup_cache = staticmethod(measure_edits)
    exact = True  # a count the runner's load cannot move: the exact tier's
    params = [list(MODES), [e for e in ALL_EDITS if e != "noop"]]
    param_names = ("mode", "edit")
    version = "1"

    def track_missed_edit_outputs(self, cache: dict, mode: str, edit: str) -> int:
        return read(builds.rebuild_after(cache, mode, edit), "missed_edit_outputs")

    track_missed_edit_outputs.unit = "files"


class SecondFullBuild(SingleMeasurement):
    """Two in-process full builds of a fresh nested-8 site at one path, one after the other in one
    thread, with ``max_workers`` 1 or Bengal's default: the HTML pages the first wrote that the
    second left unwritten. From 0.3.0 on the one-worker second build writes only the special
    pages and raises nothing (docs/findings.md). 0 = fine."""

    regression_threshold = EXACT
    setup_cache = staticmethod(measure_edits)
    exact = True  # a count the runner's load cannot move: the exact tier's
    params = list(WORKER_SETTINGS)
    param_names = ("workers",)
    version = "1"

    def track_pages_left_unwritten(self, cache: dict, workers: str) -> int:
        return read(builds.second_build(cache, workers), "unwritten")

    track_pages_left_unwritten.unit = "pages"
