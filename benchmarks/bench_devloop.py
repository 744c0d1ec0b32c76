"""The dev loop: how long from saving a file to seeing it in ``bengal serve``?

What is measured, and how, is ``benchmarks.families.devloop`` (``measure_devloop``): time to
first page (cold and warm), a page saved the moment the cold server serves its first page,
pages saved at moments of the window before a cold server settles (``measure_settling``),
save-to-served latency of user edits on a settled server, its growth with the site, and where the
server reports its own rebuilds, their time and pages.

Single values from several samples (``track_``): asv cannot time an event that happens in
another process with ``time_`` while keeping one server for a sample set (it runs ``setup``
before every sample), and the slope needs every size measured together. Each value is the
median of its samples; ``*_spread_s`` is their range.
"""

from __future__ import annotations

from benchmarks.families import devloop
from benchmarks.families.devloop import EDITS, STARTS, measure_devloop, measure_settling
from benchmarks.profiles import PROFILE
from benchmarks.results import read
from benchmarks.timing import EXACT, SINGLE_MEASUREMENT, SingleMeasurement


class DevLoop(SingleMeasurement):
    """Time to first page and save-to-served latency on the first ``devloop_sizes`` site
    (medians of a few dev-server samples: ``SINGLE_MEASUREMENT``)."""

    regression_threshold = SINGLE_MEASUREMENT

    setup_cache = staticmethod(measure_devloop)
    version = "1"

    def track_first_page_s(self, cache: dict, start: str) -> float:
        """``bengal serve`` to the first 200 of the home page carrying its token."""
        return read(devloop.first_page_at(cache, start), "s")

    track_first_page_s.params = list(STARTS)
    track_first_page_s.param_names = ["start"]
    track_first_page_s.unit = "s"

    def track_save_to_served_s(self, cache: dict, edit: str) -> float:
        """Median seconds from the save to the first response carrying the edit."""
        return read(devloop.save_to_served_s(cache, edit))

    track_save_to_served_s.params = list(EDITS)
    track_save_to_served_s.param_names = ["edit"]
    track_save_to_served_s.unit = "s"

    def track_save_to_served_spread_s(self, cache: dict, edit: str) -> float:
        """Range (max - min) of those samples: how far to trust the median."""
        return read(devloop.save_to_served_spread_s(cache, edit))

    track_save_to_served_spread_s.params = list(EDITS)
    track_save_to_served_spread_s.param_names = ["edit"]
    track_save_to_served_spread_s.unit = "s"
    track_save_to_served_spread_s.not_a_regression = True


class DevLoopSaveAtFirstPage(SingleMeasurement):
    """A page saved the moment the cold server serves its first page, on the first
    ``devloop_sizes`` site, without waiting for the server to settle. One sample per commit: a
    single-shot timing (``SINGLE_MEASUREMENT``, like the family), and a counter that must stay 0
    (``EXACT``)."""

    setup_cache = staticmethod(measure_devloop)
    version = "1"
    regression_threshold = SINGLE_MEASUREMENT

    def track_first_page_save_to_served_s(self, cache: dict) -> float:
        """Seconds from that save to the first response carrying it; fails when the server
        dropped the save (``track_first_page_save_missed`` is then 1)."""
        return read(devloop.save_at_first_page_s(cache))

    track_first_page_save_to_served_s.unit = "s"

    def track_first_page_save_missed(self, cache: dict) -> int:
        """1 when the server never served that save (it went idle, or the wait limit passed,
        without it) until another page was saved, else 0."""
        return read(devloop.save_at_first_page_missed(cache))

    track_first_page_save_missed.unit = "saves"
    track_first_page_save_missed.regression_threshold = EXACT


class DevLoopSettling(SingleMeasurement):
    """The settling window: on a cold server of a ``devloop_settling_pages`` site, one page
    saved ``devloop_save_after`` seconds after its first page was served ("settled": once the
    server has settled), a fresh server per moment. One sample per moment and commit: the
    timings are single-shot (``SINGLE_MEASUREMENT``), the count of saves never served must stay
    0 (``EXACT``)."""

    setup_cache = staticmethod(measure_settling)
    version = "1"
    regression_threshold = SINGLE_MEASUREMENT

    def track_settling_save_to_served_s(self, cache: dict, after: str) -> float:
        """Seconds from the save ``after`` seconds after the first page to the first response
        carrying it; fails when the server never served it."""
        return read(devloop.settling_save_to_served_s(cache, after))

    track_settling_save_to_served_s.params = list(PROFILE.devloop_save_after)
    track_settling_save_to_served_s.param_names = ["after"]
    track_settling_save_to_served_s.unit = "s"

    def track_settling_saves_missed(self, cache: dict) -> int:
        """How many of those saves the server never served (it went idle, or the wait limit
        passed, without it)."""
        return read(devloop.settling_saves_missed(cache))

    track_settling_saves_missed.unit = "saves"
    track_settling_saves_missed.regression_threshold = EXACT

    def track_settled_s(self, cache: dict) -> float:
        """Seconds from a cold server's first page until it has settled: its announced work
        done and its log quiet (``driver.serve.DevServer.settle``)."""
        return read(devloop.settled_s(cache))

    track_settled_s.unit = "s"


class DevLoopServerReport(SingleMeasurement):
    """What the dev server itself reported for those edits (where its era reports it; skipped
    where it does not). Medians of a few dev-server samples: ``SINGLE_MEASUREMENT``."""

    regression_threshold = SINGLE_MEASUREMENT

    setup_cache = staticmethod(measure_devloop)
    params = list(EDITS)
    param_names = ("edit",)
    version = "1"

    def track_server_rebuild_s(self, cache: dict, edit: str) -> float:
        """Median rebuild time the server printed (summed when one save caused several)."""
        return read(devloop.server_rebuild_s(cache, edit))

    track_server_rebuild_s.unit = "s"

    def track_server_pages_rebuilt(self, cache: dict, edit: str) -> float:
        """Median pages the server said it rebuilt."""
        return read(devloop.server_reported(cache, edit, "pages_rebuilt"))

    track_server_pages_rebuilt.unit = "pages"

    def track_latency_beyond_rebuild_s(self, cache: dict, edit: str) -> float:
        """Median of latency - reported rebuild time: file watcher, debounce, swapping the
        output in, polling (samples the server reported a rebuild for)."""
        return read(devloop.latency_beyond_rebuild_s(cache, edit))

    track_latency_beyond_rebuild_s.unit = "s"


class DevLoopScaling(SingleMeasurement):
    """Does the one-page save-to-served latency grow with the site? (Medians of a few
    dev-server samples: ``SINGLE_MEASUREMENT``.)"""

    regression_threshold = SINGLE_MEASUREMENT

    setup_cache = staticmethod(measure_devloop)
    version = "1"

    def track_one_page_save_to_served_s(self, cache: dict, pages: int) -> float:
        return read(devloop.one_page_save_to_served_s(cache, pages))

    track_one_page_save_to_served_s.params = list(PROFILE.devloop_sizes)
    track_one_page_save_to_served_s.param_names = ["pages"]
    track_one_page_save_to_served_s.unit = "s"

    def track_save_to_served_exponent(self, cache: dict) -> float:
        """Slope of log(median one-page latency) over log(pages): ≈0 proportional to the edit,
        ≈1 proportional to the site."""
        return read(devloop.save_to_served_exponent(cache))

    track_save_to_served_exponent.unit = "exponent"
