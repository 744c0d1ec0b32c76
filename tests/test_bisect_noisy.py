"""tools.bisect of a noisy number end to end: CPU time of one-worker CLI builds of a planted
Bengal 0.1.2 history (``tools.asv_local.planted``), with interleaved samples and a Mann-Whitney U
test per probe, on this shared machine as it is.

One commit of ten plants 24 M iterations of a pure-Python loop into every build (about +0.6 s
CPU on a 1.2 s smoke build: some 6× the A/A spread of CPU time there, 7.7% over 7 runs). The
bisect must name that commit, or answer "undecided" with the samples of the probe it could not
place: never another commit. Minutes of builds and installs: marked slow.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from driver.processes import stop_tree
from tools.asv_local import planted as planted_history

ROOT = Path(__file__).resolve().parents[1]
ITERATIONS = 24_000_000  # ~25 ns each on CPython 3.14 here: ~0.6 s of CPU per build
SEGMENTS = [[("full", ITERATIONS)] + [("code", i) for i in range(5)] + [("docs", 0)] * 4]
TIMEOUT_S = 2400


@pytest.mark.slow
def test_a_planted_cpu_step_is_named_or_undecided(tmp_path: Path) -> None:
    seed = int(os.environ.get("BISECT_TEST_SEED", random.randrange(10_000)))
    print(f"planted history seed: {seed} (replay with BISECT_TEST_SEED={seed})")
    h = planted_history.build(tmp_path / "history", SEGMENTS, seed)
    planted = h.index("full")
    out = tmp_path / "bisect"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.bisect", "--repo", str(h.repo), "--good", h.shas[0],
         "--bad", h.shas[-1], "--benchmark", "cpu", "--profile", "smoke", "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    except BaseException:  # timed out or interrupted: no build of this bisect lives on
        stop_tree(proc, 10.0)
        raise
    assert proc.returncode == 0, stderr[-4000:]
    print(stderr[-6000:])
    print(stdout)
    answer = json.loads((out / "answer.json").read_text())
    step = answer["step"]
    # The planted step is clearly above the A/A spread of either end's samples.
    assert step["relative"] > 0.25 and step["multiple_of_spread"] > 2, step
    assert step["p"] < answer["alpha"]
    probed = [p["mid"] for p in answer["probes"]]
    assert not [s for s in probed if h.kinds[h.shas.index(s)] == "docs"], probed
    if answer["decision"] == "named":
        assert answer["suspects"] == [h.shas[planted]], (planted, answer["suspects"])
        assert f"**Culprit: `{h.shas[planted][:8]}`**" in stdout
        assert len(probed) <= 3  # ⌈log2 6⌉ for the 6 probe-able commits inside
    else:  # an answer too, with the samples of the probe it could not place
        u = answer["undecided"]
        assert u["n"] >= answer["min_samples"] and u["median"] and u["spread"], u
        assert "**Undecided**" in stdout
