"""A bisect of a planted step in a local 0.5.1 history names its commit and carries the call-count
diff at it (before the profiled build ran apart from its warm-up, 0.5.1's answers said "no
call-count diff": a second one-worker build in one thread writes 3 of 15 pages).

Slow: 0.5.1 under cachegrind at the smoke site, about log2(N) probes (docs/bisect.md gives the
measured run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from driver.processes import stop_tree
from tools.asv_local import history as bengal_history
from tools.asv_local import planted

ROOT = Path(__file__).resolve().parents[1]
PLANTED = 2_000_000  # iterations: ~1 G instructions, a step far above 0.5.1's A/A noise
BISECT_TIMEOUT_S = 5400


@pytest.mark.slow
def test_a_modern_step_is_named_with_its_call_count_diff(valgrind: str, tmp_path: Path) -> None:
    segment = [("docs", 0)] * 3 + [("full", PLANTED)] + [("docs", 0)] * 4
    history = planted.build(tmp_path / "history", [segment], 0, release="0.5.1")
    culprit = history.shas[history.index("full")]  # the segment's order is drawn from the seed
    out = tmp_path / "bisect"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.bisect", "--repo", str(history.repo),
         "--good", history.shas[0], "--bad", history.shas[-1], "--benchmark", "full",
         "--profile", "smoke", "--results-dir", str(tmp_path / "results"),
         "--env-dir", str(bengal_history.cache_root() / "asv-env-bisect-modern"),
         "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        _, stderr = proc.communicate(timeout=BISECT_TIMEOUT_S)
    except BaseException:
        stop_tree(proc, 10.0)
        raise
    assert proc.returncode == 0, stderr[-4000:]
    (answer,) = json.loads((out / "answer.json").read_text())["answers"]
    (step,) = answer["steps"]
    assert step["culprit"] == culprit, step
    markdown = (out / "answer.md").read_text()
    assert "no call-count diff" not in markdown, markdown[-2000:]
    first_row = step["call_count_diff"].split("\n| `")[1]
    assert first_row.startswith("bengal/orchestration/build/__init__.py <genexpr>`"), first_row
    print(markdown)
    (tmp_path.parent / "modern-answer.md").write_text(markdown)
