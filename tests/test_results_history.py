"""The nightly history: profiles never mix.

Real asv 0.6.6 on a throwaway project (tests/tiny_asv.py, seconds per run) and the machine names
of tools.ci.machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import tiny_asv
from tests.tiny_asv import ROOT, Tiny
from tools.ci import machine, merge_results


@pytest.fixture()
def tiny(tmp_path, monkeypatch) -> Tiny:
    t = tiny_asv.make(tmp_path, n_commits=4)
    monkeypatch.setenv("HOME", str(t.home))  # asv's ~/.asv-machine.json
    return t


def register(tiny: Tiny, profile: str, monkeypatch, name: str | None = None) -> str:
    """Record the gha identity of ``profile`` as the workflows do; returns the machine name."""
    monkeypatch.setenv("BENGAL_BENCH_PROFILE", profile)
    ident = machine.identity("gha")
    if name:  # the shared name every profile had before the profile was part of it
        ident["machine"] = name
    machine.register(ident, tiny.conf(tiny.base / "scratch"))
    return ident["machine"]


def result_files(results: Path, machine_name: str) -> list[Path]:
    return sorted(p for p in (results / machine_name).glob("*.json") if p.name != "machine.json")


def test_machine_name_carries_the_profile(monkeypatch) -> None:
    monkeypatch.delenv("BENGAL_BENCH_MACHINE", raising=False)
    names = {}
    for profile in ("smoke", "pr", "nightly"):
        monkeypatch.setenv("BENGAL_BENCH_PROFILE", profile)
        ident = machine.identity("gha")
        assert ident["profile"] == profile
        names[profile] = ident["machine"]
        local = machine.identity("local")
        assert local["machine"] == f"local-{profile}"
    assert names == {p: f"gha-ubuntu-x64-{p}" for p in ("smoke", "pr", "nightly")}
    monkeypatch.setenv("BENGAL_BENCH_MACHINE", "box-nightly")
    assert machine.identity("gha")["machine"] == "box-nightly"  # the suffix is added once
    monkeypatch.setenv("BENGAL_BENCH_PROFILE", "huge")
    with pytest.raises(machine.MachineError, match="huge"):
        machine.identity("gha")
    proc = subprocess.run(
        [sys.executable, "-m", "tools.ci.machine", "--preset", "gha", "--name"],
        capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "BENGAL_BENCH_PROFILE": "nightly", "BENGAL_BENCH_MACHINE": ""},
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stdout == "gha-ubuntu-x64-nightly\n", proc.stderr


def test_two_profiles_are_two_series_in_the_published_site(tiny, monkeypatch) -> None:
    """smoke straight into the results tree, nightly in a run tree merged into it (as CI stores
    it): asv publish shows one series per profile, each with its own parameter values."""
    results = tiny.base / "results"
    run_nightly = tiny.base / "run-nightly" / "results"
    sha = tiny.commits[-1]
    names = {}
    for profile, tree in (("smoke", results), ("nightly", run_nightly)):
        names[profile] = register(tiny, profile, monkeypatch)
        proc = tiny.run(tiny.asv_run(tree, names[profile], sha), BENGAL_BENCH_PROFILE=profile)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "tools.ci.merge_results", str(results), str(run_nightly)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in results.iterdir() if p.is_dir()} == set(names.values())

    html = tiny.base / "html"
    proc = tiny.run([sys.executable, "-m", "asv", "publish", "--config",
                     str(tiny.conf(results, html))])  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    index = json.loads((html / "index.json").read_text())
    assert set(index["params"]["machine"]) == set(names.values())
    assert set(index["params"]["profile"]) == {"smoke", "nightly"}

    def series(bench: str) -> dict[str, list]:
        found = {}
        for path in (html / "graphs").rglob(f"{bench}.json"):
            if "summary" in path.parts:
                continue
            (machine_dir,) = [p for p in path.parts if p.startswith("machine-")]
            found[machine_dir.removeprefix("machine-")] = json.loads(path.read_text())
        return found

    slow = series("bench_tiny.track_slow")
    assert set(slow) == set(names.values())
    assert all(len(points) == 1 and points[0][1] == 1.0 for points in slow.values())
    # parameters differ by profile: each series keeps its own values (benchmarks.json united)
    sized = series("bench_tiny.Sized.track_size")
    params = json.loads((results / "benchmarks.json").read_text())["bench_tiny.Sized.track_size"]
    assert params["params"] == [["4", "8", "1000", "5000"]]
    assert sized[names["smoke"]][0][1] == [4, 8, None, None]
    assert sized[names["nightly"]][0][1] == [None, None, 1000, 5000]


def test_merge_refuses_two_profiles_and_mismatched_result_columns(tiny, monkeypatch) -> None:
    """The bug this prevents: every profile had the machine name gha-ubuntu-x64, and a smoke
    backfill wrote 8-page numbers into the nightly series."""
    sha = tiny.commits[-1]
    trees = {}
    for profile in ("nightly", "smoke"):
        name = register(tiny, profile, monkeypatch, name="gha-ubuntu-x64")
        trees[profile] = tiny.base / f"run-{profile}" / "results"
        proc = tiny.run(tiny.asv_run(trees[profile], name, sha), BENGAL_BENCH_PROFILE=profile)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    out = tiny.base / "branch"
    assert merge_results.merge_trees(out, [trees["nightly"]]) == [1]
    before = {p: p.read_bytes() for p in out.rglob("*.json")}

    def merge(*trees: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tools.ci.merge_results", str(out), *map(str, trees)],
            capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip

    proc = merge(trees["smoke"])
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: refusing")
    assert "profile smoke" in proc.stderr and "profile nightly" in proc.stderr
    assert {p: p.read_bytes() for p in out.rglob("*.json")} == before  # nothing written

    # a result file of the same commit whose columns mean something else
    odd = tiny.base / "run-odd" / "results"
    shutil.copytree(trees["nightly"], odd)
    (path,) = result_files(odd, "gha-ubuntu-x64")
    data = json.loads(path.read_text())
    data["result_columns"] = [c for c in data["result_columns"] if c != "started_at"]
    path.write_text(json.dumps(data))
    proc = merge(odd)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "result_columns differ (started_at)" in proc.stderr

    # results that record no profile (made before it was recorded) are not merged at all
    legacy = tiny.base / "run-legacy" / "results"
    shutil.copytree(trees["smoke"], legacy)
    mjson = legacy / "gha-ubuntu-x64" / "machine.json"
    mjson.write_text(json.dumps({k: v for k, v in json.loads(mjson.read_text()).items()
                                 if k != "profile"}))  # fmt: skip
    proc = merge(legacy)
    assert proc.returncode == 2 and "records no benchmark profile" in proc.stderr
    assert {p: p.read_bytes() for p in out.rglob("*.json")} == before
    # the same tree under another name is fine: that is what the profile suffix gives
    assert merge(trees["nightly"]).returncode == 0
