"""The dev-loop family: how long from saving a file to seeing it in ``bengal serve``?

Everything is reached over HTTP on 127.0.0.1, like a browser does (``driver.serve``):

- time to first page: from starting ``bengal serve`` to the first 200 of the home page carrying
  its token; cold (never built) and warm (restarted on the site the first server left);
- a page saved the moment the cold server serves its first page (not settled: an author who
  edits right away): is it served, and when? A server that drops it (never serves it until
  another save) counts a missed save;
- the settling window (``measure_settling``, its own setup_cache): a page saved a few seconds
  after a cold server's first page, before its background work settles, on a fresh server per
  moment: is it served at all, and when? How long does the server take to settle?
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

from benchmarks.families import log_log_slope
from benchmarks.profiles import PROFILE
from benchmarks.results import (
    Measurement,
    failed,
    finding,
    first_problem,
    is_value,
    skip,
    value,
)
from benchmarks.sites import fresh_copy
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
                        first_page_save = failed(exc)
                        server.settle()
                for edit, n in todo.items():
                    try:
                        results[edit] = _sample_set(server, editor, edit, n, pages)
                    except serve.ServerFailed as exc:  # lost edit: this edit's finding
                        results[edit] = failed(exc)
                        server.settle()
        except Exception as exc:  # the server did not start, or got stuck
            for edit in todo:
                results.setdefault(edit, failed(exc))
            if main:
                first_page.setdefault("cold", failed(exc))
                first_page_save = first_page_save or failed(exc)
        one_page[pages] = results["one_page"]
        if not main:
            continue
        edits.update(results)
        if not is_value(first_page["cold"]):
            first_page["warm"] = finding(f"no warm start: {first_page['cold']['error']}")
            continue
        try:  # restarted on the site, cache and output, the first server left
            with serve.DevServer(served, wait_s=wait) as server:
                first_page["warm"] = {"s": server.first_page_s}
        except Exception as exc:
            first_page["warm"] = failed(exc)
    return {
        "first_page": first_page,
        "first_page_save": first_page_save,
        "edits": edits,
        "one_page": one_page,
    }


measure_devloop.timeout = PROFILE.prepare_timeout


def measure_settling() -> dict[str, Any]:
    """setup_cache: the settling window. For each ``devloop_save_after`` moment, a cold server
    of a never-built site of ``devloop_settling_pages`` pages, and one page saved that many
    seconds after its first page was served (``serve.SETTLED``: once it has settled), without a
    save before it (``serve.measure_save_while_settling``). A fresh server per moment: in 0.5.1
    a save served later re-renders every page and serves an earlier dropped save with it, so
    one server would hide the drops. ``{"saves": {moment: record or finding}}``."""
    pages = PROFILE.devloop_settling_pages
    saves: dict[str, Any] = {}
    for after in PROFILE.devloop_save_after:
        moment: float | str = after if after == serve.SETTLED else float(after)
        try:
            served, editor = _sites(pages)
            with serve.DevServer(served, wait_s=PROFILE.devloop_wait_s) as server:
                saves[after] = serve.measure_save_while_settling(
                    server, editor, moment, f"{os.getpid()}-{pages}"
                )
        except Exception as exc:  # the server did not start, died, or did not settle
            saves[after] = failed(exc)
    return {"pages": pages, "saves": saves}


measure_settling.timeout = PROFILE.prepare_timeout


# The views: one measurement per benchmark, read with ``benchmarks.results.read``.


def first_page_at(cache: dict[str, Any], start: str) -> Measurement:
    """``bengal serve`` (``start``: cold or warm) to the first 200 of the home page: ``s``."""
    return cache["first_page"][start]


def _latencies(m: Measurement) -> list[float]:
    return [s["latency_s"] for s in m["samples"]]


def save_to_served_s(cache: dict[str, Any], edit: str) -> Measurement:
    """Median seconds from the save to the first response carrying the edit."""
    m = cache["edits"][edit]
    return value(statistics.median(_latencies(m))) if is_value(m) else m


def save_to_served_spread_s(cache: dict[str, Any], edit: str) -> Measurement:
    """Range (max - min) of those samples."""
    m = cache["edits"][edit]
    return value(max(_latencies(m)) - min(_latencies(m))) if is_value(m) else m


def save_at_first_page_s(cache: dict[str, Any]) -> Measurement:
    """Seconds from the save at the first page to the first response carrying it; a finding
    when the server dropped the save."""
    m = cache["first_page_save"]
    if not is_value(m):
        return m
    if m["missed"]:
        return finding(
            "the page saved as the first page was served was never served until another "
            f"page was saved ({m['after_next_save']} after that save)"
        )
    return value(m["latency_s"])


def save_at_first_page_missed(cache: dict[str, Any]) -> Measurement:
    """1 when the server never served that save until another page was saved, else 0."""
    m = cache["first_page_save"]
    return value(int(m["missed"])) if is_value(m) else m


def settling_save_to_served_s(cache: dict[str, Any], after: str) -> Measurement:
    """Seconds from the page saved ``after`` seconds after the first page (or once settled) to
    the first response carrying it; a finding when the server never served it."""
    m = cache["saves"][after]
    if not is_value(m):
        return m
    if m["missed"]:
        return finding(
            f"the page saved {m['saved_after_s']:.1f} s after the first page of a cold "
            f"{cache['pages']}-page site was served was never served (the server went idle "
            "without it, or the wait limit passed)"
        )
    return value(m["latency_s"])


def settling_saves_missed(cache: dict[str, Any]) -> Measurement:
    """How many of those saves (one per moment) the server never served; the first finding
    instead when a moment was not measured."""
    ms = list(cache["saves"].values())
    problem = first_problem(*ms)
    return problem if problem is not None else value(int(sum(m["missed"] for m in ms)))


def settled_s(cache: dict[str, Any]) -> Measurement:
    """Seconds from the first page of a cold server to its settling (``serve.SETTLED``)."""
    m = cache["saves"].get(serve.SETTLED, skip("no save once settled in this profile"))
    return value(m["settled_s"]) if is_value(m) else m


def server_reported(cache: dict[str, Any], edit: str, key: str) -> Measurement:
    """Median of the server's own figure ``key`` over the samples where it reported one;
    skipped when this commit's server reported none."""
    m = cache["edits"][edit]
    if not is_value(m):
        return m
    values = [s[key] for s in m["samples"] if key in s]
    if not values:
        return skip(f"this Bengal's dev server reports no {key} for this edit")
    return value(statistics.median(values))


