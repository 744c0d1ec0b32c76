"""The build family: the asv ``setup_cache`` functions of the generated sites' builds and their
views.

- ``built_states``: the validated built state of the edited site, restored before every timed
  sample of an incremental rebuild;
- ``measure_once``: the single measurements of the builds that ``track_`` benchmarks read (one
  reference CLI build per site, the one-page rebuild at each size, the one-worker build);
- ``measure_edits``: for each kind of edit and build mode, the rebuild, whether it carried the
  edit, the clean full build it is compared with, the files that differ; and, per worker
  setting, the pages a second in-process full build leaves unwritten (``second_full_builds``).

A failure is kept per measurement, so one Bengal bug fails only its benchmarks. The single
measurements are two functions, not one, so that each is one part of the scale tier
(``catalogue.tiers``) that fits a GitHub job also with free-threaded Python, and the exact tier's
counters pay for the edits only. Each runs once per commit (and, for ``time_`` classes, once
per round); their results (``benchmarks.results`` measurements) live in asv's per-run working
directory.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

import driver
import scenario_gen
import scope
from benchmarks.families import log_log_slope
from benchmarks.profiles import PROFILE
from benchmarks.results import (
    Measurement,
    failed,
    finding,
    first_problem,
    is_value,
    missed_edit,
    skip,
    value,
)
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
    first_failed: dict[str, str] = {}  # kind -> which size failed first, and why
    for kind, pages in reference_sites():
        if kind in first_failed:
            m = finding(f"not built: {first_failed[kind]}")
        else:
            m = _reference_build(kind, pages)
            if not is_value(m):
                first_failed[kind] = f"{site_id(kind, pages)} failed first ({m['error']})"
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
        return failed(exc)
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
    if not is_value(reference):
        return finding(f"no built nested-{pages} to edit: {reference['error']}")
    try:
        warm_up_in_process("nested", pages)
        root = restore("nested", pages)
        change = apply_edit(root, "one_page")
        rebuild = driver.build(root, mode="incremental", via="api", change=change)
        return {"wall_s": rebuild.wall_s, "rebuilt_pages": rebuild.html_written}
    except Exception as exc:
        return failed(exc)


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
        return failed(exc)


def second_full_builds() -> dict[str, dict]:
    """``_second_full_build`` per worker setting (``WORKER_SETTINGS``)."""
    return {
        name: _progress(f"second full build, {name} worker(s)", _second_full_build(workers))
        for name, workers in WORKER_SETTINGS.items()
    }


def _second_full_build(workers: int | None) -> dict:
    """Two in-process full builds of a freshly made ``SECOND_BUILD_SITE`` at one path, one after
    the other: the HTML pages the first wrote that the second left unwritten (0 = fine).

    From Bengal 0.3.0 on, a one-worker build keeps its rendering pipeline in a thread-local of
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
        with ThreadPoolExecutor(max_workers=1) as own_thread:  # a thread no build ran in
            own_thread.submit(builds).result()
    except Exception as exc:
        return failed(exc)
    return out


def _html(build: driver.Build) -> set[str]:
    """The HTML files in the build's output folder (a fresh copy: all of them this build's)."""
    return {p.relative_to(build.out).as_posix() for p in build.out.rglob("*.html")}


def _progress(what: str, m: dict) -> dict:
    """Say on stderr (and in ``scope.progress_file()``) what one measurement gave, as it
    lands: a nightly takes an hour or more."""
    shown = {k: round(v, 2) if isinstance(v, float) else v for k, v in m.items()}
    shown = {k: v for k, v in shown.items() if not isinstance(v, list | dict)}
    line = f"[measure_once {time.strftime('%H:%M:%S')}] {what}: {shown}"
    print(line, file=sys.stderr, flush=True)
    if log := scope.progress_file():  # asv shows stderr only once setup_cache ends
        with open(log, "a") as f:
            f.write(line + "\n")
    return m


def _fail_missing(edits: dict, mode: str, names: tuple[str, ...], exc: Exception) -> None:
    """Keep ``exc`` as the error of every edit of ``mode`` that has no measurement yet."""
    for edit in names:
        edits.setdefault((mode, edit), failed(exc))


