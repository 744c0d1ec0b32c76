"""A tiny throwaway asv project with regressed, failed and clean commit pairs (real asv results),
for the tests of the compare verdict and the PR comment.

A local git repository holds a one-function package and a two-benchmark asv suite; its commits:
``a`` (the base), ``same`` (a comment changed: a clean pair), ``slow`` (``time_work`` five times
slower: a regressed pair) and ``broken`` (``track_items`` raises: a failed benchmark). asv 0.6.6
measures each commit in this interpreter (``-E existing``: no environment is built), once per
process (about 15 s), in a temporary folder.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MACHINE = "tiny-asv"

PACKAGE = '''"""A package whose speed and health change from commit to commit."""
import time

DELAY = {delay}


def work():
    time.sleep(DELAY)


def count():
    {count}
'''
BENCHMARKS = """import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package, not installed

import tinypkg


class Work:
    number = 1
    repeat = 5
    rounds = 1
    warmup_time = 0

    def time_work(self):
        tinypkg.work()

    def track_items(self):
        return tinypkg.count()
"""
CONF = {
    "version": 1,
    "project": "tinypkg",
    "repo": ".",
    "branches": ["main"],
    "dvcs": "git",
    "environment_type": "existing",
    "benchmark_dir": "benchmarks",
    "results_dir": ".asv/results",
    "env_dir": ".asv/env",
    "html_dir": ".asv/html",
    "regressions_thresholds": {".*": 0.5},  # factor 1.5: the clean pair stays clean on busy cores
}
COMMITS = {  # name: (DELAY, body of count())
    "a": (0.05, "return 3"),
    "same": (0.05, "return 3  # reworded"),
    "slow": (0.25, "return 3"),
    "broken": (0.05, 'raise RuntimeError("count is broken")'),
}


@dataclass
class Tiny:
    repo: Path
    results: Path
    conf: Path
    shas: dict[str, str]
    asv_rc: dict[str, int]  # asv run's exit status per commit
    logs: dict[str, str]

    @property
    def catalogue(self) -> Path:
        """The tiny suite's catalogue, written by ``catalogue.build`` as the suite's own is."""
        path = self.repo.parent / "catalogue.json"
        if not path.exists():
            path.write_text(suite_catalogue(self.repo / "benchmarks"))
        return path


def suite_catalogue(bench_dir: Path) -> str:
    """``python -m catalogue json`` of a test's own suite (run from its parent: the package
    ``benchmarks`` imported is that suite)."""
    return subprocess.run(
        [sys.executable, "-m", "catalogue", "json", str(bench_dir)], cwd=bench_dir.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True,
        timeout=60,
    ).stdout  # fmt: skip


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


@functools.cache
def project() -> Tiny:
    """The project, its results and asv's exit status per commit (built once per process)."""
    root = Path(tempfile.mkdtemp(prefix="tiny-asv-"))
    atexit.register(shutil.rmtree, root, True)
    repo, home = root / "repo", root / "home"
    (repo / "tinypkg").mkdir(parents=True)
    (repo / "benchmarks").mkdir()
    home.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "benchmarks" / "__init__.py").write_text("")
    (repo / "benchmarks" / "bench_tiny.py").write_text(BENCHMARKS)
    conf = repo / "asv.conf.json"
    conf.write_text(json.dumps(CONF, indent=1))
    shas = {}
    for name, (delay, count) in COMMITS.items():
        (repo / "tinypkg" / "__init__.py").write_text(PACKAGE.format(delay=delay, count=count))
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", name)
        shas[name] = _git(repo, "rev-parse", "HEAD")
    env = {**os.environ, "HOME": str(home)}  # asv's machine file goes to the throwaway home
    asv = [sys.executable, "-m", "asv"]
    subprocess.run([*asv, "machine", "--yes", "--machine", MACHINE], cwd=repo, env=env,
                   check=True, capture_output=True)  # fmt: skip
    rcs, logs = {}, {}
    for name, sha in shas.items():
        _git(repo, "checkout", "-q", sha)
        proc = subprocess.run(
            [*asv, "run", "-E", f"existing:{sys.executable}", "--set-commit-hash", sha,
             "--machine", MACHINE, "--show-stderr"],
            cwd=repo, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        rcs[name], logs[name] = proc.returncode, proc.stdout + proc.stderr
    return Tiny(repo, repo / ".asv" / "results", conf, shas, rcs, logs)
