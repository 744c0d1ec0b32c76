"""The dev loop: how long from saving a file to seeing it in ``bengal serve``?

Everything is reached over HTTP on 127.0.0.1, like a browser does (``driver.serve``):

- time to first page: from starting ``bengal serve`` to the first 200 of the home page carrying
  its token; cold (never built) and warm (restarted on the site the first server left);
- a page saved the moment the cold server serves its first page (not settled: an author who
  edits right away): is it served, and when? A server that drops it (never serves it until
  another save) counts a missed save;
- save-to-served latency: on a started, settled server (neither timed), save one user edit (one
  page, the site's stylesheet, a new page), then poll its URL until the body carries the edit;
  several samples per commit, each a new edit, the same server for a sample set;
- does it grow with the site? the one-page latency at every ``devloop_sizes`` and its log-log
  slope (≈0: proportional to the edit; ≈1: proportional to the site);
- where the server reports its own rebuilds, their time and pages beside the latency, so the
  fixed part (file watcher, debounce, polling) can be told from build work.

Single values from several samples (``track_``): asv cannot time an event that happens in
another process with ``time_`` while keeping one server for a sample set (it runs ``setup``
before every sample), and the slope needs every size measured together. Each value is the
median of its samples; ``*_spread_s`` is their range.
"""

from __future__ import annotations

import os
import shutil
import statistics
from pathlib import Path
from typing import Any

from benchmarks.measure import log_log_slope
from benchmarks.profiles import PROFILE
from benchmarks.sites import fresh_copy
from benchmarks.timing import SingleMeasurement
from driver import serve

KIND = "nested"
EDITS = ("one_page", "asset", "add_page")
STARTS = ("cold", "warm")


def _sites(pages: int) -> tuple[Path, serve.Editor]:
    """A never-built site to serve (its own copy of every file: it is saved into in place) and
    the editor whose shadow working copy holds scenario_gen's bookkeeping."""
    shadow = fresh_copy(KIND, pages, name="devloop-shadow")
    served = shadow.with_name("devloop")
    shutil.rmtree(served, ignore_errors=True)
    shutil.copytree(shadow, served)
    return served, serve.Editor(served, shadow)


def _error(exc: Exception) -> dict[str, str]:
    return {"error": f"{type(exc).__name__}: {exc}"}


def _sample_set(
    server: serve.DevServer, editor: serve.Editor, edit: str, n: int, pages: int
) -> dict[str, Any]:
    salt = f"{os.getpid()}-{pages}-{edit}"
    return {"samples": [serve.measure_edit(server, editor, edit, f"{salt}-{i}") for i in range(n)]}


def measure_devloop() -> dict[str, Any]:
    """setup_cache: every dev-loop sample of this commit; a failure is kept per measurement."""
    first_page: dict[str, Any] = {}
    first_page_save: dict[str, Any] = {}
    edits: dict[str, Any] = {}
    one_page: dict[int, Any] = {}
    wait = PROFILE.devloop_wait_s
    for pages in PROFILE.devloop_sizes:
        main = pages == PROFILE.devloop_sizes[0]
        todo = {"one_page": PROFILE.devloop_samples}
        if main:
            todo.update(dict.fromkeys(EDITS[1:], PROFILE.devloop_other_samples))
        results: dict[str, Any] = {}
        try:
            served, editor = _sites(pages)
            with serve.DevServer(served, wait_s=wait) as server:
                if main:
                    first_page["cold"] = {"s": server.first_page_s}
                    try:  # now, before anything settles the server
                        first_page_save = serve.measure_save_at_first_page(
                            server, editor, f"{os.getpid()}-{pages}"
                        )
                    except serve.ServerFailed as exc:
                        first_page_save = _error(exc)
                        server.settle()
                for edit, n in todo.items():
                    try:
                        results[edit] = _sample_set(server, editor, edit, n, pages)
                    except serve.ServerFailed as exc:  # lost edit: this edit's finding
                        results[edit] = _error(exc)
                        server.settle()
        except Exception as exc:  # the server did not start, or got stuck
            for edit in todo:
                results.setdefault(edit, _error(exc))
            if main:
                first_page.setdefault("cold", _error(exc))
                first_page_save = first_page_save or _error(exc)
        one_page[pages] = results["one_page"]
        if not main:
            continue
        edits.update(results)
        if "error" in first_page["cold"]:
            first_page["warm"] = {"error": f"no warm start: {first_page['cold']['error']}"}
            continue
        try:  # restarted on the site, cache and output, the first server left
            with serve.DevServer(served, wait_s=wait) as server:
                first_page["warm"] = {"s": server.first_page_s}
        except Exception as exc:
            first_page["warm"] = _error(exc)
    return {
        "first_page": first_page,
        "first_page_save": first_page_save,
        "edits": edits,
        "one_page": one_page,
    }


measure_devloop.timeout = PROFILE.prepare_timeout


def _get(m: dict[str, Any]) -> dict[str, Any]:
    """A measurement, or what went wrong raised."""
    if "error" in m:
        raise RuntimeError(m["error"])
    return m


def _latencies(m: dict[str, Any]) -> list[float]:
    return [s["latency_s"] for s in _get(m)["samples"]]


def _reported(m: dict[str, Any], key: str) -> list[float]:
    """The server's own figure ``key`` of every sample where it reported one; skips (asv: n/a)
    the benchmark when this commit's server reported none."""
    values = [s[key] for s in _get(m)["samples"] if key in s]
    if not values:
        raise NotImplementedError(f"this Bengal's dev server reports no {key} for this edit")
    return values


