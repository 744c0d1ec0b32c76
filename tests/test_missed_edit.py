"""Bengal 0.1.5 misses a one-page edit ("No changes detected"): the missed-edit counter says so
with a number, in a real asv run, and the published graph carries that number.

Only the correctness family runs (0.1.x builds take a second or two): ``measure_edits`` in full,
as in every run.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

from tools.asv_local import history as bengal_history

ROOT = Path(__file__).resolve().parents[1]
BENCH = "bench_correctness.MissedEdits.track_missed_edit_outputs"


def test_missed_edit_of_0_1_5_is_a_number_on_the_graph(tmp_path: Path) -> None:
    def asv_local(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tools.asv_local", "--versions", "0.1.5",
             "--history-dir", str(tmp_path / "history"),
             "--config-out", str(tmp_path / "asv.conf.json"),
             "--results-dir", str(tmp_path / "results"), "--html-dir", str(tmp_path / "html"),
             "--env-dir", str(bengal_history.cache_root() / "asv-env-missed-edit"), *args],
            cwd=ROOT, capture_output=True, text=True, timeout=1800,
            env={**os.environ, "BENGAL_BENCH_PROFILE": "smoke"},
        )  # fmt: skip

    run = asv_local("run", "ALL", "--bench", "bench_correctness.MissedEdits", "--show-stderr")
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    publish = asv_local("publish")
    assert publish.returncode == 0, (publish.stdout + publish.stderr)[-3000:]

    graphs = (tmp_path / "html" / "graphs").rglob(f"{BENCH}.json")
    (graph,) = [g for g in graphs if "summary" not in g.parts]  # one machine, one environment
    ((_, values),) = json.loads(graph.read_text())  # one commit: [revision, values per combo]
    params = json.loads((tmp_path / "results" / "benchmarks.json").read_text())[BENCH]["params"]
    by_combo = dict(zip(itertools.product(*params), values, strict=True))
    # The explicit incremental build ignores edited pages ("No changes detected"): the page
    # keeps its old content (one output), so do all three pages of the batch; the plain
    # `bengal build` (a full build in 0.1.5) carries the edits.
    assert by_combo["'incremental'", "'one_page'"] == 1, by_combo
    assert by_combo["'incremental'", "'batch'"] == 3, by_combo
    assert by_combo["'default'", "'one_page'"] == by_combo["'default'", "'batch'"] == 0, by_combo