def server_rebuild_s(cache: dict[str, Any], edit: str) -> Measurement:
    """Median rebuild time the server printed, in seconds."""
    m = server_reported(cache, edit, "rebuild_ms")
    return value(m["value"] / 1000) if is_value(m) else m


def latency_beyond_rebuild_s(cache: dict[str, Any], edit: str) -> Measurement:
    """Median of latency - reported rebuild time (samples the server reported a rebuild for)."""
    m = cache["edits"][edit]
    if not is_value(m):
        return m
    samples = [s for s in m["samples"] if "rebuild_ms" in s]
    if not samples:
        return skip("this Bengal's dev server reports no rebuild time")
    return value(statistics.median(s["latency_s"] - s["rebuild_ms"] / 1000 for s in samples))


def one_page_save_to_served_s(cache: dict[str, Any], pages: int) -> Measurement:
    """Median one-page save-to-served latency on the site of ``pages`` pages."""
    m = cache["one_page"][pages]
    return value(statistics.median(_latencies(m))) if is_value(m) else m


def save_to_served_exponent(cache: dict[str, Any]) -> Measurement:
    """Slope of log(median one-page latency) over log(pages)."""
    sizes = sorted(cache["one_page"])
    medians = []
    for n in sizes:
        m = one_page_save_to_served_s(cache, n)
        if not is_value(m):
            return m
        medians.append(m["value"])
    return value(log_log_slope(sizes, medians))
