"""Incremental correctness: after each kind of edit, does the incremental output equal a clean
full build of the same sources (volatile strings such as build timestamps normalised)? Every
number here should be 0. The files themselves are in ``measure_once``'s result."""

from benchmarks.measure import edit_measurement, measure_once
from benchmarks.timing import SingleMeasurement
from scenario_gen import EDITS, STRUCTURE_EDITS


class IncrementalCorrectness(SingleMeasurement):
    setup_cache = staticmethod(measure_once)
    params = [e for e in (*EDITS, *STRUCTURE_EDITS) if e != "noop"]
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
