"""What each profile of a run covers: ``smoke``, ``pr`` or ``nightly``.

``scope.profile()`` names the active one; every benchmark module reads its sites, sizes and
sampling from ``PROFILE``.
"""

from __future__ import annotations

from dataclasses import dataclass

import scope


@dataclass(frozen=True)
class Profile:
    """Site sizes and sampling for one scope of run."""

    name: str
    # Every site here is built once per commit through the CLI (measure_once): that one build
    # gives its wall and CPU time, the child's peak RSS, pages/s and phase times where the era
    # prints them.
    full_sites: tuple[tuple[str, int], ...]
    sampled_full_sites: tuple[tuple[str, int], ...]  # also timed with samples, and in-process RSS
    edit_site: tuple[str, int]  # the site incremental, config and correctness benchmarks edit
    batch_pages: int  # pages edited by the "batch" edit
    default_edits: tuple[str, ...]  # edits also measured with the plain `bengal build`
    # Nested-site sizes of the scaling ladder; with a one-page site as the baseline, their
    # reference builds give the per-page time and memory exponents.
    ladder: tuple[int, ...]
    rebuild_sizes: tuple[int, ...]  # nested sizes of the one-page rebuild (does it grow?)
    timed_edits: tuple[str, ...]  # edits whose rebuild is timed with samples (time_)
    timed_default_edits: tuple[str, ...]  # the same with the user's plain build command
    repeat: tuple[int, int, float]  # asv (min, max, max seconds) samples per round
    rounds: int
    timeout: float  # seconds, for one benchmark process (setup included)
    prepare_timeout: float  # seconds, for one setup_cache
    build_timeout: float  # seconds, for one CLI build: beyond it, "did not finish"
    # The dev loop (bench_devloop): nested-site sizes of the one-page save-to-served latency,
    # smallest first (the first also gets the stylesheet and add-page edits and the cold/warm
    # starts); one-page edits per size; stylesheet and add-page edits; the limit of every wait.
    devloop_sizes: tuple[int, ...]
    devloop_samples: int
    devloop_other_samples: int
    devloop_wait_s: float
    # The settling window (bench_devloop.DevLoopSettling): one cold server of a nested site of
    # devloop_settling_pages pages per moment, each saving one page that many seconds after its
    # first page was served ("settled": once the server has settled), before it has settled.
    devloop_settling_pages: int
    devloop_save_after: tuple[str, ...]
    # (kind, pages) whose builds bench_instructions counts under cachegrind (8-14x slower)
    instruction_site: tuple[str, int]
    # What bench_real measures on Bengal's own docs site (scenario_gen.real): "build" (one CLI
    # full build), "one_page" (then one real page edited and rebuilt); () leaves it out.
    real_site: tuple[str, ...] = ()


