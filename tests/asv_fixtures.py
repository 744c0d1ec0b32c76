"""A real asv run of this suite (smoke profile, releases 0.1.2 and 0.5.1), shared by the session.

Imported by ``conftest.py``. Runs ``tools.asv_local`` once per session into a temporary folder;
``BENGAL_BENCH_ASV_RESULTS=DIR`` reuses an earlier run instead (DIR holds ``results/``,
``asv.local.conf.json`` and ``history/`` as this fixture writes them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.asv_local import history as bengal_history

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ("0.1.2", "0.5.1")


@dataclass(frozen=True)
class AsvRun:
    results: Path  # asv results_dir
    conf: Path  # the asv config the run used (repo = the local release history)
    repo: Path  # the release history: tags v0.1.2, v0.5.1
    base: str  # full sha of v0.1.2
    head: str  # full sha of v0.5.1
    returncode: int  # asv run's (2 when some benchmark failed)


def _sha(repo: Path, tag: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", f"{tag}^{{commit}}"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()


@pytest.fixture(scope="session")
def asv_smoke_run(tmp_path_factory: pytest.TempPathFactory, valgrind: str) -> AsvRun:
    """(``valgrind``: the instruction benchmarks run too.)"""
    reuse = os.environ.get("BENGAL_BENCH_ASV_RESULTS")
    work = Path(reuse) if reuse else tmp_path_factory.mktemp("asv-smoke")
    rc = 0
    if not reuse:
        cmd = [
            sys.executable,
            "-m",
            "tools.asv_local",
            "--versions",
            *VERSIONS,
            "--history-dir",
            str(work / "history"),
            "--config-out",
            str(work / "asv.local.conf.json"),
            "--results-dir",
            str(work / "results"),
            "--html-dir",
            str(work / "html"),
            "--env-dir",
            str(bengal_history.cache_root() / "asv-env-tests"),  # envs survive between sessions
            "run",
            "ALL",
            "--record-samples",
            "--show-stderr",
        ]
        env = {**os.environ, "BENGAL_BENCH_PROFILE": "smoke"}
        rc = subprocess.run(cmd, cwd=ROOT, env=env).returncode
    repo = work / "history"
    return AsvRun(
        work / "results",
        work / "asv.local.conf.json",
        repo,
        _sha(repo, f"v{VERSIONS[0]}"),
        _sha(repo, f"v{VERSIONS[1]}"),
        rc,
    )
