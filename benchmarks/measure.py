"""The two asv ``setup_cache`` functions of the build benchmarks, and reading their results.

- ``built_states``: the validated built state of the edited site, restored before every timed
  sample of an incremental rebuild;
- ``measure_once``: the single measurements the ``track_`` benchmarks read (reference CLI builds,
  and for each kind of edit and build mode: the rebuild, whether it carried the edit, the clean
  full build it is compared with, the files that differ). A failure is kept per measurement, so
  one Bengal bug fails only its benchmarks.

Both run once per commit (and, for ``time_`` classes, once per round); their results live in
asv's per-run working directory.
"""

from __future__ import annotations

import math

import driver
import scenario_gen
from benchmarks.profiles import PROFILE
from benchmarks.sites import (
    build_state,
    edit_and_prepare,
    fresh_copy,
    site_id,
    warm_up_in_process,
)

ALL_EDITS = (*scenario_gen.EDITS, *scenario_gen.STRUCTURE_EDITS)
# The build modes every edit is measured in: the explicit incremental build (in-process) and the
# plain `bengal build` a user types (CLI), which decides on its own whether to reuse the cache.
MODES = {"incremental": "api", "default": "cli"}


def built_states() -> str:
    """setup_cache of the timed incremental benchmarks: the edit site's built state.

    Returns the site's id: asv passes a setup_cache result to the benchmarks only if not None.
    """
    build_state(*PROFILE.edit_site)
    return site_id(*PROFILE.edit_site)


built_states.timeout = PROFILE.prepare_timeout


def measure_once() -> dict:
    """setup_cache of the single-measurement benchmarks (see the module docstring)."""
    reference = {}
    for kind, pages in PROFILE.full_sites:
        full = driver.build(fresh_copy(kind, pages), mode="full", via="cli")
        reference[site_id(kind, pages)] = {
            "peak_rss_mb": full.peak_rss_mb,
            "pages_per_second": full.html_total / full.wall_s,
            "cpu_s": full.cpu_s,
        }
    edits = {}
    for mode, via in MODES.items():
        try:
            # Built the way the rebuilds and the clean builds they are compared with run: some
            # Bengal eras write hash()-derived ids into their outputs, and a process has one seed.
            build_state(*PROFILE.edit_site, via=via)
            if via == "api":
                warm_up_in_process()
        except Exception as exc:  # e.g. a CLI that crashes: the in-process numbers still count
            for edit in ALL_EDITS:
                edits[mode, edit] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        for edit in ALL_EDITS:
            edits[mode, edit] = _measure_edit(edit, mode=mode, via=via)
    return {"reference": reference, "edits": edits}


measure_once.timeout = PROFILE.prepare_timeout


def _measure_edit(edit: str, *, mode: str, via: str) -> dict:
    """Rebuild after one edit, then compare with a clean full build in the same process."""
    try:
        build, change = edit_and_prepare(edit, mode=mode, via=via)
        build.run()
        rebuild = build.verify()  # valid pages; whether they carry the edit is judged below
        m: dict = {"rebuilt_pages": rebuild.html_written, "full_rebuild": rebuild.full_rebuild}
        if edit == "config":  # Bengal 0.1.0 kept rebuilding everything after a config change
            noop = driver.build(build.root, mode=mode, via=via)
            m["noop_after_rebuilt_pages"] = noop.html_written
        comparison = driver.compare_with_clean_build(build.root, via=via, change=change)
        m["differing"], m["missed_edit"] = comparison.differing, comparison.missed_edit
        m["speedup"] = comparison.clean.wall_s / rebuild.wall_s
        m["cpu_s"] = rebuild.cpu_s
        return m
    except Exception as exc:  # kept, and raised by the benchmarks that read this measurement
        return {"error": f"{type(exc).__name__}: {exc}"}


def edit_measurement(cache: dict, mode: str, edit: str, key: str) -> float:
    """One number of ``measure_once``; raises what went wrong when it could not be measured.

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
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx
    )
