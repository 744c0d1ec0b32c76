"""Interleaved A/B (``tools.asv_local.interleave``) with real asv runs of a tiny noisy project.

Twenty A/A pairs of a wall-time benchmark give no regression; their samples give the measured
spread; a step of twice that spread, planted in a new commit, is decided as a regression, and a
step of a quarter of it is undecided or unchanged, never a regression. The decisions are
``tools.report``'s (``tools.report.data.compare``), as the compare job reads them. The figures
(spread, p-values, rounds) are printed (``pytest -s``) for docs/reports.md.
"""

from __future__ import annotations

import json
import statistics
import subprocess
from pathlib import Path

import pytest

from tests import tiny_asv_noise as tiny
from tools import noise
from tools.asv_local import interleave
from tools.report import data as rd

BUDGET = interleave.Budget(min_rounds=1, max_rounds=4, minutes=10)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tiny.Noisy:
    noisy = tiny.make(tmp_path_factory.mktemp("noisy"))
    noisy.commit("base")
    return noisy


def compare(
    project: tiny.Noisy, base: str, head: str, name: str
) -> tuple[dict, interleave.Outcome]:
    """One interleaved comparison into its own results folder: (the time benchmark's row, the
    single-shot track's row), and the rounds' outcome."""
    results = project.root / name / "results"
    conf = project.conf(results)
    outcome = interleave.run(
        project.run_side(conf), results, tiny.MACHINE, base, head, BUDGET, conf=conf
    )
    rs = rd.load(results, tiny.MACHINE, conf)
    rows = {r.key: r for r in rd.compare(rs, rs.commit(base), rs.commit(head))}
    return rows, outcome


def _evidence(row: rd.Row) -> str:
    return f"{row.status} ({row.decision.evidence() if row.decision else row.note})"


@pytest.fixture(scope="module")
def a_a(project: tiny.Noisy) -> dict:
    """Twenty A/A pairs: each a comment-only commit against the base, interleaved."""
    base = _head(project)
    pairs = []
    for i in range(20):
        same = project.commit(f"a-a {i}")
        rows, outcome = compare(project, base, same, f"a-a-{i}")
        pairs.append((rows, outcome))
    spreads = [
        s
        for rows, _ in pairs
        for m in (rows[tiny.TIME].base, rows[tiny.TIME].head)
        if m and m.samples and (s := noise.spread(m.samples)) is not None
    ]
    return {"base": base, "pairs": pairs, "spread": statistics.median(spreads)}


def _head(project: tiny.Noisy) -> str:
    return tiny._git(project.repo, "rev-parse", "main")


@pytest.mark.slow  # 20 interleaved A/A comparisons: some 50 asv runs of a few seconds each
def test_twenty_a_a_pairs_give_no_regression(a_a: dict) -> None:
    statuses = [rows[tiny.TIME].status for rows, _ in a_a["pairs"]]
    rounds = [o.rounds for _, o in a_a["pairs"]]
    print(f"\nA/A: measured spread of time_work {a_a['spread']:.1%} (median over 40 sides)")
    for rows, outcome in a_a["pairs"]:
        print(f"  {_evidence(rows[tiny.TIME])}; rounds {outcome.rounds}, {outcome.stopped}")
    assert "regression" not in statuses and "improvement" not in statuses, statuses
    assert all(r <= BUDGET.max_rounds for r in rounds)
    # the single-shot track value got one sample per round, on each side
    for rows, outcome in a_a["pairs"]:
        track = rows[tiny.TRACK]
        assert track.base and track.head and track.base.samples and track.head.samples
        assert len(track.base.samples) == len(track.head.samples) == outcome.rounds
        assert track.head.value == statistics.median(track.head.samples)
    assert 0.05 < a_a["spread"] < 1.0, a_a["spread"]  # JITTER's 20% and the machine's own


@pytest.mark.slow
def test_a_step_of_twice_the_spread_is_a_regression(project: tiny.Noisy, a_a: dict) -> None:
    step = 2 * a_a["spread"]
    head = project.commit("step 2x spread", delay=tiny.DELAY * (1 + step))
    rows, outcome = compare(project, a_a["base"], head, "step-2x")
    row = rows[tiny.TIME]
    print(f"\nstep +{step:.1%} (2x spread): {_evidence(row)}; rounds {outcome.rounds}")
    assert row.status == "regression", _evidence(row)
    assert outcome.stopped == "decided"
    record = json.loads((project.root / "step-2x" / "results" / "interleave.json").read_text())
    assert record["rounds"] == outcome.rounds and record["stopped"] == "decided"


