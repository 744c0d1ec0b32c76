"""The summary ``make bench`` ends with: findings (Bengal did something wrong) apart from harness
failures, in what it prints and in its exit status; from a real asv run of a tiny project whose
benchmarks fail the way this suite's do (``measurement`` re-raises a kept ``BuildFailed: ...``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests import tiny_asv

ROOT = Path(__file__).resolve().parents[1]
BENCH = """
import os


class Work:
    params = ["'one_page'", "'asset'"]
    param_names = ["edit"]

    def track_missed(self, edit):
        return 0

    def track_speedup(self, edit):
        if "asset" in edit and os.environ.get("TINY_FINDING"):
            raise RuntimeError("the rebuild missed the edit, so its work is no speedup: x.css")
        return 5.0


def track_full_build():
    if os.environ.get("TINY_FINDING"):
        raise RuntimeError(  # a kept BuildFailed quotes Bengal's output, errors included
            "BuildFailed: bengal exited with code 1 (last output:\\n"
            "jinja2.exceptions.UndefinedError: 'section' is undefined)"
        )
    return 1.0


def track_harness():
    if os.environ.get("TINY_HARNESS"):
        raise KeyError("reference")
    return 1.0
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tiny_asv.Tiny:
    t = tiny_asv.make(tmp_path_factory.mktemp("summary"))
    (t.bench / "bench_tiny.py").write_text(BENCH)
    return t


def bench(tiny: tiny_asv.Tiny, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """asv run (its log as make bench keeps it), then the summary, as the Makefile does."""
    results = tmp_path / "results"
    conf = tiny.conf(results)
    tiny.run([sys.executable, "-m", "asv", "machine", "--yes", "--machine", "m",
              "--config", str(conf)]).check_returncode()  # fmt: skip
    run = tiny.run(tiny.asv_run(results, "m", tiny.commits[-1]), **env)
    (tmp_path / "bench.log").write_text(run.stdout + run.stderr)
    return subprocess.run(
        [sys.executable, "-m", "tools.asv_local.summary", "--log", str(tmp_path / "bench.log"),
         "--asv-rc", str(run.returncode), "--results", str(results),
         "--html", str(tmp_path / "html")],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip


def test_a_clean_run_exits_0_and_says_where_the_site_is(tmp_path) -> None:
    from tests import asv_synthetic
    from tools.asv_local import summary

    name = "bench_full.FullBuildReference.track_cli_wall_seconds"
    suite = {name: ([["'nested-8'", "'nested-50'"]], ["site"], "s")}
    asv_synthetic.write(tmp_path / "results", suite, {"a" * 40: {name: [1.0, float("nan")]}})
    s = summary.summarize(tmp_path / "results", "", asv_rc=0)
    assert (s.status, s.values, s.skipped, s.failures) == (0, 1, 1, [])
    text = summary.render(s, tmp_path / "html")
    assert f"asv site: {tmp_path / 'html'}" in text and "exit status 0" in text
    assert "FINDINGS" not in text and "HARNESS" not in text


def test_findings_alone_exit_1_and_name_the_finding(tiny, tmp_path) -> None:
    proc = bench(tiny, tmp_path, TINY_FINDING="1")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "values recorded: 4;" in out
    assert "FINDINGS: 2 benchmarks" in out and "HARNESS" not in out
    assert "bench_tiny.track_full_build (1 failed): RuntimeError: BuildFailed: bengal exited" in out
    assert "bench_tiny.Work.track_speedup (1 failed): RuntimeError: the rebuild missed" in out


def test_a_harness_failure_exits_2_beside_the_findings(tiny, tmp_path) -> None:
    proc = bench(tiny, tmp_path, TINY_FINDING="1", TINY_HARNESS="1")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    out = proc.stdout
    assert "FINDINGS: 2 benchmarks" in out
    assert "HARNESS FAILURES: 1 benchmarks" in out
    assert "bench_tiny.track_harness (1 failed): KeyError: 'reference'" in out


def test_an_asv_crash_is_a_harness_failure(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.asv_local.summary", "--log", str(tmp_path / "none.log"),
         "--asv-rc", "1", "--results", str(tmp_path / "none")],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "asv itself exited with status 1" in proc.stdout


def test_a_name_asv_shortened_is_matched_to_its_benchmark() -> None:
    """asv prints a long name as "...its end"; the excerpt is from a real make bench log."""
    from tools.asv_local import summary

    log = (
        "[65.62%] ··· ...ntal.IncrementalWork.track_speedup_over_full         2/7 failed\n"
        "             For parameters: 'add_page'\n"
        "             Traceback (most recent call last):\n"
        '               File "benchmarks/measure.py", line 241, in edit_measurement\n'
        "             RuntimeError: the rebuild missed the edit, so its work is no speedup: x\n"
    )
    errors, _ = summary.errors_by_benchmark(log)
    key = "bench_incremental.IncrementalWork.track_speedup_over_full"
    got = summary._errors_of(key, errors)
    assert got == ["RuntimeError: the rebuild missed the edit, so its work is no speedup: x"]
    assert summary._errors_of("bench_incremental.IncrementalWork.track_rebuilt_pages", errors) == []
