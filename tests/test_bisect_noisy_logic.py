"""tools.bisect.noisy without Bengal: the per-probe decision and the search on synthetic samples.
A clear step is placed and named; no step, or a probe between two steps, is undecided; a wrong
side is never answered. The end-to-end bisect of a planted build-time step is in
test_bisect_noisy.py."""

from __future__ import annotations

import random

import pytest

from tools.bisect.noisy import LIKE_BAD, LIKE_GOOD, UNDECIDED, bisect_noisy, decide
from tools.bisect.search import Skipped


def noisy(rng: random.Random, level: float) -> float:
    """One sample of a build that takes ``level`` on a shared machine: ±4% jitter, and one
    sample in eight slowed by 10–40% (another job on the core): an A/A spread of 10–45%."""
    value = level * rng.uniform(0.96, 1.04)
    if rng.random() < 1 / 8:
        value *= rng.uniform(1.1, 1.4)
    return value


def samples(rng: random.Random, level: float, n: int) -> list[float]:
    return [noisy(rng, level) for _ in range(n)]


@pytest.mark.parametrize("seed", range(20))
def test_a_clear_step_places_the_probe_on_its_side(seed: int) -> None:
    rng = random.Random(seed)
    good, bad = samples(rng, 1.0, 6), samples(rng, 1.5, 6)
    assert decide(good, samples(rng, 1.5, 6), bad)[0] == LIKE_BAD
    assert decide(good, samples(rng, 1.0, 6), bad)[0] == LIKE_GOOD
    # and the same for an improvement (the step goes down)
    assert decide(bad, samples(rng, 1.0, 6), good)[0] == LIKE_BAD
    assert decide(bad, samples(rng, 1.5, 6), good)[0] == LIKE_GOOD


@pytest.mark.parametrize("seed", range(20))
def test_a_probe_between_two_steps_is_undecided(seed: int) -> None:
    rng = random.Random(seed)
    good, half, bad = samples(rng, 1.0, 8), samples(rng, 1.5, 8), samples(rng, 2.0, 8)
    assert decide(good, half, bad)[0] == UNDECIDED


def test_too_few_samples_decide_nothing() -> None:
    """3 v 3 fully apart has p = 0.1: above alpha, whatever the step."""
    assert decide([1.0, 1.01, 1.02], [2.0, 2.01, 2.02], [2.0, 2.01, 2.02])[0] == UNDECIDED


def test_no_step_never_names_a_side_wrongly() -> None:
    """Flat series: the ends do not differ, and the answer is "undecided" at the ends; over 200
    seeds a culprit is named (falsely) at most a few times (alpha 1% over up to 8 looks)."""
    named = 0
    for seed in range(200):
        rng = random.Random(seed)
        out = bisect_noisy([True] * 12, lambda i, rng=rng: noisy(rng, 1.0))
        if out.culprit is not None:
            named += 1
        else:
            assert out.undecided is not None and out.undecided.decision == UNDECIDED
    assert named <= 6, named


@pytest.mark.parametrize("culprit", range(1, 12))
def test_a_clear_step_is_named_or_undecided_never_wrong(culprit: int) -> None:
    decided = 0
    for seed in range(10):
        rng = random.Random(seed * 100 + culprit)
        out = bisect_noisy([True] * 12, lambda i, rng=rng: noisy(rng, 1.5 if i >= culprit else 1))
        if out.culprit is not None:
            assert out.culprit == culprit, (seed, out.probes)
            assert out.undecided is None
            decided += 1
            assert len(out.probes) <= 4  # ⌈log2 11⌉
    assert decided >= 9


def test_a_clear_step_costs_the_minimum_samples() -> None:
    rng = random.Random(1)
    out = bisect_noisy([True] * 9, lambda i: 1.0 + (i >= 5) + rng.uniform(0, 0.01))
    assert out.culprit == 5
    assert out.samples_taken == 2 * 5 + 3 * 5 * len(out.probes)
    assert all(v.n == 5 for v in out.probes)


def test_an_unplaceable_probe_stops_the_bisect_with_its_samples() -> None:
    """Two steps: the probe between them is like neither end, so the answer is undecided with
    that probe's samples, not a culprit."""
    rng = random.Random(3)
    out = bisect_noisy([True] * 9, lambda i: noisy(rng, 1.0 + 0.5 * (i >= 3) + 0.5 * (i >= 6)))
    assert out.culprit is None
    v = out.undecided
    assert v is not None and v.mid is not None and v.n == 12
    assert set(v.to_json()["median"]) == {str(v.lo), str(v.mid), str(v.hi)}


def test_a_commit_that_cannot_build_is_skipped() -> None:
    def sample(i: int) -> float:
        if i == 4:
            raise Skipped("commit 4 does not build")
        return 1.0 + (i >= 5) + random.uniform(0, 0.01)

    out = bisect_noisy([True] * 9, sample)
    assert out.suspects == (4, 5) and out.skipped == {4: "commit 4 does not build"}


def test_an_end_that_fails_later_is_an_error_not_a_skip() -> None:
    calls = {0: 0}

    def sample(i: int) -> float:
        if i == 0:
            calls[0] += 1
            if calls[0] > 5:
                raise Skipped("the good end stopped building")
        return 1.0 + (i >= 5)

    with pytest.raises(Skipped):
        bisect_noisy([True] * 9, sample)