@pytest.mark.slow
def test_a_step_of_a_quarter_of_the_spread_is_never_a_regression(
    project: tiny.Noisy, a_a: dict
) -> None:
    step = a_a["spread"] / 4
    head = project.commit("step spread/4", delay=tiny.DELAY * (1 + step))
    rows, outcome = compare(project, a_a["base"], head, "step-quarter")
    row = rows[tiny.TIME]
    print(f"\nstep +{step:.1%} (spread/4): {_evidence(row)}; rounds {outcome.rounds}, "
          f"{outcome.stopped}")  # fmt: skip
    assert row.status in ("undecided", "unchanged"), _evidence(row)


# --- without asv runs ------------------------------------------------------------------------

WALL = "bench_full.FullBuildReference.track_cli_wall_seconds"


def test_single_values_become_one_sample_per_round(tmp_path: Path) -> None:
    """asv rewrites a track_ value (and drops its samples) on each run: each run's value is
    appended to the samples kept in the results file, the median of them its value."""
    from tests import asv_synthetic

    suite = {WALL: ([["'nested-8'"]], ["site"], "s")}
    sha = "a" * 40
    kept: interleave.Kept = {}
    for value in (2.0, 2.6, 2.2):
        asv_synthetic.write(tmp_path, suite, {sha: {WALL: [value]}})  # what asv run leaves
        assert interleave.keep_single_values(tmp_path, asv_synthetic.MACHINE, sha, kept) == 1
    rs = rd.load(tmp_path)
    m = rs.commit(sha).measurements[f"{WALL}('nested-8')"]
    assert m.samples == [2.0, 2.6, 2.2] and m.value == 2.2
    assert interleave.keep_single_values(tmp_path, asv_synthetic.MACHINE, sha, kept) == 0
    again: interleave.Kept = {}
    interleave.remember(tmp_path, asv_synthetic.MACHINE, sha, again)  # a resumed job
    assert list(again.values()) == [[2.0, 2.6, 2.2]]


def test_continuous_until_decided_runs_asv_run_per_side(monkeypatch, tmp_path: Path) -> None:
    """compare.yml's command line: asv continuous's display options dropped, the factor kept
    for the decisions, one ``asv run SHA^!`` per side with samples appended."""
    from tools.asv_local import cli

    repo = tmp_path / "bengal"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    for message in ("base", "head"):
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                        "commit", "-q", "--allow-empty", "-m", message], check=True)  # fmt: skip
    shas = subprocess.run(["git", "-C", str(repo), "rev-list", "--reverse", "main"],
                          capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    config = cli.write_config(repo, tmp_path / "asv.local.conf.json")
    calls: list[list[str]] = []
    monkeypatch.setattr(
        cli, "run_asv", lambda cmd, args, conf, machine: calls.append([cmd, *args]) or 0
    )

    def fake_run(run_side, results_dir, machine, base, head, budget, **kw):
        for sha in (base, head):
            run_side(sha)
        assert (budget.min_rounds, budget.max_rounds, budget.minutes) == (1, 4, 100.0)
        assert kw["factor"] == 1.2
        return interleave.Outcome(base, head, rounds=1, asv_rcs=[0, 0], stopped="decided")

    monkeypatch.setattr(interleave, "run", fake_run)
    rc = cli.interleave(
        ["--until-decided", "--min-rounds", "1", "--max-rounds", "4", "--budget-minutes", "100",
         "--factor", "1.2", "--bench", "bench_full", "--record-samples", "--split",
         "--show-stderr", "--interleave-rounds", "main~1", "main"],
        config, "gha",
    )  # fmt: skip
    assert rc == 0
    assert calls == [
        ["run", "--bench", "bench_full", "--record-samples", "--show-stderr", "--append-samples",
         f"{sha}^!"]
        for sha in shas
    ]  # fmt: skip


def test_the_outcome_passes_asvs_failures_on() -> None:
    assert interleave.Outcome("a", "b", asv_rcs=[0, 0, 0, 0]).rc == 0
    assert interleave.Outcome("a", "b", asv_rcs=[0, 2, 0, 2]).rc == 2  # a benchmark failed
    assert interleave.Outcome("a", "b", asv_rcs=[0, 2, 1]).rc == 1  # asv itself failed


def test_rounds_stop_when_the_results_cannot_be_compared(tmp_path: Path) -> None:
    """asv ran (exit 0) but left no results to compare: the rounds stop, tools.report says why."""
    calls: list[str] = []
    lines: list[str] = []
    outcome = interleave.run(
        lambda sha: calls.append(sha) or 0, tmp_path / "results", "m", "a" * 40, "b" * 40,
        interleave.Budget(1, 4, 10), log=lines.append,
    )  # fmt: skip
    assert (outcome.stopped, outcome.rounds, outcome.rc) == ("no_comparison", 1, 0)
    assert calls == ["a" * 40, "b" * 40] and "cannot compare" in lines[-1]
    record = json.loads((tmp_path / "results" / "interleave.json").read_text())
    assert record["stopped"] == "no_comparison" and record["asv_rcs"] == [0, 0]
