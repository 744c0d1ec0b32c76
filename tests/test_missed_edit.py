"""Bengal 0.1.5 misses a one-page edit ("No changes detected"): the missed-edit counter says so
with a number, in a real asv run, and the published graph carries that number.

Only the correctness family runs (0.1.x builds take a second or two): ``measure_once`` in full,
as in every run.
"""

from __future__ import annotations

import json
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
             "--env-dir", str(bengal_history.cache_root() / "asv-env-tests"), *args],
            cwd=ROOT, capture_output=True, text=True, timeout=1800,
            env={**__import__("os").environ, "BENGAL_BENCH_PROFILE": "smoke"},
        )  # fmt: skip

    run = asv_local("run", "ALL", "--bench", "bench_correctness.MissedEdits", "--show-stderr")
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    publish = asv_local("publish")
    assert publish.returncode == 0, (publish.stdout + publish.stderr)[-3000:]

    graphs = {}
    for path in (tmp_path / "html" / "graphs").rglob(f"{BENCH}.json"):
        params = {p.name.partition("-")[0]: p.name.partition("-")[2] for p in path.parents}
        graphs[params.get("mode"), params.get("edit")] = json.loads(path.read_text())
    assert graphs, sorted(p.name for p in (tmp_path / "html" / "graphs").rglob("*.json"))[:20]
    # asv publishes one graph per benchmark with every parameter combination as a series
    ((_, points),) = [(k, v) for k, v in graphs.items()] if len(graphs) == 1 else [(None, None)]
    assert points is not None, sorted(graphs)
    (point,) = points  # one commit: [timestamp, [value per (mode, edit) combination]]
    values = point[1]
    combos = [
        (mode, edit)
        for mode in ("'incremental'", "'default'")
        for edit in ("'one_page'", "'batch'", "'asset'", "'config'", "'add_page'", "'delete_page'")
    ]
    by_combo = dict(zip(combos, values, strict=True))
    # The explicit incremental build ignores the edited page: the page keeps its old content.
    assert by_combo["'incremental'", "'one_page'"] == 1, by_combo
