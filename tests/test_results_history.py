"""The nightly history: profiles never mix, and nothing is lost.

Real asv 0.6.6 on a throwaway project (tests/tiny_asv.py, seconds per run), the machine names of
scope.machine, the per-commit loop (tools.ci.bench_commits) the workflows run, and the store
step (tools.ci.store_results) pushing to a bare repository that stands in for GitHub.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from scope import environment, machine
from tests import tiny_asv, tiny_asv_pairs
from tests.tiny_asv import ROOT, Tiny
from tools.ci import ledger, merge_results, store_results

GHA = "gha-" + environment.declared().key  # scope.machine's gha preset


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
    assert names == {p: f"{GHA}-{p}" for p in ("smoke", "pr", "nightly")}
    monkeypatch.setenv("BENGAL_BENCH_MACHINE", "box-nightly")
    assert machine.identity("gha")["machine"] == "box-nightly"  # the suffix is added once
    monkeypatch.setenv("BENGAL_BENCH_PROFILE", "huge")
    with pytest.raises(machine.MachineError, match="huge"):
        machine.identity("gha")
    proc = subprocess.run(
        [sys.executable, "-m", "scope.machine", "--preset", "gha", "--name"],
        capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "BENGAL_BENCH_PROFILE": "nightly", "BENGAL_BENCH_MACHINE": ""},
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stdout == f"{GHA}-nightly\n", proc.stderr


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


def bench_commits(
    tiny: Tiny, run: Path, name: str, hashes: list[str], *, timeout: float = 120, **env: str
) -> subprocess.Popen:
    hashfile = run / "hashes.txt"
    hashfile.parent.mkdir(parents=True, exist_ok=True)
    hashfile.write_text("".join(f"{h}\n" for h in hashes))
    argv = [
        sys.executable, "-m", "tools.ci.bench_commits", "--hashes", str(hashfile),
        "--status", str(run / "status.json"), "--machine", name,
        "--commit-timeout", str(timeout), "--deadline", "300", "--",
        *tiny.asv_run(run / "results", name),
    ]  # fmt: skip
    return subprocess.Popen(
        argv, cwd=ROOT, env=tiny.env(**env), start_new_session=True, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not: this container's init does not reap them)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def write_plan(path: Path, selected: dict[str, list[str]]) -> Path:
    """A plan as the select job writes it: ``{machine: commits}`` (one part each)."""
    tasks = [
        {"machine": m, "commit": c, "part": "all", "artifact": f"run-{m}-{c}"}
        for m, cs in selected.items()
        for c in cs
    ]
    path.write_text(json.dumps({"tasks": tasks}))
    return path


def store(
    clone: Path, *runs: Path, plan: Path, suite: Path, label: str = "test"
) -> subprocess.CompletedProcess[str]:
    names = suite.parent / f"{suite.name}-catalogue.json"
    if not names.exists():
        names.write_text(tiny_asv_pairs.suite_catalogue(suite))
    return subprocess.run(
        [sys.executable, "-m", "tools.ci.store_results", "--worktree", str(clone / "rb"),
         "--message", f"store {label}", "--run-label", label, "--plan", str(plan),
         "--suite", str(suite), "--catalogue", str(names), *map(str, runs)],
        capture_output=True, text=True, cwd=clone, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def branch_files(origin: Path) -> list[str]:
    return tiny_asv.git(origin, "ls-tree", "-r", "--name-only", "results").split()


def results_branch(origin: Path, dest: Path) -> Path:
    """A fresh clone of origin's results branch, as the next night's selection sees it."""
    subprocess.run(["git", "clone", "-q", "-b", "results", str(origin), str(dest)], check=True)
    return dest


def test_a_killed_nightly_keeps_the_first_commit_on_the_results_branch(tiny, monkeypatch) -> None:
    clone = tiny_asv.make_origin(tiny.base)
    origin = tiny.base / "origin.git"
    name = register(tiny, "nightly", monkeypatch)
    first, second = tiny.commits[:2]
    run = tiny.base / "run"
    pidfile = tiny.base / "bench.pid"
    proc = bench_commits(tiny, run, name, [first, second], TINY_SLEEP="3",
                         TINY_PIDFILE=str(pidfile))  # fmt: skip
    status = run / "status.json"
    states: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        states = [c["state"] for c in json.loads(status.read_text())["commits"]] if (
            status.exists()) else []  # fmt: skip
        if states == ["ok", "running"] and pidfile.exists():
            break
        time.sleep(0.1)
    assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
    assert states == ["ok", "running"]
    # The runner dies: the job's process group at once, no cleanup (the benchmark asv put in
    # a group of its own is an orphan now: the test stops it).
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(int(pidfile.read_text())).kill()
    assert [p.name[:8] for p in result_files(run / "results", name)] == [first[:8]]

    plan = write_plan(tiny.base / "plan.json", {name: [first, second]})
    stored = store(clone, run, plan=plan, suite=tiny.bench)  # the store job: if: always()
    assert stored.returncode == 0, stored.stdout + stored.stderr
    files = branch_files(origin)
    assert any(f.startswith(f"results/{name}/{first[:8]}-") for f in files), files
    assert not any(f.startswith(f"results/{name}/{second[:8]}-") for f in files), files
    # a store without --ledger (these tasks are no tier's parts, as a bisect's) keeps no ledger
    assert "ledger.json" not in files and "failed-commits.json" not in files


def test_a_signalled_loop_stops_its_benchmark_and_says_so(tiny, monkeypatch) -> None:
    """A step timeout signals the loop: the commit is marked interrupted and the benchmark, in
    a process group of its own, is stopped with it."""
    name = register(tiny, "nightly", monkeypatch)
    pidfile = tiny.base / "bench.pid"
    run = tiny.base / "run"
    proc = bench_commits(tiny, run, name, tiny.commits[:2], TINY_SLEEP="90",
                         TINY_PIDFILE=str(pidfile))  # fmt: skip
    deadline = time.monotonic() + 90
    while not pidfile.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert pidfile.exists(), proc.stdout.read() if proc.stdout else ""
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 1
    states = [c["state"] for c in json.loads((run / "status.json").read_text())["commits"]]
    assert states == ["interrupted", "pending"]
    assert not running(int(pidfile.read_text()))


def test_concurrent_stores_both_land(tiny, monkeypatch) -> None:
    """A nightly and a backfill storing at once: the one origin rejects redoes its merge on the
    new tip, so neither is lost (no concurrency group that could cancel a pending store)."""
    clone = tiny_asv.make_origin(tiny.base)
    other = tiny.base / "other-clone"
    subprocess.run(["git", "clone", "-q", str(tiny.base / "origin.git"), str(other)], check=True)
    runs = {}
    for profile in ("nightly", "pr"):
        name = register(tiny, profile, monkeypatch)
        runs[profile] = tiny.base / f"run-{profile}"
        proc = bench_commits(tiny, runs[profile], name, [tiny.commits[0]],
                             BENGAL_BENCH_PROFILE=profile)  # fmt: skip
        assert proc.wait(timeout=120) == 0, proc.stdout.read() if proc.stdout else ""

    calls: list[str] = []
    real = store_results.branch_script

    def interleaved(*args: str) -> int:
        calls.append(args[0])
        if calls == ["checkout", "push"]:  # the other store pushes between our checkout and push
            plan = write_plan(tiny.base / "plan.json", {f"{GHA}-pr": [tiny.commits[0]]})
            assert store(other, runs["pr"], plan=plan, suite=tiny.bench,
                         label="backfill").returncode == 0  # fmt: skip
        return real(*args)

    monkeypatch.setattr(store_results, "branch_script", interleaved)
    monkeypatch.chdir(clone)
    head, _ = store_results.store(clone / "rb", [runs["nightly"]], "nightly", "n", "results", 3)
    assert calls == ["checkout", "push", "checkout", "push"]  # rejected once, then stored
    files = branch_files(tiny.base / "origin.git")
    assert head == tiny_asv.git(tiny.base / "origin.git", "rev-parse", "results")
    for name in (f"{GHA}-nightly", f"{GHA}-pr"):
        assert any(f.startswith(f"results/{name}/{tiny.commits[0][:8]}-") for f in files), files


def test_bad_input_is_one_line(tmp_path) -> None:
    hashes = tmp_path / "hashes.txt"
    hashes.write_text("main\n")

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True,
                              cwd=ROOT, timeout=60)  # fmt: skip

    common = ["--status", str(tmp_path / "s.json"), "--machine", "m", "--commit-timeout", "9",
              "--deadline", "9"]  # fmt: skip
    for argv, message in [
        (["--hashes", str(hashes), *common, "--", "true", "{commit}"], "not a full commit hash"),
        (
            ["--hashes", str(tmp_path / "none.txt"), *common, "--", "true", "{commit}"],
            "cannot read",
        ),
        (["--hashes", str(hashes), *common, "--", "true"], "with {commit} where the hash goes"),
    ]:
        proc = cli("tools.ci.bench_commits", *argv)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert message in proc.stderr
    proc = cli("tools.ci.store_results", "--worktree", str(tmp_path / "rb"), "--message", "m",
               "--run-label", "l", "--plan", str(tmp_path / "plan.json"),
               str(tmp_path / "missing"))  # fmt: skip
    assert proc.returncode == 2 and proc.stderr == f"error: not a directory: {tmp_path}/missing\n"
    bad = tmp_path / ledger.FILE_NAME
    bad.write_text('{"m": {"abc": {}}}')
    with pytest.raises(ledger.LedgerError, match="full sha"):
        ledger.load(bad)