def _measure_edit(edit: str, *, mode: str, via: str) -> Measurement:
    """Rebuild after one edit, then compare with a clean full build in the same process."""
    try:
        build, change = edit_and_prepare(edit, mode=mode, via=via)
        build.run()
        rebuild = build.verify(change, judge_edit=False)  # the edit is judged below
        m: dict = {"rebuilt_pages": rebuild.html_written, "full_rebuild": rebuild.full_rebuild}
        if edit == "config":  # Bengal 0.1.0 kept rebuilding everything after a config change
            m["missed_full_rebuild"] = int(not rebuild.full_rebuild)
            noop = driver.build(build.root, mode=mode, via=via)
            m["noop_after_rebuilt_pages"] = noop.html_written
        comparison = driver.compare_with_clean_build(build.root, via=via, change=change)
        m["differing"], m["missed_edit"] = comparison.differing, comparison.missed_edit
        m["differing_outputs"] = len(comparison.differing)
        m["differing_html_pages"] = sum(1 for rel in comparison.differing if rel.endswith(".html"))
        m["missed_edit_outputs"] = len(comparison.missed_edit)
        m["speedup"] = comparison.clean.wall_s / rebuild.wall_s
        # The clean build is a warm in-process full build: the phases of a full build.
        m["clean_phases_ms"] = comparison.clean.stats.get("phases_ms", {})
        m["cpu_s"] = rebuild.cpu_s
        if comparison.missed_edit:
            why = f"the rebuild missed the edit, so its work is no speedup: {m['missed_edit'][0]}"
            return missed_edit(m, why)
        return m
    except Exception as exc:  # kept, and raised by the benchmarks that read this measurement
        return failed(exc)


# The views: one measurement per benchmark, read with ``benchmarks.results.read``.


def cli_build(cache: dict, site: str) -> Measurement:
    """The reference CLI build of ``site`` (``measure_once``)."""
    return cache["reference"][site]


def ladder_build(cache: dict, pages: int) -> Measurement:
    """The reference CLI build of the nested site of ``pages`` pages."""
    return cache["reference"][site_id("nested", pages)]


def reference_phase_ms(cache: dict, site: str, phase: str) -> Measurement:
    """A phase as the CLI printed it for ``site``'s reference build (skipped where it printed
    none)."""
    m = cli_build(cache, site)
    if not is_value(m):
        return m
    if phase not in m["phases_ms"]:
        return skip(f"this Bengal commit's CLI does not print the {phase} phase")
    return value(m["phases_ms"][phase])


def per_page_exponent(cache: dict, key: str) -> Measurement:
    """Slope of log(value(n) - value(1)) over log(n - 1) across the ladder."""
    sizes = sorted(PROFILE.ladder)
    steps = [ladder_build(cache, n) for n in (1, *sizes)]
    if problem := first_problem(*steps):
        return problem
    base = steps[0][key]
    extra = [m[key] - base for m in steps[1:]]
    if min(extra) <= 0:
        return finding(
            f"{key} does not grow over the ladder {sizes} beyond the one-page build "
            f"({base:.3g}): differences {[round(e, 3) for e in extra]}"
        )
    return value(log_log_slope([n - 1 for n in sizes], extra))


def rebuild_growth(cache: dict, pages: int) -> Measurement:
    """The one-page rebuild at ``pages`` pages."""
    return cache["rebuild_growth"][pages]


def rebuild_growth_exponent(cache: dict) -> Measurement:
    """Slope of log(one-page rebuild time) over log(pages)."""
    sizes = sorted(PROFILE.rebuild_sizes)
    rebuilds = [rebuild_growth(cache, n) for n in sizes]
    if problem := first_problem(*rebuilds):
        return problem
    return value(log_log_slope(sizes, [m["wall_s"] for m in rebuilds]))


def default_workers_speedup(cache: dict) -> Measurement:
    """One-worker build time / the edit site's reference build time."""
    one, default = cache["one_worker"], cli_build(cache, site_id(*PROFILE.edit_site))
    if problem := first_problem(one, default):
        return problem
    return value(one["wall_s"] / default["wall_s"])


def rebuild_after(cache: dict, mode: str, edit: str) -> Measurement:
    """The rebuild after ``edit`` in ``mode`` (``measure_edits``); skipped where the profile
    does not measure it."""
    if (mode, edit) not in cache["edits"]:
        return skip(f"{mode} {edit} is not measured in the {PROFILE.name} profile")
    return cache["edits"][mode, edit]


def second_build(cache: dict, workers: str) -> Measurement:
    """The second in-process full build with ``workers`` (``second_full_builds``)."""
    return cache["second_build"][workers]


def clean_phase_ms(cache: dict, phase: str) -> Measurement:
    """A phase of the warm in-process clean full build the one-page edit is compared with
    (skipped where the commit does not report it)."""
    m = rebuild_after(cache, "incremental", "one_page")
    if not is_value(m):
        return m
    if phase not in m["clean_phases_ms"]:
        return skip(f"this Bengal commit does not report the {phase} phase")
    return value(m["clean_phases_ms"][phase])
