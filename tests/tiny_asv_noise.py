"""A tiny throwaway asv project whose wall time is noisy and controllable, for the interleaved
A/B tests (``tools.asv_local.interleave``) with real asv runs.

``tinypkg.work()`` sleeps ``DELAY·(1 + JITTER·u)``, u uniform in [0, 1): a wall time with a known
share of noise (``JITTER``, a loaded machine's) on top of the machine's own (timer wake-ups on
busy cores). The suite times it (``time_work``, 8 samples a run) and records one single-shot wall
time per run (``track_work_seconds``, like the suite's CLI builds). Commits are added by a test
(``commit``), e.g. a planted step sized from a measured spread. asv 0.6.6 runs each side in this
interpreter (``-E existing``, the commit checked out first: the benchmarks import the working
tree), into a results folder per comparison; the floor is ``regressions_thresholds`` (10%).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MACHINE = "tiny-noise"
DELAY = 0.02  # seconds of sleep per call
JITTER = 0.2  # up to 20% more, uniformly: the spread of a loaded machine's wall time
FLOOR = 0.1  # the benchmarks' declared threshold, as the suite's wall times declare it
TIME = "bench_noise.Work.time_work"
TRACK = "bench_noise.Work.track_work_seconds"

PACKAGE = '''"""Work whose wall time is DELAY, up to JITTER slower."""
import random
import time

DELAY = {delay!r}
JITTER = {jitter!r}


def work():
    time.sleep(DELAY * (1 + JITTER * random.random()))
'''
BENCHMARKS = """import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the working tree's package

import tinypkg


class Work:
    number = 1
    repeat = 8
    rounds = 1
    warmup_time = 0

    def time_work(self):
        tinypkg.work()

    def track_work_seconds(self):
        started = time.perf_counter()
        tinypkg.work()
        return time.perf_counter() - started

    track_work_seconds.unit = "seconds"
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


@dataclass
class Noisy:
    root: Path
    repo: Path
    home: Path

    def commit(self, message: str, delay: float = DELAY, jitter: float = JITTER) -> str:
        """A commit of the package with this delay (a comment-only change when it is the same)."""
        text = PACKAGE.format(delay=delay, jitter=jitter) + f"# {message}\n"
        (self.repo / "tinypkg" / "__init__.py").write_text(text)
        _git(self.repo, "add", "-A")
        _git(self.repo, "commit", "-q", "-m", message)
        return _git(self.repo, "rev-parse", "HEAD")

    def conf(self, results: Path) -> Path:
        """An asv config writing to ``results`` (one folder per comparison)."""
        path = results.parent / f"asv.{results.name}.conf.json"
        conf = {
            "version": 1, "project": "tinypkg", "repo": str(self.repo), "branches": ["main"],
            "dvcs": "git", "environment_type": "existing",
            "benchmark_dir": str(self.repo / "benchmarks"), "results_dir": str(results),
            "env_dir": str(results.parent / "env"), "html_dir": str(results.parent / "html"),
            "regressions_thresholds": {".*": FLOOR},
        }  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(conf, indent=1))
        return path

    def run_side(self, conf: Path) -> Callable[[str], int]:
        """One asv run of a commit, its samples appended (what interleave calls per side)."""

        def run(sha: str) -> int:
            _git(self.repo, "checkout", "-q", sha)
            proc = subprocess.run(
                [sys.executable, "-m", "asv", "run", "--config", str(conf),
                 "-E", f"existing:{sys.executable}", "--set-commit-hash", sha,
                 "--machine", MACHINE, "--record-samples", "--append-samples", "--show-stderr"],
                cwd=self.repo, env={**os.environ, "HOME": str(self.home)},
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert proc.returncode in (0, 2), proc.stdout[-2000:] + proc.stderr[-2000:]
            return proc.returncode

        return run


def make(root: Path) -> Noisy:
    """The project with its first commit (the base of every comparison is added by the test)."""
    repo, home = root / "repo", root / "home"
    (repo / "tinypkg").mkdir(parents=True)
    (repo / "benchmarks").mkdir()
    home.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "benchmarks" / "__init__.py").write_text("")
    (repo / "benchmarks" / "bench_noise.py").write_text(BENCHMARKS)
    noisy = Noisy(root, repo, home)
    conf = noisy.conf(root / "machine" / "results")
    subprocess.run(
        [sys.executable, "-m", "asv", "machine", "--yes", "--machine", MACHINE, "--config",
         str(conf)],
        cwd=repo, env={**os.environ, "HOME": str(home)}, check=True, capture_output=True,
    )  # fmt: skip
    return noisy