class DevLoop(SingleMeasurement):
    """Time to first page and save-to-served latency on the first ``devloop_sizes`` site.

    Threshold 50%: medians of a few dev-server samples on shared cores (A/A as the single-shot
    timings: up to 34%)."""

    regression_threshold = 0.5

    setup_cache = staticmethod(measure_devloop)
    version = "1"

    def track_first_page_s(self, cache: dict, start: str) -> float:
        """``bengal serve`` to the first 200 of the home page carrying its token."""
        return _get(cache["first_page"][start])["s"]

    track_first_page_s.params = list(STARTS)
    track_first_page_s.param_names = ["start"]
    track_first_page_s.unit = "s"

    def track_save_to_served_s(self, cache: dict, edit: str) -> float:
        """Median seconds from the save to the first response carrying the edit."""
        return statistics.median(_latencies(cache["edits"][edit]))

    track_save_to_served_s.params = list(EDITS)
    track_save_to_served_s.param_names = ["edit"]
    track_save_to_served_s.unit = "s"

    def track_save_to_served_spread_s(self, cache: dict, edit: str) -> float:
        """Range (max - min) of those samples: how far to trust the median."""
        samples = _latencies(cache["edits"][edit])
        return max(samples) - min(samples)

    track_save_to_served_spread_s.params = list(EDITS)
    track_save_to_served_spread_s.param_names = ["edit"]
    track_save_to_served_spread_s.unit = "s"
    track_save_to_served_spread_s.not_a_regression = True


class DevLoopSaveAtFirstPage(SingleMeasurement):
    """A page saved the moment the cold server serves its first page, on the first
    ``devloop_sizes`` site, without waiting for the server to settle. One sample per commit: a
    single-shot timing (50%, like the family), and a counter that must stay 0."""

    setup_cache = staticmethod(measure_devloop)
    version = "1"
    regression_threshold = 0.5

    def track_first_page_save_to_served_s(self, cache: dict) -> float:
        """Seconds from that save to the first response carrying it; fails when the server
        dropped the save (``track_first_page_save_missed`` is then 1)."""
        m = _get(cache["first_page_save"])
        if m["missed"]:
            raise RuntimeError(
                "the page saved as the first page was served was never served until another "
                f"page was saved ({m['after_next_save']} after that save)"
            )
        return m["latency_s"]

    track_first_page_save_to_served_s.unit = "s"

    def track_first_page_save_missed(self, cache: dict) -> int:
        """1 when the server never served that save (it went idle, or the wait limit passed,
        without it) until another page was saved, else 0."""
        return int(_get(cache["first_page_save"])["missed"])

    track_first_page_save_missed.unit = "saves"
    track_first_page_save_missed.regression_threshold = 0.0


class DevLoopServerReport(SingleMeasurement):
    """What the dev server itself reported for those edits (where its era reports it).

    Threshold 50%: medians of a few dev-server samples on shared cores (A/A as the single-shot
    timings: up to 34%)."""

    regression_threshold = 0.5

    setup_cache = staticmethod(measure_devloop)
    params = list(EDITS)
    param_names = ("edit",)
    version = "1"

    def track_server_rebuild_s(self, cache: dict, edit: str) -> float:
        """Median rebuild time the server printed (summed when one save caused several)."""
        return statistics.median(_reported(cache["edits"][edit], "rebuild_ms")) / 1000

    track_server_rebuild_s.unit = "s"

    def track_server_pages_rebuilt(self, cache: dict, edit: str) -> float:
        """Median pages the server said it rebuilt."""
        return statistics.median(_reported(cache["edits"][edit], "pages_rebuilt"))

    track_server_pages_rebuilt.unit = "pages"

    def track_latency_beyond_rebuild_s(self, cache: dict, edit: str) -> float:
        """Median of latency - reported rebuild time: file watcher, debounce, swapping the
        output in, polling (samples the server reported a rebuild for)."""
        samples = [s for s in _get(cache["edits"][edit])["samples"] if "rebuild_ms" in s]
        if not samples:
            raise NotImplementedError("this Bengal's dev server reports no rebuild time")
        return statistics.median(s["latency_s"] - s["rebuild_ms"] / 1000 for s in samples)

    track_latency_beyond_rebuild_s.unit = "s"


class DevLoopScaling(SingleMeasurement):
    """Does the one-page save-to-served latency grow with the site?

    Threshold 50%: medians of a few dev-server samples on shared cores (A/A as the single-shot
    timings: up to 34%)."""

    regression_threshold = 0.5

    setup_cache = staticmethod(measure_devloop)
    version = "1"

    def track_one_page_save_to_served_s(self, cache: dict, pages: int) -> float:
        return statistics.median(_latencies(cache["one_page"][pages]))

    track_one_page_save_to_served_s.params = list(PROFILE.devloop_sizes)
    track_one_page_save_to_served_s.param_names = ["pages"]
    track_one_page_save_to_served_s.unit = "s"

    def track_save_to_served_exponent(self, cache: dict) -> float:
        """Slope of log(median one-page latency) over log(pages): ≈0 proportional to the edit,
        ≈1 proportional to the site."""
        sizes = sorted(cache["one_page"])
        medians = [statistics.median(_latencies(cache["one_page"][n])) for n in sizes]
        return log_log_slope(sizes, medians)

    track_save_to_served_exponent.unit = "exponent"
