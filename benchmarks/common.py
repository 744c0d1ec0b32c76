"""Shared fixtures, and the one place that decides the scope of a run (smoke / pr / nightly).

Every benchmark module imports its sites, its sizes and its timing attributes from here, so that a
benchmark class reads as a list of questions. Sites come from ``scenario_gen``; every build goes
through ``driver``, which validates the output before a number may count.

Two kinds of preparation, both asv ``setup_cache`` functions (run once per commit and, for
``time_`` classes, once per round; their results live in asv's per-run working directory):

- ``built_states``: the validated built state of the edited site, restored before every timed
  sample of an incremental rebuild;
- ``measure_once``: the single measurements the ``track_`` benchmarks read (reference CLI builds,
  and for each kind of edit: the rebuild, the clean full build it is compared with, the files
  that differ). A failure is kept per measurement, so one Bengal bug fails only its benchmarks.
"""

from __future__ import annotations

import itertools
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import driver
import scenario_gen

PROFILE_ENV = "BENGAL_BENCH_PROFILE"

EDITS = ("noop", "one_page", "batch", "asset", "config")
STRUCTURE_EDITS = ("add_page", "delete_page")
DEFAULT_COMMAND_EDITS = ("noop", "one_page")


@dataclass(frozen=True)
class Profile:
    """Site sizes and sampling for one scope of run."""

    name: str
    full_sites: tuple[tuple[str, int], ...]  # (kind, pages) for full builds and memory
    edit_site: tuple[str, int]  # the site incremental, config and correctness benchmarks edit
    batch_pages: int  # pages edited by the "batch" edit
    ladder: tuple[int, ...]  # nested-site sizes of the scaling ladder
    timed_edits: tuple[str, ...]  # edits whose rebuild is timed with samples (time_)
    timed_default_edits: tuple[str, ...]  # the same with the user's plain build command
    repeat: tuple[int, int, float]  # asv (min, max, max seconds) samples per round
    rounds: int
    timeout: float  # seconds, for one benchmark process (setup included)
    prepare_timeout: float  # seconds, for one setup_cache


PROFILES = {
    "smoke": Profile(
        name="smoke",
        full_sites=(("nested", 8), ("blog", 8)),
        edit_site=("nested", 8),
        batch_pages=3,
        ladder=(4, 8),
        timed_edits=EDITS,
        timed_default_edits=DEFAULT_COMMAND_EDITS,
        repeat=(1, 1, 60.0),
        rounds=1,
        timeout=600,
        prepare_timeout=1800,
    ),
    # One commit pair of `asv continuous`: one 50-page site; the rebuilds that cost a full build on
    # recent Bengal (asset, config, the plain `bengal build`) are measured once (track_), not
    # timed. 8 samples a side: with --record-samples asv decides significance by a two-sided
    # Mann-Whitney test at p < 0.002, which 6 vs 6 samples can never pass (p >= 0.00216).
    "pr": Profile(
        name="pr",
        full_sites=(("nested", 50),),
        edit_site=("nested", 50),
        batch_pages=5,
        ladder=(20, 40, 80),
        timed_edits=("noop", "one_page", "batch"),
        timed_default_edits=(),
        repeat=(4, 4, 600.0),
        rounds=2,
        timeout=900,
        prepare_timeout=1800,
    ),
    "nightly": Profile(
        name="nightly",
        full_sites=(
            ("nested", 1000),
            ("nested", 5000),
            ("nested", 10000),
            ("flat", 1000),
            ("flat", 5000),
            ("flat", 10000),
            ("api_docs", 1000),
            ("blog", 1000),
        ),
        edit_site=("nested", 1000),
        batch_pages=50,
        ladder=(250, 500, 1000, 2000, 5000, 10000),
        timed_edits=EDITS,
        timed_default_edits=DEFAULT_COMMAND_EDITS,
        # History, not a paired comparison: one round; a 10K-page build gets one sample, a
        # 1K-page build three (asv stops sampling after max seconds once it has the minimum).
        repeat=(1, 3, 600.0),
        rounds=1,
        timeout=3 * 3600,
        prepare_timeout=6 * 3600,
    ),
}


def active_profile() -> Profile:
    """The profile named by ``$BENGAL_BENCH_PROFILE`` (default ``pr``)."""
    name = os.environ.get(PROFILE_ENV, "pr")
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"{PROFILE_ENV}={name!r}: expected one of {sorted(PROFILES)}") from None


PROFILE = active_profile()


class MultiSecondBuild:
    """Timing attributes of every benchmark of a multi-second Bengal build (asv-practice B)."""

    number = 1
    warmup_time = 0
    min_run_count = 1
    repeat = PROFILE.repeat
    rounds = PROFILE.rounds
    timeout = PROFILE.timeout


class SingleMeasurement(MultiSecondBuild):
    """For ``track_``/``peakmem_`` benchmarks: one value per commit, one round."""

    rounds = 1


# --- sites ---


def site_id(kind: str, pages: int) -> str:
    return f"{kind}-{pages}"


def parse_site(site: str) -> tuple[str, int]:
    """Inverse of ``site_id``: ``"api_docs-100"`` → ``("api_docs", 100)``."""
    kind, _, pages = site.rpartition("-")
    return kind, int(pages)


