"""The one place that decides the scope of a run: ``smoke``, ``pr`` or ``nightly``.

``$BENGAL_BENCH_PROFILE`` names the profile (default ``pr``); every benchmark module reads its
sites, sizes and sampling from ``PROFILE``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

PROFILE_ENV = "BENGAL_BENCH_PROFILE"


@dataclass(frozen=True)
class Profile:
    """Site sizes and sampling for one scope of run."""

    name: str
    full_sites: tuple[tuple[str, int], ...]  # (kind, pages) for full builds and memory
    edit_site: tuple[str, int]  # the site incremental, config and correctness benchmarks edit
    batch_pages: int  # pages edited by the "batch" edit
    ladder: tuple[int, ...]  # nested-site sizes of the scaling ladder (in-process builds)
    timed_edits: tuple[str, ...]  # edits whose rebuild is timed with samples (time_)
    timed_default_edits: tuple[str, ...]  # the same with the user's plain build command
    repeat: tuple[int, int, float]  # asv (min, max, max seconds) samples per round
    rounds: int
    timeout: float  # seconds, for one benchmark process (setup included)
    prepare_timeout: float  # seconds, for one setup_cache
    # (kind, pages) whose builds bench_instructions counts under cachegrind (8-14x slower)
    instruction_site: tuple[str, int]


PROFILES = {
    "smoke": Profile(
        name="smoke",
        full_sites=(("nested", 8), ("blog", 8)),
        edit_site=("nested", 8),
        batch_pages=3,
        ladder=(4, 8),
        timed_edits=("noop", "one_page", "batch", "asset", "config"),
        timed_default_edits=("noop", "one_page"),
        repeat=(1, 1, 60.0),
        rounds=1,
        timeout=600,
        prepare_timeout=1800,
        instruction_site=("nested", 2),
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
        ladder=(50, 100, 200),
        timed_edits=("noop", "one_page", "batch"),
        timed_default_edits=(),
        repeat=(4, 4, 600.0),
        rounds=2,
        timeout=900,
        prepare_timeout=1800,
        instruction_site=("nested", 50),
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
        ladder=(1000, 5000, 10000),
        timed_edits=("noop", "one_page", "batch", "asset", "config"),
        timed_default_edits=("noop", "one_page"),
        # History, not a paired comparison: one round; a 10K-page build gets one sample, a
        # 1K-page build three (asv stops sampling after max seconds once it has the minimum).
        repeat=(1, 3, 600.0),
        rounds=1,
        timeout=3 * 3600,
        prepare_timeout=6 * 3600,
        instruction_site=("nested", 1000),
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
