"""Regression thresholds: declared by each benchmark, generated into asv.conf.json, and applied by
``tools.report --fail-on regression`` with asv.conf.json's own values."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from catalogue import thresholds
from tests import asv_synthetic

ROOT = Path(__file__).resolve().parent.parent


def test_asv_conf_is_generated_from_every_benchmarks_declaration() -> None:
    declared = thresholds.declarations()
    assert len(declared) > 40, len(declared)  # the whole suite, inherited methods included
    assert thresholds.differences() == []
    _, table = thresholds.read_tables()
    for d in declared:  # asv's rule (the largest matching regex) gives exactly the declaration
        assert thresholds.threshold_of(table, f"{d.name}@main") == d.threshold, d.name
        assert thresholds.threshold_of(table, f"{d.name}('nested-8')@main") == d.threshold


def _suite(tmp_path: Path, body: str) -> Path:
    bench = tmp_path / f"suite_{tmp_path.name[-12:].replace('-', '_')}"
    bench.mkdir()
    (bench / "__init__.py").write_text("")
    (bench / "bench_x.py").write_text(textwrap.dedent(body))
    return bench


def test_a_benchmark_without_a_threshold_is_an_error(tmp_path: Path) -> None:
    bench = _suite(
        tmp_path,
        """
        class Declared:
            regression_threshold = 0.1
            def time_a(self): pass

        class Forgotten:
            def track_b(self): return 1
        """,
    )
    with pytest.raises(thresholds.ThresholdError, match=r"bench_x\.Forgotten\.track_b$"):
        thresholds.tables(thresholds.declarations(bench))


def test_overrides_and_directions_round_trip_and_a_hand_edit_is_caught(tmp_path: Path) -> None:
    bench = _suite(
        tmp_path,
        """
        class _Base:
            regression_threshold = 0.5
            def track_speedup(self): return 2.0
            track_speedup.higher_is_better = True

        class Counts(_Base):
            def track_missed(self): return 0
            track_missed.regression_threshold = 0.0
            def track_seconds(self): return 1.0
        """,
    )
    conf = tmp_path / "asv.conf.json"
    shutil.copy(thresholds.CONF, conf)
    thresholds.write(conf, bench)
    assert thresholds.differences(conf, bench) == []
    off, table = thresholds.read_tables(conf)
    assert thresholds.threshold_of(table, "bench_x.Counts.track_missed@main") == 0.0
    assert thresholds.threshold_of(table, "bench_x.Counts.track_seconds@main") == 0.5
    assert list(off) == [r"^bench_x\.Counts\.track_speedup\b"]  # asv's detection off: ↑
    text = conf.read_text()
    conf.write_text(text.replace(r'track_missed\\b": 0.0', r'track_missed\\b": 0.1'))
    assert thresholds.differences(conf, bench) == [
        "bench_x.Counts.track_missed: declares 0.0, asv.conf.json gives 0.1"
    ]


# --- asv.conf.json's thresholds, applied by tools.report --------------------------------------

MISSED = "bench_correctness.MissedEdits.track_missed_edit_outputs"
SPEEDUP = "bench_incremental.IncrementalWork.track_speedup_over_full"
INSTRUCTIONS = "bench_instructions.BuildInstructions.track_build_instructions"
SUITE: asv_synthetic.Suite = {
    MISSED: ([["'incremental'"], ["'asset'", "'one_page'"]], ["mode", "edit"], "files"),
    SPEEDUP: ([["'one_page'"]], ["edit"], "x"),
    INSTRUCTIONS: ([["'nested-8'"], ["'full'", "'one_page'"]], ["site", "build"], "instructions"),
}
# The speedup is a single-shot value, decided from one sample per round of an interleaved
# compare (tools.asv_local interleave): 8 rounds a side here; counters and counts are exact.
SPEEDUPS = [10.0, 10.3, 9.6, 10.1, 9.9, 10.4, 9.7, 10.0]
BASE = {MISSED: [0, 0], SPEEDUP: [SPEEDUPS], INSTRUCTIONS: [7.0e9, 2.0e9]}
# A/A: what the A/A runs moved (single-shot values by up to 34% between samples, counts by
# 0.013%), counters exact
AA_MOVES = (0.83, 1.1, 0.95, 1.12, 0.9, 1.0, 1.05, 0.85)
A_A = {
    MISSED: [0, 0],
    SPEEDUP: [[v * f for v, f in zip(SPEEDUPS, AA_MOVES, strict=True)]],
    INSTRUCTIONS: [7.0e9 * 1.00013, 2.0e9 * 0.99987],
}


@pytest.mark.parametrize(
    ("head", "regressed"),
    [
        ({**BASE, MISSED: [0, 1]}, f"{MISSED}('incremental', 'one_page')"),
        ({**BASE, SPEEDUP: [[v * 0.4 for v in SPEEDUPS]]}, f"{SPEEDUP}('one_page')"),
        ({**BASE, INSTRUCTIONS: [7.0e9, 2.0e9 * 1.015]}, f"{INSTRUCTIONS}('nested-8', 'one_page')"),
        (A_A, None),
    ],
    ids=["counter-0-to-1", "speedup-drop", "instructions-plus-1.5pct", "a-a-pair"],
)
def test_asv_conf_thresholds_fail_the_report_on_each_regression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], head: dict, regressed: str | None
) -> None:
    from tools.report import cli

    results = tmp_path / "results"
    asv_synthetic.write(results, SUITE, {"a" * 40: BASE, "b" * 40: head})
    # tools.report's command line, in this process (its exit status is main's return value)
    rc = cli.main(["markdown", "--results", str(results), "--base", "a" * 8, "--head", "b" * 8,
                   "--fail-on", "regression"])  # fmt: skip
    out = capsys.readouterr().out
    assert rc == (0 if regressed is None else 1), out  # the A/A speedup: unchanged, not undecided
    regressions = out.split("### Regressions", 1)
    if regressed is None:
        assert len(regressions) == 1 and "**0** regressions" in out, out
    else:
        section = regressions[1].split("###", 1)[0]
        assert f"`{regressed}`" in section and section.count("| 🔴 |") == 1, out


def test_one_single_shot_value_a_side_is_undecided_never_a_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A speedup measured once per commit cannot be decided, whether it dropped 60% or not:
    tools.report exits 3 (undecided) with --fail-on regression, and says why."""
    from tools.report import cli

    for head in (4.0, 10.0):
        results = tmp_path / f"results-{head}"
        asv_synthetic.write(results, SUITE, {"a" * 40: {**BASE, SPEEDUP: [10.0]},
                                             "b" * 40: {**BASE, SPEEDUP: [head]}})  # fmt: skip
        rc = cli.main(["markdown", "--results", str(results), "--base", "a" * 8, "--head", "b" * 8,
                       "--fail-on", "regression"])  # fmt: skip
        out = capsys.readouterr().out
        assert rc == cli.UNDECIDED_RC, out
        section = out.split("### Undecided", 1)[1].split("###", 1)[0]
        assert f"`{SPEEDUP}('one_page')`" in section and "n 1/1 · p n/a · floor 50%" in section
        assert "too few samples (1 vs 1)" in section and "## 🟡 Bengal benchmarks" in out
