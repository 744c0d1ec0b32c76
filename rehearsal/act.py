"""One workflow run under act (``../shared/tools/act-offline``), in a rehearsal's world.

Why a wrapper: each run needs the world's git config, the fake API's URL, its own run id (act
would call every run 1) and artifact directory, one job at a time (2 cores), a bound in time, and
its JSON log kept where the fake API reads the jobs' times from. ``watch`` sees every log line as
it comes, which is how a rehearsal kills a part midway or loses an artifact.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import scope
from driver import processes, watchdog
from rehearsal.world import ROOT, World

ACT_OFFLINE = ROOT.parent / "shared" / "tools" / "act-offline"
TOKEN = "rehearsal-token"
HOME = Path.home() / ".cache" / "bengal-benchmarks-rehearsal"  # act and its tool cache, kept
PIP_CACHE = Path.home() / ".cache" / "pip"
STOP_GRACE_S = 10.0  # after SIGKILL of act and its steps (timeout, or an interrupted run)


def home(world: World) -> Path:
    path = world.root / "home"
    path.mkdir(exist_ok=True)
    return path


def prepare_home(home: Path = HOME) -> Path:
    """act-offline's home with a tool cache whose Python 3.14 is a plain venv of this machine's
    ``python3.14``, where setup-python finds it (act-offline builds its own only when none is
    there: its link of ``python3.14`` to ``python`` makes a loop inside a venv, and the jobs
    then run whatever other ``python`` is on PATH)."""
    python = shutil.which("python3.14")
    if python is None:
        raise ActError("python3.14 is not on PATH (../shared/tools/ensure-python3.14 gives one)")
    version = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    x64 = home / "toolcache" / "Python" / version / "x64"
    if not (x64 / "bin" / "python3.14").resolve().is_file():
        shutil.rmtree(x64.parent, ignore_errors=True)
        subprocess.run([python, "-m", "venv", str(x64)], check=True)
        pip = [x64 / "bin" / "python", "-m", "pip", "install", "-q", "-U", "pip"]
        subprocess.run(pip, check=True)
        (x64.parent / "x64.complete").touch()
    return home


class ActError(Exception):
    """The rehearsal could not run the workflow (not: the workflow failed): one line."""


@dataclass
class Run:
    workflow: str
    run_id: int
    returncode: int
    seconds: float
    log: Path
    # job name -> success / failure (act gives every job of a matrix the worst result of them
    # all: a job's own outcome is its steps')
    jobs: dict[str, str] = field(default_factory=dict)
    steps: dict[tuple[str, str], str] = field(default_factory=dict)  # (job, step) -> result

    def lines(self) -> list[dict]:
        return read_log(self.log)

    def step(self, job: str, step_prefix: str) -> str:
        """How the first step of ``job`` whose name starts with ``step_prefix`` ended ("" when
        it did not run)."""
        return next(
            (r for (j, s), r in self.steps.items() if j == job and s.startswith(step_prefix)), ""
        )

    def output(self, job: str) -> str:
        """Everything the steps of jobs whose name starts with ``job`` printed, and the
        annotations (``::warning::``) act made of it."""
        return "\n".join(
            str(e.get("msg", ""))
            for e in self.lines()
            if job_name(e).startswith(job) and (e.get("raw_output") or "::" in str(e.get("msg")))
        )


def read_log(path: Path) -> list[dict]:
    out = []
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            out.append(entry)
    return out


def job_name(entry: dict) -> str:
    """The job's name as the workflow gives it (act adds the workflow's name and a matrix index)."""
    name = str(entry.get("job", "")).strip().split("/", 1)[-1]
    if entry.get("matrix") and name.rsplit("-", 1)[-1].isdigit():
        name = name.rsplit("-", 1)[0]
    return name


def run(
    world: World,
    workflow: str,
    event: str,
    run_id: int,
    api_url: str,
    *,
    job: str | None = None,
    inputs: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    event_path: Path | None = None,
    env: dict[str, str] | None = None,
    watch: Callable[[dict], None] | None = None,
    extra: list[str] | None = None,
    timeout_s: float = 3600,
) -> Run:
    """Run ``workflow`` for ``event``; returns how each job ended. ActError if act could not."""
    if not ACT_OFFLINE.exists():
        raise ActError(f"{ACT_OFFLINE} is missing: the rehearsal needs the shared act-offline")
    logs = world.root / "logs"
    logs.mkdir(exist_ok=True)
    log = logs / f"run-{run_id}.jsonl"
    cmd = [str(ACT_OFFLINE), event, "-W", f".github/workflows/{workflow}.yml", "--json"]
    cmd += ["--concurrent-jobs", "1", "--artifact-server-path", str(world.root / "artifacts")]
    cmd += ["--artifact-server-port", str(free_port())]  # act's default is one fixed port
    cmd += ["--env", f"GITHUB_API_URL={api_url}", "--env", f"GITHUB_RUN_ID={run_id}"]
    cmd += ["-s", f"GITHUB_TOKEN={TOKEN}"]
    for key, value in (secrets or {}).items():
        cmd += ["-s", f"{key}={value}"]
    for key, value in (variables or {}).items():
        cmd += ["--var", f"{key}={value}"]
    for key, value in (inputs or {}).items():
        cmd += ["--input", f"{key}={value}"]
    cmd += extra or []
    if job:
        cmd += ["-j", job]
    if event_path:
        cmd += ["-e", str(event_path)]
    started = time.monotonic()
    with log.open("w") as out, (logs / f"run-{run_id}.stderr").open("w") as err:
        proc = subprocess.Popen(
            cmd,
            cwd=world.checkout,
            env={
                **world.env(),
                "ACT_HOME": str(prepare_home()),
                # act runs each job under $XDG_CACHE_HOME/act; Bengal <= 0.1.7 writes no theme
                # when its path has a dot-directory (~/.cache), as no GitHub runner's has
                "XDG_CACHE_HOME": str(world.root / "act-cache"),
                "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(PIP_CACHE)),
                # a home of its own: asv writes ~/.asv-machine.json, which other asv runs on
                # this machine (a test suite's background run) read at the same time
                "HOME": str(home(world)),
                scope.CACHE_ENV: str(scope.cache_base()),
                "ACT_KEEP_ARTIFACTS": "1",
                **(env or {}),
            },
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            start_new_session=True,
        )
        # act and its jobs' steps die with this process too (a test killed by its timeout)
        watchdog.start()
        watchdog.guard(proc.pid)
        timer = threading.Timer(
            timeout_s, processes.stop_tree, (proc.pid, STOP_GRACE_S), {"signals": ()}
        )
        timer.start()
        try:
            for line in proc.stdout:  # type: ignore[union-attr]
                out.write(line)
                out.flush()
                if watch:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(entry, dict):
                        watch(entry)
            proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                processes.stop_tree(proc, STOP_GRACE_S, signals=())
            watchdog.release(proc.pid)
    seconds = time.monotonic() - started
    if seconds >= timeout_s:
        raise ActError(f"{workflow}: act did not finish in {timeout_s:.0f} s (log: {log})")
    result = Run(workflow, run_id, proc.returncode, seconds, log)
    for entry in result.lines():
        if "jobResult" in entry:
            result.jobs[job_name(entry)] = str(entry["jobResult"])
        if entry.get("stepResult") and entry.get("step"):
            result.steps.setdefault((job_name(entry), str(entry["step"])), str(entry["stepResult"]))
    if not result.jobs:
        tail = (logs / f"run-{run_id}.stderr").read_text(errors="replace").strip()[-300:]
        raise ActError(f"{workflow}: act ran no job (exit {proc.returncode}): {tail}")
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
