"""The two asv ``setup_cache`` functions of the build benchmarks, and reading their results.

- ``built_states``: the validated built state of the edited site, restored before every timed
  sample of an incremental rebuild;
- ``measure_once``: the single measurements of the builds that ``track_`` benchmarks read (one
  reference CLI build per site, the one-page rebuild at each size, the one-worker build);
- ``measure_edits``: for each kind of edit and build mode, the rebuild, whether it carried the
  edit, the clean full build it is compared with, the files that differ; and, per worker
  setting, the pages a second in-process full build leaves unwritten (``second_full_builds``).

A failure is kept per measurement, so one Bengal bug fails only its benchmarks. The single
measurements are two functions, not one, so that each is one part of the scale tier
(``tools.ci.tiers``) that fits a GitHub job also with free-threaded Python, and the exact tier's
counters pay for the edits only. Each runs once per commit (and, for ``time_`` classes, once
per round); their results live in asv's per-run working directory.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable

import driver
import scenario_gen
from benchmarks.profiles import PROFILE
from benchmarks.sites import (
    apply_edit,
    build_state,
    edit_and_prepare,
    fresh_copy,
    restore,
    site_id,
    warm_up_in_process,
)

ALL_EDITS = (*scenario_gen.EDITS, *scenario_gen.STRUCTURE_EDITS)
# The build modes edits are measured in: the explicit incremental build (in-process, every edit)
# and the plain `bengal build` a user types (CLI, ``PROFILE.default_edits``), which decides on
# its own whether to reuse the cache.
MODES = {"incremental": "api", "default": "cli"}
PROGRESS_ENV = "BENGAL_BENCH_PROGRESS_FILE"  # where both also append their progress lines
# The second in-process full build: one small site in every profile (a count of pages, not a
# time: the same site keeps it comparable across profiles), per max_workers setting.
SECOND_BUILD_SITE = ("nested", 8)
WORKER_SETTINGS = {"1": 1, "default": None}


def built_states() -> str:
    """setup_cache of the timed incremental benchmarks: the edit site's built state.

    Returns the site's id: asv passes a setup_cache result to the benchmarks only if not None.
    """
    build_state(*PROFILE.edit_site)
    return site_id(*PROFILE.edit_site)


built_states.timeout = PROFILE.prepare_timeout


def measure_once() -> dict:
    """setup_cache of the build measurements (see the module docstring).

    The order matters: reference CLI builds first (their states are where the one-page rebuild
    of each size starts, all built the same way), then the one-page rebuilds in a warmed process.
    """
    reference = reference_builds()
    rebuild_growth = {
        n: _progress(
            f"one-page rebuild at {n} pages",
            _one_page_rebuild(n, reference[site_id("nested", n)]),
        )
        for n in PROFILE.rebuild_sizes
    }
    return {
        "reference": reference,
        "rebuild_growth": rebuild_growth,
        "one_worker": _one_worker_build(),
    }


measure_once.timeout = PROFILE.prepare_timeout


def measure_edits() -> dict:
    """setup_cache of the edit measurements (see the module docstring): in-process work in a
    warmed process first, then the plain CLI rebuilds."""
    edits: dict = {}
    try:
        # Built in-process like the rebuilds and the clean builds they are compared with: some
        # Bengal eras write hash()-derived ids into their outputs, and a process has one seed.
        build_state(*PROFILE.edit_site, via="api")
        warm_up_in_process()
        for edit in ALL_EDITS:
            m = _measure_edit(edit, mode="incremental", via="api")
            edits["incremental", edit] = _progress(f"incremental {edit}", m)
    except Exception as exc:
        _fail_missing(edits, "incremental", ALL_EDITS, exc)
    try:
        build_state(*PROFILE.edit_site, via="cli")  # what a user's plain `bengal build` finds
        for edit in PROFILE.default_edits:
            m = _measure_edit(edit, mode="default", via="cli")
            edits["default", edit] = _progress(f"plain build after {edit}", m)
    except Exception as exc:  # e.g. a CLI that crashes: the in-process numbers still count
        _fail_missing(edits, "default", PROFILE.default_edits, exc)
    return {"edits": edits, "second_build": second_full_builds()}


measure_edits.timeout = PROFILE.prepare_timeout


def reference_sites() -> list[tuple[str, int]]:
    """Every site built once through the CLI: the full sites, the ladder with its one-page
    baseline, and the sizes of the one-page rebuild (smallest first)."""
    sites = set(PROFILE.full_sites)
    sites |= {("nested", n) for n in (1, *PROFILE.ladder, *PROFILE.rebuild_sizes)}
    return sorted(sites, key=lambda s: (s[1], s[0]))


def reference_builds() -> dict[str, dict]:
    """``_reference_build`` of every reference site, smallest first; once a size of a kind has
    failed (Bengal's own deadline, the build limit), larger sizes of that kind are not built:
    each would spend a build limit to fail again (0.5.1's nested-10000 cost 15 min that way)."""
    reference: dict[str, dict] = {}
    failed: dict[str, str] = {}  # kind -> which size failed first, and why
    for kind, pages in reference_sites():
        if kind in failed:
            m = {"error": f"not built: {failed[kind]}"}
        else:
            m = _reference_build(kind, pages)
            if "error" in m:
                failed[kind] = f"{site_id(kind, pages)} failed first ({m['error']})"
        reference[site_id(kind, pages)] = _progress(site_id(kind, pages), m)
    return reference


def _reference_build(kind: str, pages: int) -> dict:
    """One validated CLI full build and every number it gives; kept as an error if it failed.

    Sizes of the one-page rebuild are built as snapshotted states (``build_state``), so that the
    rebuild starts from this very build.
    """
    try:
        if pages in PROFILE.rebuild_sizes and kind == "nested":
            full = build_state(kind, pages, via="cli")
        else:
            full = driver.build(
                fresh_copy(kind, pages), mode="full", via="cli", timeout=PROFILE.build_timeout
            )
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "wall_s": full.wall_s,
        "cpu_s": full.cpu_s,
        "peak_rss_mb": full.peak_rss_mb,
        "pages_per_second": full.html_total / full.wall_s,
        "phases_ms": full.stats.get("phases_ms", {}),
    }


def _one_page_rebuild(pages: int, reference: dict) -> dict:
    """The explicit incremental rebuild after one page edit, from the reference build's state,
    in a warmed process: does it grow with the site (it should not)?"""
    if "error" in reference:
        return {"error": f"no built nested-{pages} to edit: {reference['error']}"}
    try:
        warm_up_in_process("nested", pages)
        root = restore("nested", pages)
        change = apply_edit(root, "one_page")
        rebuild = driver.build(root, mode="incremental", via="api", change=change)
        return {"wall_s": rebuild.wall_s, "rebuilt_pages": rebuild.html_written}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def _one_worker_build() -> dict:
    """A one-worker CLI full build of the edit site, to divide the reference build by."""
    try:
        one = driver.build(
            fresh_copy(*PROFILE.edit_site, name="one-worker"),
            mode="full",
            via="cli",
            workers=1,
            timeout=PROFILE.build_timeout,
        )
        return {"wall_s": one.wall_s}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def second_full_builds() -> dict[str, dict]:
    """``_second_full_build`` per worker setting (``WORKER_SETTINGS``)."""
    return {
        name: _progress(f"second full build, {name} worker(s)", _second_full_build(workers))
        for name, workers in WORKER_SETTINGS.items()
    }


def _second_full_build(workers: int | None) -> dict:
    """Two in-process full builds of a freshly made ``SECOND_BUILD_SITE`` at one path, one after
    the other: the HTML pages the first wrote that the second left unwritten (0 = fine).

    From Bengal 0.5.1 on, a one-worker build keeps its rendering pipeline in a thread-local of
    the thread that rendered, and the next one-worker build in that thread writes only the
    special pages, with no error (docs/findings.md). Both builds run in a thread of their own,
    so what the first one left is what the second meets, whatever ran before in this process.
    """
    out: dict = {}

    def builds() -> None:
        html: list[set[str]] = []
        for _ in range(2):
            root = fresh_copy(*SECOND_BUILD_SITE, name="second")
            build = driver.Build(root, mode="full", via="api", workers=workers)
            build.run()
            if not html or build.error is not None:  # a valid first build; a crash counts nothing
                build.verify()
            html.append(_html(build))
        out["html_total"] = len(html[0])
        out["unwritten"] = len(html[0] - html[1])

    try:
        _in_own_thread(builds)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return out


def _html(build: driver.Build) -> set[str]:
    """The HTML files in the build's output folder (a fresh copy: all of them this build's)."""
    return {p.relative_to(build.out).as_posix() for p in build.out.rglob("*.html")}


def _in_own_thread(fn: Callable[[], None]) -> None:
    """Run ``fn`` in a new thread, wait for it, and raise what it raised."""
    raised: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if raised:
        raise raised[0]


def _progress(what: str, m: dict) -> dict:
    """Say on stderr (and in ``$BENGAL_BENCH_PROGRESS_FILE``) what one measurement gave, as it
    lands: a nightly takes an hour or more."""
    shown = {k: round(v, 2) if isinstance(v, float) else v for k, v in m.items()}
    shown = {k: v for k, v in shown.items() if not isinstance(v, list | dict)}
    line = f"[measure_once {time.strftime('%H:%M:%S')}] {what}: {shown}"
    print(line, file=sys.stderr, flush=True)
    if log := os.environ.get(PROGRESS_ENV):  # asv shows stderr only once setup_cache ends
        with open(log, "a") as f:
            f.write(line + "\n")
    return m


def _fail_missing(edits: dict, mode: str, names: tuple[str, ...], exc: Exception) -> None:
    """Keep ``exc`` as the error of every edit of ``mode`` that has no measurement yet."""
    for edit in names:
        edits.setdefault((mode, edit), {"error": f"{type(exc).__name__}: {exc}"})


def _measure_edit(edit: str, *, mode: str, via: str) -> dict:
    """Rebuild after one edit, then compare with a clean full build in the same process."""
    try:
        build, change = edit_and_prepare(edit, mode=mode, via=via)
        build.run()
        rebuild = build.verify(change, judge_edit=False)  # the edit is judged below
        m: dict = {"rebuilt_pages": rebuild.html_written, "full_rebuild": rebuild.full_rebuild}
        if edit == "config":  # Bengal 0.1.0 kept rebuilding everything after a config change
            noop = driver.build(build.root, mode=mode, via=via)
            m["noop_after_rebuilt_pages"] = noop.html_written
        comparison = driver.compare_with_clean_build(build.root, via=via, change=change)
        m["differing"], m["missed_edit"] = comparison.differing, comparison.missed_edit
        m["speedup"] = comparison.clean.wall_s / rebuild.wall_s
        # The clean build is a warm in-process full build: the phases of a full build.
        m["clean_phases_ms"] = comparison.clean.stats.get("phases_ms", {})
        m["cpu_s"] = rebuild.cpu_s
        return m
    except Exception as exc:  # kept, and raised by the benchmarks that read this measurement
        return {"error": f"{type(exc).__name__}: {exc}"}


def measurement(entry: dict, key: str) -> float:
    """``entry[key]`` of a measurement of ``measure_once``; raises its error if it failed."""
    if "error" in entry:
        raise RuntimeError(entry["error"])
    return entry[key]


def skip_unmeasured_edit(cache: dict, mode: str, edit: str) -> None:
    """For a benchmark's ``setup``: an edit the profile does not measure in ``mode`` is skipped
    (asv records n/a for NotImplementedError raised in setup, a failure anywhere else)."""
    if (mode, edit) not in cache["edits"]:
        raise NotImplementedError(f"{mode} {edit} is not measured in the {PROFILE.name} profile")


def edit_measurement(cache: dict, mode: str, edit: str, key: str) -> float:
    """One number of ``measure_edits``; raises what went wrong when it could not be measured.

    A rebuild that missed the edit did less than its job: its speedup and rewritten pages are no
    numbers (the missed-edit counter and the correctness diff still are).
    """
    m = cache["edits"][mode, edit]
    if "error" in m:
        raise RuntimeError(m["error"])
    if key in ("speedup", "rebuilt_pages", "cpu_s") and m["missed_edit"]:
        raise RuntimeError(
            f"the rebuild missed the edit, so its work is no speedup: {m['missed_edit'][0]}"
        )
    return m[key]


def log_log_slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) over log(x): ~1.0 is linear, >= 1.2 superlinear."""
    if len(xs) < 2 or min(xs) <= 0 or min(ys) <= 0:
        raise ValueError(f"a log-log slope needs two or more positive points, got {xs} → {ys}")
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx
    )
