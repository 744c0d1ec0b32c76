"""Shared fixtures, and the one place that decides the scope of a run (smoke / pr / nightly).

Every benchmark module imports its sites, its sizes and its timing attributes from here, so that a
benchmark class reads as a list of questions. Sites come from ``scenario_gen``; every build goes
through ``driver``, which validates the output before a number may count.
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


@dataclass(frozen=True)
class Profile:
    """Site sizes and sampling for one scope of run."""

    name: str
    full_sites: tuple[tuple[str, int], ...]  # (kind, pages) for full builds and memory
    edit_site: tuple[str, int]  # the site incremental, config and correctness benchmarks edit
    batch_pages: int  # pages edited by the "batch" change
    ladder: tuple[int, ...]  # nested-site sizes of the scaling ladder
    repeat: int  # timed samples per round of a multi-second build
    rounds: int
    timeout: float  # seconds, for one benchmark process (setup included)
    prepare_timeout: float  # seconds, for preparing every site once per commit


PROFILES = {
    "smoke": Profile(
        name="smoke",
        full_sites=(("nested", 8), ("blog", 8)),
        edit_site=("nested", 8),
        batch_pages=3,
        ladder=(4, 8),
        repeat=1,
        rounds=1,
        timeout=600,
        prepare_timeout=900,
    ),
    "pr": Profile(
        name="pr",
        full_sites=(("nested", 100), ("blog", 60)),
        edit_site=("nested", 60),
        batch_pages=10,
        ladder=(25, 50, 100),
        repeat=3,
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
        repeat=3,
        rounds=2,
        timeout=7200,
        prepare_timeout=14400,
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
    """Timing attributes every benchmark of a multi-second Bengal build shares (asv-practice B)."""

    number = 1
    warmup_time = 0
    min_run_count = 1
    repeat = (PROFILE.repeat, PROFILE.repeat, PROFILE.timeout)
    rounds = PROFILE.rounds
    timeout = PROFILE.timeout


class SingleMeasurement(MultiSecondBuild):
    """For ``track_``/``peakmem_`` benchmarks: one value per commit, one round."""

    rounds = 1


def site_id(kind: str, pages: int) -> str:
    return f"{kind}-{pages}"


def _site_dir(kind: str, pages: int) -> Path:
    """Where a site is built and restored: always the same absolute path (caches may store it)."""
    return Path.cwd() / "sites" / site_id(kind, pages)


def _edit_sites() -> list[tuple[str, int]]:
    return list(dict.fromkeys([*PROFILE.full_sites, PROFILE.edit_site]))


def prepare_sites() -> dict[str, dict[str, float]]:
    """asv ``setup_cache`` shared by every class that edits a built site (one key, one run).

    For each site of the profile: a pristine copy, a validated full build through the CLI (its
    numbers are the end-to-end reference), and a snapshot of the built state. The snapshot is only
    accepted if a no-op incremental build of a restored copy skips work: otherwise restoring
    would silently turn every incremental sample into a full build.
    """
    reference = {}
    for kind, pages in _edit_sites():
        work = _site_dir(kind, pages) / "work"
        work.parent.mkdir(parents=True, exist_ok=True)
        scenario_gen.working_copy(scenario_gen.Scenario(kind=kind, pages=pages), work)
        full = driver.build(work, mode="full", via="cli")
        shutil.copytree(work, work.with_name("state"), symlinks=True)
        restore(kind, pages)
        noop = driver.build(work, mode="incremental", via="api")
        if noop.full_rebuild:
            raise RuntimeError(
                f"{site_id(kind, pages)}: a no-op incremental build of the restored state "
                f"rewrote all {noop.html_written} pages; incremental samples would be full builds"
            )
        reference[site_id(kind, pages)] = {
            "wall_s": full.wall_s,
            "peak_rss_mb": full.peak_rss_mb,
            "html_total": full.html_total,
        }
    return reference


prepare_sites.timeout = PROFILE.prepare_timeout


def restore(kind: str, pages: int) -> Path:
    """Put the validated built state back at its original path; returns the site root."""
    work = _site_dir(kind, pages) / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(work.with_name("state"), work, symlinks=True)
    return work


def fresh_copy(kind: str, pages: int, name: str = "fresh") -> Path:
    """A pristine, never-built copy of a site (for full builds)."""
    dest = _site_dir(kind, pages) / name
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    return scenario_gen.working_copy(scenario_gen.Scenario(kind=kind, pages=pages), dest)


_salt = itertools.count()

CHANGES = ("noop", "one_page", "batch", "asset", "config")


def apply_change(root: Path, change: str) -> scenario_gen.Change | None:
    """Edit a site the way a user would; ``noop`` edits nothing."""
    mutator = scenario_gen.Mutator(root, salt=f"{os.getpid()}-{next(_salt)}")
    if change == "noop":
        return None
    if change == "batch":
        return mutator.edit_pages(PROFILE.batch_pages)
    return {
        "one_page": mutator.edit_page,
        "asset": mutator.edit_asset,
        "config": mutator.change_config,
        "add_page": mutator.add_page,
        "delete_page": mutator.delete_page,
    }[change]()


def edit_and_prepare(
    change: str, *, mode: str, via: str
) -> tuple[driver.Build, scenario_gen.Change | None]:
    """Restore the edit site's built state, apply ``change`` and prepare (not run) the rebuild."""
    root = restore(*PROFILE.edit_site)
    edit = apply_change(root, change)
    return driver.Build(root, mode=mode, via=via), edit


_warm = False


def warm_up_in_process(kind: str, pages: int) -> None:
    """One untimed in-process no-op build per benchmark process before its first sample.

    Bengal imports much of itself lazily during the first build; without this the first in-process
    sample would also time those imports and every later one would not.
    """
    global _warm
    if not _warm:
        driver.build(restore(kind, pages), mode="incremental", via="api")
        _warm = True


def log_log_slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) over log(x): ~1.0 is linear, >= 1.2 superlinear."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx
    )


def parse_site(site: str) -> tuple[str, int]:
    """Inverse of ``site_id``: ``"api_docs-100"`` → ``("api_docs", 100)``."""
    kind, _, pages = site.rpartition("-")
    return kind, int(pages)
