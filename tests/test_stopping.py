"""Nothing of a stopped run is left behind: a Bengal CLI build dies with the benchmark process
that started it (asv's timeout kills that process's group only; the build has its own session),
an asv run stopped as a tree leaves no process, and the background smoke run fails with its log.

The builds are real: Bengal 0.1.2 counted under cachegrind on nested-50 (about half a minute,
so every kill lands in the middle of it), started by a benchmark of a tiny real asv project.
"""

from __future__ import annotations

import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from driver.processes import stop_tree
from scenario_gen import Scenario, working_copy
from tests import asv_session, tiny_asv

ROOT = Path(__file__).resolve().parents[1]

BENCH = """
import os, subprocess

COUNT = "from driver import instructions; instructions.count_build({site!r}, 'full')"


class CliBuild:
    timeout = {timeout}
    number = 1
    repeat = 1
    rounds = 1
    warmup_time = 0

    def track_counted_cli_build(self):
        env = {{**os.environ, "PYTHONPATH": {root!r}}}
        subprocess.run([{python!r}, "-c", COUNT], env=env, check=True)
        return 1
"""


def _build_processes(site: Path) -> list[psutil.Process]:
    """The running processes of the CLI build of ``site`` (valgrind running ``bengal``)."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = " ".join(p.info["cmdline"] or ())
        if str(site) in cmd and "bengal" in cmd and "-c" not in p.info["cmdline"]:
            found.append(p)
    return found


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def _wait_gone(procs: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    end = time.monotonic() + seconds
    while (alive := _alive(procs)) and time.monotonic() < end:
        time.sleep(0.1)
    return alive


def _start(tmp_path: Path, bengal_env, valgrind: str, timeout: float):
    python = bengal_env("0.1.2")
    site = working_copy(Scenario(kind="nested", pages=50, seed=0), tmp_path / "site")
    tiny = tiny_asv.make(tmp_path / "asv")
    (tiny.bench / "bench_tiny.py").write_text(
        BENCH.format(site=str(site), timeout=timeout, root=str(ROOT), python=str(python))
    )
    conf = tiny.conf(tmp_path / "results")
    tiny.run([sys.executable, "-m", "asv", "machine", "--yes", "--machine", "kill-test",
              "--config", str(conf)]).check_returncode()  # fmt: skip
    argv = tiny.asv_run(tmp_path / "results", "kill-test", tiny.commits[-1])
    asv = subprocess.Popen(
        argv, cwd=ROOT, env=tiny.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    end = time.monotonic() + 120
    while not (builds := _build_processes(site)):
        assert asv.poll() is None, f"asv ended before the build started:\n{asv.stdout.read()}"
        assert time.monotonic() < end, "the counted CLI build did not start within 120 s"
        time.sleep(0.1)
    return asv, site, builds


@pytest.fixture()
def leftovers() -> Iterator[list[psutil.Process]]:
    """Processes a failing test found alive: killed afterwards, so a failure leaves none."""
    found: list[psutil.Process] = []
    yield found
    for p in _alive(found):
        p.kill()


def test_a_timed_out_benchmark_takes_its_cli_build_with_it(
    tmp_path: Path, bengal_env, valgrind: str, leftovers: list[psutil.Process]
) -> None:
    asv, site, builds = _start(tmp_path, bengal_env, valgrind, timeout=8)
    leftovers += builds
    out, _ = asv.communicate(timeout=180)
    assert "timed out" in out, out[-2000:]  # asv's own timeout killed the benchmark's group
    # the build had (much) more to do: only its watchdog can have ended it this early
    assert _wait_gone(builds, 3.0) == [], [p.cmdline() for p in _alive(builds)]
    assert _build_processes(site) == []


def test_an_asv_run_stopped_as_a_tree_leaves_no_process(
    tmp_path: Path, bengal_env, valgrind: str, leftovers: list[psutil.Process]
) -> None:
    asv, site, builds = _start(tmp_path, bengal_env, valgrind, timeout=600)
    tree = [psutil.Process(asv.pid), *psutil.Process(asv.pid).children(recursive=True)]
    leftovers += tree + builds
    assert len(tree) >= 4, tree  # asv, its benchmark process, the driver, valgrind/bengal
    stop_tree(asv, 10.0)
    assert _wait_gone(tree + builds, 3.0) == []
    assert _build_processes(site) == []


# --- the background smoke run's own limit and failures ------------------------------------------


def test_the_smoke_runs_limit_is_clearly_below_pytests() -> None:
    pytest_timeout = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"
    ]["timeout"]
    assert 0.8 * float(pytest_timeout) >= asv_session.SMOKE_LIMIT_S


def _fake_run(monkeypatch, tmp_path: Path, script: str) -> subprocess.Popen:
    """A stand-in for the smoke run (a real process tree writing the smoke log), put where
    ``smoke_run`` finds it; the session's own run is not touched."""
    monkeypatch.setattr(asv_session, "SMOKE_LOG", tmp_path / "smoke-run.log")
    monkeypatch.setenv("BENGAL_BENCH_ASV_RESULTS", str(tmp_path / "reuse"))
    (tmp_path / "reuse").mkdir()
    with open(tmp_path / "smoke-run.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", script], stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    asv_session._started[proc.pid] = time.monotonic()
    monkeypatch.setattr(asv_session, "start_smoke_run", lambda: proc)
    asv_session.smoke_run.cache_clear()
    return proc


def test_a_crashed_smoke_run_fails_with_its_logs_tail(monkeypatch, tmp_path: Path) -> None:
    _fake_run(monkeypatch, tmp_path, "print('Traceback: asv blew up'); raise SystemExit(1)")
    with pytest.raises(AssertionError, match=r"crashed: exit status 1(?s:.*)asv blew up"):
        asv_session.smoke_run()


def test_a_smoke_run_without_results_fails_with_its_logs_tail(monkeypatch, tmp_path) -> None:
    _fake_run(monkeypatch, tmp_path, "print('asv: nothing to do')")
    with pytest.raises(AssertionError, match=r"wrote 0 results files(?s:.*)nothing to do"):
        asv_session.smoke_run()


def test_a_smoke_run_over_its_limit_is_stopped_as_a_tree(monkeypatch, tmp_path) -> None:
    script = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'],"
        " start_new_session=True)\n"  # like asv's benchmark processes: a group of its own
        "print('benchmarking...', flush=True)\n"
        "time.sleep(120)\n"
    )
    proc = _fake_run(monkeypatch, tmp_path, script)
    end = time.monotonic() + 30
    while not psutil.Process(proc.pid).children() and time.monotonic() < end:
        time.sleep(0.05)
    tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    assert len(tree) == 2, tree
    monkeypatch.setattr(asv_session, "SMOKE_LIMIT_S", 1.0)
    with pytest.raises(AssertionError, match=r"did not finish in 1 s(?s:.*)benchmarking"):
        asv_session.smoke_run()
    assert _wait_gone(tree, 3.0) == []