def _site_dir(kind: str, pages: int) -> Path:
    """Where a site is built and restored: always the same absolute path (caches may store it)."""
    return Path.cwd() / "sites" / site_id(kind, pages)


def fresh_copy(kind: str, pages: int, name: str = "fresh") -> Path:
    """A pristine, never-built copy of a site (for full builds)."""
    dest = _site_dir(kind, pages) / name
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    return scenario_gen.working_copy(scenario_gen.Scenario(kind=kind, pages=pages), dest)


def build_state(kind: str, pages: int, via: str = "cli") -> driver.BuildResult:
    """A validated full build of a pristine copy, snapshotted for ``restore``.

    The snapshot is only accepted if a no-op incremental build of a restored copy skips work:
    otherwise restoring would silently turn every incremental sample into a full build.
    """
    work = fresh_copy(kind, pages, name="work")
    full = driver.build(work, mode="full", via=via)
    state = work.with_name("state")
    shutil.rmtree(state, ignore_errors=True)
    shutil.copytree(work, state, symlinks=True)
    noop = driver.build(restore(kind, pages), mode="incremental", via="api")
    if noop.full_rebuild:
        raise RuntimeError(
            f"{site_id(kind, pages)}: a no-op incremental build of the restored state "
            f"rewrote all {noop.html_written} pages; incremental samples would be full builds"
        )
    return full


def restore(kind: str, pages: int) -> Path:
    """Put the validated built state back at its original path; returns the site root."""
    work = _site_dir(kind, pages) / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(work.with_name("state"), work, symlinks=True)
    return work


# --- edits ---

_salt = itertools.count()


def apply_edit(root: Path, edit: str) -> scenario_gen.Change | None:
    """Edit a site the way a user would; ``noop`` edits nothing."""
    mutator = scenario_gen.Mutator(root, salt=f"{os.getpid()}-{next(_salt)}")
    if edit == "noop":
        return None
    if edit == "batch":
        return mutator.edit_pages(PROFILE.batch_pages)
    return {
        "one_page": mutator.edit_page,
        "asset": mutator.edit_asset,
        "config": mutator.change_config,
        "add_page": mutator.add_page,
        "delete_page": mutator.delete_page,
    }[edit]()


def edit_and_prepare(edit: str, *, mode: str, via: str) -> tuple[driver.Build, scenario_gen.Change]:
    """Restore the edit site's built state, apply ``edit`` and prepare (not run) the rebuild."""
    root = restore(*PROFILE.edit_site)
    change = apply_edit(root, edit)
    return driver.Build(root, mode=mode, via=via), change


_warm = False


def warm_up_in_process() -> None:
    """One untimed in-process no-op build per process before its first in-process sample.

    Bengal imports much of itself lazily during the first build; without this the first in-process
    sample would also time those imports and every later one would not.
    """
    global _warm
    if not _warm:
        driver.build(restore(*PROFILE.edit_site), mode="incremental", via="api")
        _warm = True


# --- setup_cache functions ---


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
        }
    # Built in this process, like the rebuilds and the clean builds they are compared with: some
    # Bengal eras write hash()-derived ids into their outputs, and a process has one hash seed.
    build_state(*PROFILE.edit_site, via="api")
    warm_up_in_process()
    edits = {}
    for edit in (*EDITS, *STRUCTURE_EDITS):
        edits["incremental", edit] = _measure_edit(edit, mode="incremental", via="api")
    build_state(*PROFILE.edit_site, via="cli")  # what a user's plain `bengal build` finds
    for edit in DEFAULT_COMMAND_EDITS:
        edits["default", edit] = _measure_edit(edit, mode="default", via="cli")
    return {"reference": reference, "edits": edits}


measure_once.timeout = PROFILE.prepare_timeout


def _measure_edit(edit: str, *, mode: str, via: str) -> dict:
    """Rebuild after one edit, then compare with a clean full build in the same process."""
    try:
        build, change = edit_and_prepare(edit, mode=mode, via=via)
        build.run()
        m: dict = {}
        try:
            rebuild = build.verify(change=change)
        except driver.BuildFailed as exc:  # valid pages, but the edit did not reach them all
            m["stale"] = str(exc)
            rebuild = build.verify()
        m["rebuilt_pages"] = rebuild.html_written
        m["full_rebuild"] = rebuild.full_rebuild
        if edit == "config":  # Bengal 0.1.0 kept rebuilding everything after a config change
            noop = driver.build(build.root, mode=mode, via=via)
            m["noop_after_rebuilt_pages"] = noop.html_written
        m["differing"], clean = driver.compare_with_clean_build(build.root, via=via)
        m["speedup"] = clean.wall_s / rebuild.wall_s
        return m
    except Exception as exc:  # kept, and raised by the benchmarks that read this measurement
        return {"error": f"{type(exc).__name__}: {exc}"}


def edit_measurement(cache: dict, mode: str, edit: str, key: str) -> float:
    """One number of ``measure_once``; raises what went wrong when it could not be measured."""
    m = cache["edits"][mode, edit]
    if "error" in m:
        raise RuntimeError(m["error"])
    if key in ("speedup", "rebuilt_pages") and "stale" in m:
        raise RuntimeError(f"the rebuild missed the edit, so its work is no speedup: {m['stale']}")
    return m[key]


def log_log_slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) over log(x): ~1.0 is linear, >= 1.2 superlinear."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx
    )
