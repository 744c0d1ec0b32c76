"""The compare job's verdict step, run on real asv results of a tiny throwaway project.

``tests/tiny_asv_pairs.py`` measures four commits with asv 0.6.6: a base, a clean change, a five
times slower one and one where a benchmark raises. ``tools.report`` compares each pair with
``--fail-on regression``, as the compare job does; then the verdict step of
``.github/workflows/compare.yml`` runs as written, on those exit statuses.

``asv continuous`` refuses a commit range in an existing environment, so asv's status for a pair
is that of ``asv run`` over its two commits: 2 when a benchmark failed, which is what
``continuous`` returns then (it stops before comparing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests import tiny_asv_pairs as tiny_asv
from tests.tiny_asv_pairs import MACHINE, Tiny
from tools.ci import verdict

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny() -> Tiny:
    return tiny_asv.project()


def report_rc(tiny: Tiny, head: str, out: Path, factor: str = "") -> int:
    """tools.report on the pair (a, head), as the compare job runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "tools.report", "markdown", "--results", str(tiny.results),
         "--conf", str(tiny.conf), "--repo", str(tiny.repo), "--base", tiny.shas["a"],
         "--head", tiny.shas[head], "--fail-on", "regression", "--out", str(out),
         *(["--factor", factor] if factor else [])],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode


def verdict_step() -> dict:
    compare = yaml.safe_load((ROOT / ".github" / "workflows" / "compare.yml").read_text())
    (step,) = [s for s in compare["jobs"]["compare"]["steps"] if s.get("id") == "verdict"]
    return step


def run_verdict_step(tmp: Path, asv_rc: int, report: int, factor: str) -> tuple[int, str, str]:
    """The step's own script, its env filled in as the workflow would: (exit, output, summary)."""
    step = verdict_step()
    assert set(step["env"]) == {"ASV_RC", "REPORT_RC"}, step["env"]
    out, summary = tmp / "github_output", tmp / "summary.md"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "ASV_RC": str(asv_rc),
        "REPORT_RC": str(report),
        "FACTOR": factor,  # the workflow's env, from the trusted inputs
        "GITHUB_OUTPUT": str(out),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp, env=env,
                          capture_output=True, text=True)  # fmt: skip
    return proc.returncode, out.read_text() if out.exists() else "", summary.read_text()


@pytest.mark.parametrize(
    "head,factor,kind,words",
    [
        ("slow", "", "regression", "tools.report exited 1: a benchmark regressed"),
        ("broken", "", "failure", "asv continuous exited 2: a benchmark failed or timed out"),
        ("same", "", "pass", "asv continuous and tools.report both exited 0"),
        # the dispatch's factor reaches the verdict: 10 for every benchmark hides a 5x change
        ("slow", "10", "pass", "asv continuous and tools.report both exited 0"),
    ],
    ids=["regressed", "failed", "clean", "regressed-under-factor-10"],
)
def test_verdict_step_on_real_asv_results(tiny, tmp_path, head, factor, kind, words) -> None:
    assert tiny.asv_rc["a"] == 0, tiny.logs["a"][-3000:]
    asv_rc = max(tiny.asv_rc["a"], tiny.asv_rc[head])
    rc = report_rc(tiny, head, tmp_path / "report.md", factor)
    code, output, summary = run_verdict_step(tmp_path, asv_rc, rc, factor)
    assert output == f"verdict={kind}\n"
    assert code == (0 if kind == "pass" else 1)
    assert f"Verdict: {kind}" in summary and words in summary, summary
    assert (tmp_path / "compare" / "results" / "verdict.json").exists()
    record = json.loads((tmp_path / "compare" / "results" / "verdict.json").read_text())
    assert record == {"kind": kind, "reason": record["reason"], "asv_rc": asv_rc, "report_rc": rc}
    if factor:
        assert f"factor {factor} for every benchmark" in summary


