"""The asv suite end to end: a real `asv run` of every benchmark (smoke profile) over a local
history of two Bengal releases from different eras (0.1.2 and 0.5.1), then `asv publish` and
`asv compare` on its results. The run itself is the shared `asv_smoke_run` fixture."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

from asv.results import iter_results

ROOT = Path(__file__).resolve().parent.parent
# Metrics an era may not have: Bengal reports phase times only from some commit on.
ERA_SKIPPABLE = ("bench_phases.",)


def _benchmarks(results_dir: Path) -> dict[str, dict]:
    data = json.loads((results_dir / "benchmarks.json").read_text())
    return {name: b for name, b in data.items() if name != "version"}


def _asv(run, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asv", *args, "--config", str(run.conf)],
        cwd=run.conf.parent,
        capture_output=True,
        text=True,
    )


def test_asv_check_finds_no_problems(asv_smoke_run) -> None:
    proc = _asv(asv_smoke_run, "check", "--python=same")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No problems found" in proc.stdout + proc.stderr


def test_every_benchmark_has_a_number_for_both_commits(asv_smoke_run) -> None:
    benchmarks = _benchmarks(asv_smoke_run.results)
    by_commit = {r.commit_hash: r for r in iter_results(asv_smoke_run.results)}
    assert {asv_smoke_run.base, asv_smoke_run.head} <= set(by_commit), sorted(by_commit)
    missing = []
    for commit in (asv_smoke_run.base, asv_smoke_run.head):
        result = by_commit[commit]
        for name, bench in benchmarks.items():
            values = result.get_result_value(name, bench["params"])
            combos = list(itertools.product(*bench["params"])) or [()]
            for combo, value in zip(combos, values, strict=True):
                if value is None:
                    missing.append(f"{commit[:8]} {name}{combo}: failed")
                elif math.isnan(value) and not name.startswith(ERA_SKIPPABLE):
                    missing.append(f"{commit[:8]} {name}{combo}: skipped")
    assert not missing, "\n".join(missing)
    assert asv_smoke_run.returncode == 0


def test_publish_writes_a_graph_for_every_benchmark(asv_smoke_run, tmp_path: Path) -> None:
    proc = _asv(asv_smoke_run, "publish", "--html-dir", str(tmp_path / "html"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    graphs = {p.stem for p in (tmp_path / "html" / "graphs").rglob("*.json")}
    missing = sorted(set(_benchmarks(asv_smoke_run.results)) - graphs)
    assert not missing, missing


def test_compare_lists_every_benchmark(asv_smoke_run) -> None:
    proc = _asv(
        asv_smoke_run, "compare", asv_smoke_run.base, asv_smoke_run.head, "--machine",
        _machine(asv_smoke_run.results),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    missing = [name for name in _benchmarks(asv_smoke_run.results) if name not in proc.stdout]
    assert not missing, missing


def _machine(results_dir: Path) -> str:
    (machine,) = [p.name for p in results_dir.iterdir() if (p / "machine.json").exists()]
    return machine


def _values(run, commit: str) -> dict[str, float]:
    from tools.report import data as rd

    rs = rd.load(run.results)
    return {n: m.value for n, m in rs.commit(commit).measurements.items() if not m.failed}


def test_instruction_counts_and_work_counters_make_sense(asv_smoke_run) -> None:
    """Values, per release: a full build executes more instructions than a one-page rebuild,
    which does at least a no-op's work; start-up alone is less than any build."""
    from benchmarks.profiles import PROFILES

    site = "'{}-{}'".format(*PROFILES["smoke"].instruction_site)
    for commit in (asv_smoke_run.base, asv_smoke_run.head):
        v = _values(asv_smoke_run, commit)
        ir = {b: v[f"bench_instructions.BuildInstructions.track_build_instructions({site}, "
                   f"'{b}')"] for b in ("full", "one_page", "noop")}  # fmt: skip
        work = {
            (k, b): v[f"bench_instructions.WorkCounters.track_{k}({site}, '{b}')"]
            for k in ("html_pages_written", "files_written", "bytes_written", "output_bytes",
                      "cache_bytes")
            for b in ("full", "one_page", "noop")
        }  # fmt: skip
        startup = v["bench_instructions.StartupInstructions.track_startup_instructions"]
        assert ir["full"] > ir["one_page"] >= ir["noop"] > startup > 0, (commit, ir, startup)
        pages = work["html_pages_written", "full"]
        assert work["files_written", "full"] >= pages > work["html_pages_written", "one_page"] >= 1
        assert work["bytes_written", "full"] == work["output_bytes", "full"] > 0
        assert work["bytes_written", "one_page"] < work["bytes_written", "full"]
        assert work["cache_bytes", "full"] > 0
        cpu = [x for n, x in v.items() if ".track_cli_cpu_seconds(" in n]
        assert cpu and all(x > 0 for x in cpu), commit
    # 0.5.1's explicit incremental build after no change writes nothing.
    assert work["html_pages_written", "noop"] == 0 and work["bytes_written", "noop"] == 0
