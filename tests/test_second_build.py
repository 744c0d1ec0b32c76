"""benchmarks.families.builds.second_full_builds on real releases: the pages a second
in-process full build leaves unwritten (bench_correctness.SecondFullBuild), per worker setting."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MEASURE = (
    "import json; from benchmarks.families.builds import second_full_builds; "
    "print(json.dumps(second_full_builds()))"
)


@pytest.mark.parametrize(
    "version,pages,one_worker,default",
    [
        # From 0.3.0 on (docs/findings.md): the one-worker second build writes 3 of 15 pages.
        ("0.5.1", 15, 12, 0),
        ("0.1.2", 14, 0, 0),
    ],
)
def test_pages_a_second_full_build_leaves_unwritten(
    version: str, pages: int, one_worker: int, default: int, bengal_env, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENGAL_BENCH_PROFILE": "smoke"}
    proc = subprocess.run(
        [str(bengal_env(version)), "-c", MEASURE],
        cwd=tmp_path,  # the sites go to ./sites, as in asv's working directory
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.splitlines()[-1]) == {
        "1": {"html_total": pages, "unwritten": one_worker},
        "default": {"html_total": pages, "unwritten": default},
    }
