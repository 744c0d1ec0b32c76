"""tools.bisect.noisy without Bengal: the per-probe decision and the search on synthetic samples.
A clear step is placed and named; no step, or a probe between two steps, is undecided; a wrong
side is never answered. The end-to-end bisect of a planted build-time step is in
test_bisect_noisy.py."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tools.bisect import cli, timing
from tools.bisect.commits import Commit
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


def fake_commits(n: int) -> list[Commit]:
    """A range of ``n`` commits that each change Bengal's code (all probe-able)."""
    return [Commit(f"{i:02d}" * 20, f"change {i}", "2025-10-14T23:27:47Z", ["bengal/x.py"])
            for i in range(n)]  # fmt: skip


def answer_of(monkeypatch, tmp_path: Path, metric: str, value) -> tuple[dict, str]:
    """``timing.run`` with every build replaced by ``value(i)``: its answer and Markdown."""
    monkeypatch.setattr(timing.Builds, "sample", lambda self, i, number: value(i))
    answer = timing.run(tmp_path, fake_commits(9), metric, "smoke", tmp_path)
    json.dumps(answer)  # what answer.json holds
    return answer, timing.markdown(answer)


def test_the_answer_names_the_culprit_with_every_probe(monkeypatch, tmp_path: Path) -> None:
    rng = random.Random(5)
    answer, text = answer_of(monkeypatch, tmp_path, "cpu", lambda i: noisy(rng, 1 + 0.5 * (i >= 6)))
    assert answer["decision"] == "named" and answer["suspects"] == ["06" * 20]
    assert answer["step"]["multiple_of_spread"] > 1 and answer["step"]["n"] == 5
    assert "**Culprit: `06060606`** (change 6)." in text
    assert text.count("| like ") == len(answer["probes"]) == 3
    assert answer["cost"]["samples"] == 10 + 15 * 3 and answer["cost"]["load_before"]


def test_the_answer_of_an_unplaceable_probe_is_undecided(monkeypatch, tmp_path: Path) -> None:
    rng = random.Random(3)
    answer, text = answer_of(
        monkeypatch, tmp_path, "wall", lambda i: noisy(rng, 1 + 0.5 * (i >= 3) + 0.5 * (i >= 6))
    )
    assert answer["decision"] == "undecided" and answer["suspects"] == []
    u = answer["undecided"]
    assert u["n"] == 12 and len(u["samples"][u["mid"]]) == 12 and u["mid"] in u["median"]
    assert f"**Undecided** at probe `{u['mid'][:8]}`" in text and "| undecided |" in text


def test_peak_rss_takes_one_build_per_probe(monkeypatch, tmp_path: Path) -> None:
    answer, text = answer_of(monkeypatch, tmp_path, "peak_rss", lambda i: 58.0 + 6 * (i >= 4))
    assert [s["suspects"] for s in answer["steps"]] == [["04" * 20]]
    assert answer["cost"]["samples"] == 5  # both ends, then 4, 2, 3: 2 + ⌈log2 8⌉
    assert "step at `04040404`: 58.0 → 64.0 MB (+10.34%)" in text


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--benchmark", "wall,full"], "wall is bisected alone"),
        (["--benchmark", "cpu", "--samples", "2:4"], "need 3 <= MIN <= MAX <= 20"),
        (["--benchmark", "cpu", "--samples", "five"], "not MIN:MAX"),
        (["--benchmark", "cpu", "--thorough"], "--thorough is for counts, not cpu"),
        (["--benchmark", "cpu", "--alpha", "2"], "--alpha must be between 0 and 0.5"),
    ],
)
def test_bad_input_is_a_one_line_error(argv: list[str], error: str, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--repo", "/nowhere", "--good", "a", "--bad", "b", *argv])
    assert exc.value.code == 2
    assert error in capsys.readouterr().err.strip().splitlines()[-1]
