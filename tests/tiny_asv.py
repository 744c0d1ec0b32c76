"""A throwaway project, benchmark suite and git remotes for real asv runs that take seconds.

Why: the results-history tests need real asv results, real ``asv publish`` output and real pushes,
but not Bengal; asv runs this suite in the test's own interpreter (``-E existing``), so no
environment is built. The benchmarks obey ``TINY_SLEEP`` (seconds), ``TINY_FAIL`` (raise) and
``TINY_PIDFILE`` (write the benchmark process's pid), and their parameters depend on
``BENGAL_BENCH_PROFILE`` as this suite's do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BENCHMARKS = """
import os
import time
from pathlib import Path

PROFILE = os.environ.get("BENGAL_BENCH_PROFILE", "pr")


def track_slow():
    if os.environ.get("TINY_PIDFILE"):
        Path(os.environ["TINY_PIDFILE"]).write_text(str(os.getpid()))
    if os.environ.get("TINY_FAIL"):
        raise RuntimeError("tiny: failing on purpose")
    time.sleep(float(os.environ.get("TINY_SLEEP", "0")))
    return 1.0


class Sized:
    params = {"smoke": [4, 8], "nightly": [1000, 5000]}.get(PROFILE, [50])

    def track_size(self, n):
        if os.environ.get("TINY_FAIL"):
            raise RuntimeError("tiny: failing on purpose")
        return n
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@dataclass
class Tiny:
    base: Path
    project: Path  # the benchmarked project's git repository (stands in for Bengal)
    commits: list[str]  # its main branch, oldest first
    bench: Path  # the benchmark suite (stands in for this repository's benchmarks/)
    home: Path  # $HOME of asv (~/.asv-machine.json)

    def conf(self, results: Path, html: Path | None = None) -> Path:
        """An asv config writing to ``results`` (one per run, as each CI runner has its own)."""
        path = results.parent / f"asv.{results.name}.conf.json"
        conf = {
            "version": 1,
            "project": "tinypkg",
            "repo": str(self.project),
            "branches": ["main"],
            "dvcs": "git",
            "environment_type": "existing",
            "benchmark_dir": str(self.bench),
            "results_dir": str(results),
            "html_dir": str(html or results.parent / "html"),
            "hash_length": 8,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(conf))
        return path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TINY_", "BENGAL_BENCH"))}
        return {**env, "HOME": str(self.home), **extra}

    def asv_run(self, results: Path, machine: str, commit: str = "{commit}") -> list[str]:
        """``asv run`` of one commit into ``results`` (``{commit}`` left for bench_commits)."""
        return [
            sys.executable, "-m", "asv", "run", "--config", str(self.conf(results)),
            "-E", f"existing:{sys.executable}", "--set-commit-hash", commit,
            "--machine", machine, "--show-stderr",
        ]  # fmt: skip

    def run(self, argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, cwd=ROOT, env=self.env(**env), capture_output=True, text=True, timeout=120
        )


def make(base: Path, n_commits: int = 2) -> Tiny:
    project = base / "project"
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    for i in range(n_commits):
        (project / "tinypkg.py").write_text(f"VERSION = {i}\n")
        git(project, "add", ".")
        git(project, "commit", "-q", "-m", f"c{i}")
    bench = base / "benchmarks"
    bench.mkdir()
    (bench / "__init__.py").write_text("")
    (bench / "bench_tiny.py").write_text(BENCHMARKS)
    home = base / "home"
    home.mkdir()
    commits = git(project, "rev-list", "--reverse", "main").split()
    return Tiny(base, project, commits, bench, home)


def make_origin(base: Path) -> Path:
    """A bare repository standing in for GitHub, and a clone of "this repository" whose
    ``origin`` it is (the results branch is pushed there); returns the clone."""
    origin = base / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    clone = base / "clone"
    subprocess.run(["git", "init", "-q", "-b", "main", str(clone)], check=True)
    git(clone, "commit", "-q", "--allow-empty", "-m", "main")
    git(clone, "remote", "add", "origin", str(origin))
    git(clone, "push", "-q", "origin", "main")
    return clone