PROFILES = {
    "smoke": Profile(
        name="smoke",
        full_sites=(("nested", 8), ("blog", 8)),
        sampled_full_sites=(("nested", 8), ("blog", 8)),
        edit_site=("nested", 8),
        batch_pages=3,
        default_edits=("noop", "one_page", "batch", "asset", "config", "add_page", "delete_page"),
        ladder=(8, 32),
        rebuild_sizes=(8, 32),
        timed_edits=("noop", "one_page", "batch", "asset", "config"),
        timed_default_edits=("noop", "one_page"),
        repeat=(1, 1, 60.0),
        rounds=1,
        timeout=600,
        prepare_timeout=1800,
        build_timeout=600,
        devloop_sizes=(4, 8),
        devloop_samples=2,
        devloop_other_samples=1,
        devloop_wait_s=120.0,
        devloop_settling_pages=4,
        devloop_save_after=("5", "settled"),
        instruction_site=("nested", 2),
        # Tests have no Bengal git repository: the real site is skipped with its one line.
        real_site=("build", "one_page"),
    ),
    # One commit pair of `asv continuous`: one 50-page site; the rebuilds that cost a full build on
    # recent Bengal (asset, config, the plain `bengal build`) are measured once (track_), not
    # timed. 8 samples a side: with --record-samples asv decides significance by a two-sided
    # Mann-Whitney test at p < 0.002, which 6 vs 6 samples can never pass (p >= 0.00216).
    "pr": Profile(
        name="pr",
        full_sites=(("nested", 50),),
        sampled_full_sites=(("nested", 50),),
        edit_site=("nested", 50),
        batch_pages=5,
        default_edits=("noop", "one_page", "batch", "asset", "config", "add_page", "delete_page"),
        ladder=(50, 100, 200),
        rebuild_sizes=(50, 200),
        timed_edits=("noop", "one_page", "batch"),
        timed_default_edits=(),
        repeat=(4, 4, 600.0),
        rounds=2,
        timeout=900,
        prepare_timeout=1800,
        build_timeout=900,
        devloop_sizes=(20, 80),
        devloop_samples=3,
        devloop_other_samples=2,
        devloop_wait_s=180.0,
        devloop_settling_pages=20,
        devloop_save_after=("0", "2", "5", "10", "20", "settled"),
        instruction_site=("nested", 50),
        # No real site: one full build of it costs 0.5.1 about 4 min of CPU here, a pair of
        # commits twice that, over half of the profile's 15 minutes.
        real_site=(),
    ),
    "nightly": Profile(
        name="nightly",
        full_sites=(
            ("nested", 1000),
            ("nested", 5000),
            ("nested", 10000),
            ("flat", 1000),
            # flat-10000 is cut: 0.5.1 had not finished it after 30 min (1,197 s CPU) here, and
            # the flat shape's growth already shows from 1K to 5K.
            ("flat", 5000),
            ("api_docs", 1000),
            ("blog", 1000),
        ),
        # The 1K-page nested build is also sampled; the others are built once (their numbers
        # are history, not a paired comparison).
        sampled_full_sites=(("nested", 1000),),
        edit_site=("nested", 1000),
        batch_pages=50,
        # The plain `bengal build` costs a full build per edit at 1K pages on recent Bengal.
        default_edits=("noop", "one_page"),
        ladder=(1000, 5000, 10000),
        rebuild_sizes=(1000, 5000),
        # asset and config rebuild every page on recent Bengal: measured once (track_), not timed.
        timed_edits=("noop", "one_page", "batch"),
        timed_default_edits=(),
        # History, not a paired comparison: one round, 1-3 samples (asv stops after max seconds).
        repeat=(1, 3, 600.0),
        rounds=1,
        timeout=3 * 3600,
        prepare_timeout=6 * 3600,
        # 0.5.1's nested-5000 ran 1,095 s here (loaded) and dropped pages; its 10K sites never
        # finish: 15 minutes bounds what a build Bengal cannot finish costs the night.
        build_timeout=900,
        # 5K is cut: 0.5.1's server re-renders every page per save (a 5K-page render outlives
        # its own 300 s deadline), so three saves at 5K would cost most of the budget.
        devloop_sizes=(200, 1000),
        devloop_samples=3,
        devloop_other_samples=2,
        devloop_wait_s=900.0,
        # the pr profile's window: the finding's size (docs/dev-loop.md), not the night's scale
        devloop_settling_pages=20,
        devloop_save_after=("0", "2", "5", "10", "20", "settled"),
        instruction_site=("nested", 200),  # under cachegrind (8-14x slower): inside the budget
        # Two CLI full builds and one rebuild of the ~1,550-page real site (docs/real-site.md);
        # its instruction counts (about an hour under cachegrind) and dev loop are cut.
        real_site=("build", "one_page"),
    ),
}


def active_profile() -> Profile:
    """The profile ``scope.profile()`` names (ValueError for an unknown name)."""
    return PROFILES[scope.profile()]


PROFILE = active_profile()