def test_the_tiny_results_are_what_the_cases_claim(tiny, tmp_path) -> None:
    """The regressed pair is slower by a real measurement; the failure is asv's own status."""
    assert tiny.asv_rc == {"a": 0, "same": 0, "slow": 0, "broken": 2}, tiny.logs["broken"][-2000:]
    assert "count is broken" in tiny.logs["broken"]
    from tools.report import data as rd

    rs = rd.load(tiny.results, MACHINE, tiny.conf, tiny.repo)
    key = "bench_tiny.Work.time_work"
    a, slow = rs.commit(tiny.shas["a"]), rs.commit(tiny.shas["slow"])
    ratio = slow.measurements[key].value / a.measurements[key].value
    assert 3 < ratio < 6, ratio  # 0.25 s against 0.05 s of sleep, as measured by asv
    assert rs.commit(tiny.shas["broken"]).measurements["bench_tiny.Work.track_items"].failed


@pytest.mark.parametrize(
    "asv_rc,report,kind",
    [
        (0, 0, "pass"),
        (1, 0, "pass"),  # asv's one lower-is-better factor; tools.report knows better
        (0, 1, "regression"),  # e.g. a higher-is-better benchmark dropped
        (1, 1, "regression"),
        (2, 1, "failure"),
        (2, 0, "failure"),  # failed at the base only: still a failed benchmark
        (0, 3, "undecided"),  # nothing regressed, a noisy benchmark's samples cannot tell
        (1, 3, "undecided"),
        (2, 3, "failure"),
        (0, 4, "error"),
        (1, 2, "error"),  # asv failed before both commits had results
        (0, 2, "error"),
        (3, 0, "crash"),
        (137, 1, "crash"),  # killed
    ],
)
def test_decide_covers_every_status_pair(asv_rc: int, report: int, kind: str) -> None:
    result = verdict.decide(asv_rc, report)
    assert result.kind == kind
    assert "\n" not in result.reason and "exited" in result.reason


@pytest.mark.parametrize(
    "log,kind",
    [
        ("Traceback (most recent call last):\n  ...\nOSError: [Errno 28] No space left\n", "crash"),
        ("·· Error: could not install\n", "crash"),
        ("\nSOME BENCHMARKS HAVE CHANGED SIGNIFICANTLY.\nPERFORMANCE DECREASED.\n", "pass"),
    ],
    ids=["traceback", "user-error", "asv-compared"],
)
def test_asv_exit_1_is_a_crash_unless_asv_compared(tmp_path, log: str, kind: str) -> None:
    """asv exits 1 on a regression and when it crashes; with tools.report at 0 a crash must
    not read as a pass."""
    (tmp_path / "asv.log").write_text(log)
    proc = subprocess.run(
        [sys.executable, "-m", "tools.ci.verdict", "--asv-rc", "1", "--report-rc", "0",
         "--asv-log", str(tmp_path / "asv.log"), "--json", str(tmp_path / "v.json")],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert json.loads((tmp_path / "v.json").read_text())["kind"] == kind
    assert proc.returncode == (0 if kind == "pass" else 1)
    missing = subprocess.run(
        [sys.executable, "-m", "tools.ci.verdict", "--asv-rc", "1", "--report-rc", "0"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert missing.returncode == 2 and "--asv-log is needed" in missing.stderr


def test_verdict_cli_refuses_a_non_status(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.ci.verdict", "--asv-rc", "", "--report-rc", "0"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 2 and "--asv-rc must be an exit status" in proc.stderr


def test_report_keeps_one_pythons_results(tiny) -> None:
    """With 3.14 and 3.14t in one results folder, each report reads its own python's series."""
    from tools.report import data as rd

    rs = rd.load(tiny.results, MACHINE, tiny.conf, tiny.repo, python=sys.executable)
    assert {c.sha for c in rs.commits} == set(tiny.shas.values())
    with pytest.raises(rd.ReportError, match=r"no results for python '3\.14t'"):
        rd.load(tiny.results, MACHINE, tiny.conf, tiny.repo, python="3.14t")
