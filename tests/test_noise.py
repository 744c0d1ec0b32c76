"""The decision of a noisy benchmark (``tools.noise``) on synthetic samples: asv's own p-values,
the floor, the four outcomes and the evidence each carries."""

from __future__ import annotations

import random

import pytest
from asv import _stats

from tools import noise


def _samples(rng: random.Random, n: int, level: float, spread: float) -> list[float]:
    """n samples of ``level``, each up to ``spread`` (relative) slower: a loaded machine."""
    return [level * (1 + spread * rng.random()) for _ in range(n)]


@pytest.mark.parametrize(("m", "n"), [(3, 3), (6, 6), (8, 8), (5, 9), (20, 20), (21, 25)])
def test_p_values_are_asvs(m: int, n: int) -> None:
    rng = random.Random(m * 100 + n)
    for _ in range(40):
        # rounded: ties happen, and asv breaks them conservatively
        x = [round(rng.gauss(1.0, 0.1), 2) for _ in range(m)]
        y = [round(rng.gauss(1.05, 0.1), 2) for _ in range(n)]
        assert noise.mann_whitney_p(x, y) == pytest.approx(
            _stats.mann_whitney_u(x, y)[1], abs=1e-12
        )


def test_six_a_side_can_never_reach_asvs_threshold_seven_can() -> None:
    assert noise.min_p(6, 6) > noise.ALPHA  # 2/924
    assert noise.min_p(7, 7) < noise.ALPHA
    completely_apart = noise.decide([1.0] * 3 + [1.01] * 3, [2.0] * 6, floor=0.1)
    assert completely_apart.outcome == "undecided" and completely_apart.p is None
    assert "too few samples (6 vs 6)" in completely_apart.reason


def test_one_sample_a_side_is_undecided_whatever_the_change() -> None:
    for head in (1.0, 1.02, 3.0):
        d = noise.decide([1.0], [head], floor=0.1)
        assert d.outcome == "undecided" and d.ci is None and d.p is None, head
        assert d.evidence() == "n 1/1 · p n/a · floor 10%"


def test_twenty_a_a_pairs_give_no_regression() -> None:
    rng = random.Random(7)
    outcomes = [
        noise.decide(_samples(rng, 8, 2.0, 0.25), _samples(rng, 8, 2.0, 0.25), floor=0.1).outcome
        for _ in range(20)
    ]
    assert "regression" not in outcomes and "improvement" not in outcomes, outcomes


def test_a_step_of_twice_the_spread_is_a_regression_a_quarter_never() -> None:
    rng = random.Random(11)
    spread = 0.25
    for _ in range(20):
        base = _samples(rng, 8, 2.0, spread)
        assert noise.decide(
            base, _samples(rng, 8, 2.0 * (1 + 2 * spread), spread), 0.1
        ).outcome == ("regression")
        quarter = noise.decide(base, _samples(rng, 8, 2.0 * (1 + spread / 4), spread), 0.1)
        assert quarter.outcome in ("undecided", "unchanged"), quarter


def test_higher_is_better_turns_a_drop_into_the_regression() -> None:
    base, head = [10.0, 10.1, 9.9, 10.2, 10.0, 9.8, 10.1, 10.0], [4.0, 4.1, 3.9, 4.0] * 2
    assert noise.decide(base, head, 0.5, higher_is_better=True).outcome == "regression"
    assert noise.decide(base, head, 0.5).outcome == "improvement"
    assert noise.decide(head, base, 0.5, higher_is_better=True).outcome == "improvement"


def test_a_significant_change_below_the_floor_is_never_a_regression() -> None:
    base = [1.0 + i * 0.001 for i in range(10)]
    small = [v * 1.05 for v in base]  # +5%, p tiny, the interval within 10%
    d = noise.decide(base, small, floor=0.1)
    assert d.outcome == "unchanged" and d.p is not None and d.p < noise.ALPHA, d
    wide = [1.0, 1.02, 1.04, 1.06, 1.08, 1.10, 1.12, 1.14]
    near = [v * 1.09 for v in wide]  # +9%: different, but the interval reaches past 10%
    d = noise.decide(wide, near, floor=0.1)
    assert d.outcome == "undecided" and d.ci is not None and d.ci[1] > 1.1, d


def test_inseparable_samples_with_a_wide_interval_are_undecided() -> None:
    rng = random.Random(3)
    base, head = _samples(rng, 8, 1.0, 0.6), _samples(rng, 8, 1.05, 0.6)
    d = noise.decide(base, head, floor=0.05)
    assert d.outcome == "undecided" and d.p is not None and d.p >= noise.ALPHA
    assert "cannot separate" in d.reason
    assert d.evidence().startswith("n 8/8 · spread ") and "90% CI" in d.evidence()


def test_the_interval_covers_the_true_ratio_as_often_as_it_says() -> None:
    rng = random.Random(5)
    covered = 0
    trials = 300
    for _ in range(trials):
        ci = noise.ratio_interval(_samples(rng, 8, 1.0, 0.3), _samples(rng, 8, 1.2, 0.3))
        assert ci is not None
        covered += ci[0] <= 1.2 <= ci[1]
    assert covered / trials >= 0.85, covered  # 90% nominal (at least, as it is conservative)


def test_asvs_intervals_decide_when_no_samples_were_recorded() -> None:
    stats = {"ci_99_a": 0.99, "ci_99_b": 1.01, "repeat": 5}
    far = {"ci_99_a": 1.49, "ci_99_b": 1.51, "repeat": 5}
    assert noise.decide_from_stats(1.0, stats, 1.5, far, 0.1).outcome == "regression"
    assert noise.decide_from_stats(1.0, stats, 1.0, stats, 0.1).outcome == "unchanged"
    wide = {"ci_99_a": 0.5, "ci_99_b": 2.0, "repeat": 2}
    d = noise.decide_from_stats(1.0, stats, 1.05, wide, 0.1)
    assert (
        d.outcome == "undecided"
        and d.evidence() == "n 5/2 · p n/a · 99% CI -50.5%…+102.0% · floor 10%"
    )


@pytest.mark.parametrize(
    ("name", "exact", "threshold", "noisy"),
    [
        ("bench_full.FullBuild.time_full_build", False, 0.1, True),
        ("bench_full.FullBuildMemory.peakmem_full_build", False, 0.05, True),
        ("bench_full.FullBuildReference.track_cli_wall_seconds", False, 0.5, True),
        ("bench_instructions.BuildInstructions.track_build_instructions", True, 0.01, False),
        ("bench_correctness.MissedEdits.track_missed_edit_outputs", False, 0.0, False),
        ("bench_tiny.Work.time_work", None, None, True),  # a test suite's, not in the catalogue
        ("bench_tiny.Work.track_items", None, None, False),
    ],
)
def test_which_benchmarks_are_judged_by_samples(
    name: str, exact: bool | None, threshold: float | None, noisy: bool
) -> None:
    assert noise.is_noisy(name, exact, threshold) is noisy
