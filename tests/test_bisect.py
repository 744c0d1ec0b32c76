"""tools.bisect end to end: real asv probes of a planted Bengal 0.1.2 history, under cachegrind.

One history (``tools.asv_local.planted``) and one asv results folder serve two bisects:

1. commits 0–31: one commit adds ~1.5% to the full build's instruction count; the bisect of the
   full build (the default) must name it in at most 6 probes, probe no docs-only commit, keep
   every probe in asv's results, and show the planted loop in the call-count diff;
2. commits 31–52: two commits add ~1.2% and ~2.2% to start-up, both named with their shares;
   a third start-up step comes right after a commit that cannot build: that commit is skipped
   with its reason and the answer for the step is "one of" the two.

The smoke profile's instruction site (nested-2) keeps each probe to about a minute.
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
from tools.asv_local import history as bengal_history
from tools.asv_local import planted as planted_history
from tools.report import data as rd

ROOT = Path(__file__).resolve().parents[1]
FULL_ITERATIONS = 290_000  # ~1.5% of 0.1.2's nested-2 full build (10.4 G instructions)
STARTUP_SMALL, STARTUP_LARGE, STARTUP_C = 61_000, 112_000, 102_000  # of start-up's 2.75 G
BISECT_TIMEOUT_S = 3000  # one bisect of this history: 6-10 probes of about a minute each
# Instructions per iteration of the planted loop on CPython 3.14 (measured: about 540).
PER_ITERATION = (450, 650)


def planted_cost(step: dict, iterations: int) -> float:
    """Instructions the step added per planted iteration: the step is the planted loop."""
    per = (step["value_after"] - step["value_before"]) / iterations
    assert PER_ITERATION[0] < per < PER_ITERATION[1], (per, step)
    return per


SEGMENTS = [
    [("full", FULL_ITERATIONS)] + [("code", i) for i in range(11)] + [("docs", 0)] * 19,
    [("startup", STARTUP_SMALL), ("startup", STARTUP_LARGE)]
    + [("code", i) for i in range(5)]
    + [("docs", 0)] * 9,
    [("broken", 0), ("startup", STARTUP_C), ("code", 1), ("code", 2), ("docs", 0)],
]


class Bisects:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.seed = int(os.environ.get("BISECT_TEST_SEED", random.randrange(10_000)))
        print(f"planted history seed: {self.seed} (replay with BISECT_TEST_SEED={self.seed})")
        self.history = planted_history.build(work / "history", SEGMENTS, self.seed)
        self.results = work / "results"

    def run(self, good: int, bad: int, benchmark: str, *extra: str) -> dict:
        out = self.work / f"bisect-{benchmark}-{good}-{bad}"
        shas = self.history.shas
        proc = subprocess.Popen(
            [sys.executable, "-m", "tools.bisect", "--repo", str(self.history.repo),
             "--good", shas[good], "--bad", shas[bad], "--benchmark", benchmark,
             "--profile", "smoke", "--results-dir", str(self.results),
             "--env-dir", str(bengal_history.cache_root() / "asv-env-bisect"),
             "--out", str(out), *extra],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        try:
            _, stderr = proc.communicate(timeout=BISECT_TIMEOUT_S)
        except BaseException:  # timed out or interrupted: stop the bisect and its asv runs
            stop_tree(proc, 10.0)
            raise
        assert proc.returncode == 0, stderr[-4000:]
        (answer,) = json.loads((out / "answer.json").read_text())["answers"]
        answer["markdown"] = (out / "answer.md").read_text()
        return answer

    def stored(self, name: str) -> dict[str, float]:
        """What asv's results hold for ``name``, per commit."""
        rs = rd.load(self.results)
        return {
            c.sha: c.measurements[name].value
            for c in rs.commits
            if name in c.measurements and not c.measurements[name].failed
        }


@pytest.fixture(scope="module")
def bisects(valgrind: str, tmp_path_factory: pytest.TempPathFactory) -> Bisects:
    return Bisects(tmp_path_factory.mktemp("bisect"))


def test_one_planted_step_is_named_in_six_probes(bisects: Bisects) -> None:
    h = bisects.history
    planted = h.index("full")
    answer = bisects.run(0, 31, "full")
    print(answer["markdown"])
    (step,) = answer["steps"]
    assert step["culprit"] == h.shas[planted], (planted, step)
    assert step["regression"] is True
    planted_cost(step, FULL_ITERATIONS)
    print(f"planted step: {step['relative']:+.3%} of the full build")
    # The share's error is the ends' A/A over the step: date-dependent template work (time_ago,
    # dates: it depends on the day the test runs) moved a count by 0.045% (seed 9402) and by
    # 0.07% on another day, 3% and 6% of this 1.5% step. The culprit is asserted exactly above.
    assert 0.9 < step["share_of_total"] < 1.1, step
    probed = [p["sha"] for p in answer["probes"]]
    assert len(probed) <= 6, probed
    kinds = {h.shas[i]: h.kinds[i] for i in range(32)}
    assert not [s for s in probed[2:] if kinds[s] == "docs"], "a docs-only commit was probed"
    assert sorted(answer["not_probed"]) == sorted(s for s, k in kinds.items() if k == "docs")
    # Every probe is an asv result of the smoke machine, with the value the bisect used.
    stored = bisects.stored(answer["benchmark"])
    assert {p["sha"]: p["value"] for p in answer["probes"]}.items() <= stored.items()
    # Commits that changed code but not work count the same as their neighbours (A/A, < 0.1%).
    base = stored[h.shas[0]]
    for sha, value in stored.items():
        side = base if h.shas.index(sha) < planted else stored[h.shas[planted]]
        assert abs(value / side - 1) < 0.001, (kinds[sha], value, side)
    # The call-count diff names the planted loop (a generator resumed once per iteration).
    assert "orchestration/build.py <genexpr>" in step["call_count_diff"], step["call_count_diff"]
    assert f"culprit `{h.shas[planted][:8]}`" in answer["markdown"]
    # And the suite's own report flags the same pair with asv.conf.json's threshold.
    report = subprocess.run(
        [sys.executable, "-m", "tools.report", "markdown", "--results", str(bisects.results),
         "--base", step["before"], "--head", step["culprit"], "--fail-on", "regression"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert report.returncode == 1, report.stdout + report.stderr
    assert "track_build_instructions('nested-2', 'full')" in report.stdout


def test_several_steps_and_a_skipped_commit(bisects: Bisects) -> None:
    """Commits 31–52: two start-up steps (~1.2%, ~2.2%) named exactly with their shares, and a
    third right after a commit that cannot build: "one of" the two, with the skip's reason."""
    h = bisects.history
    small, large = h.index("startup", 31, STARTUP_SMALL), h.index("startup", 31, STARTUP_LARGE)
    broken = h.index("broken", 47)
    answer = bisects.run(31, len(h.shas) - 1, "startup", "--no-call-diff")
    print(answer["markdown"])
    exact = {s["culprit"]: s for s in answer["steps"] if s["culprit"]}
    assert sorted(exact, key=h.shas.index) == sorted(
        [h.shas[small], h.shas[large]], key=h.shas.index
    )
    planted_cost(exact[h.shas[small]], STARTUP_SMALL)
    planted_cost(exact[h.shas[large]], STARTUP_LARGE)
    assert 0.010 < exact[h.shas[small]]["relative"] < 0.016, exact  # ~1.2% of start-up
    assert 0.018 < exact[h.shas[large]]["relative"] < 0.027, exact  # ~2.2%
    (hidden,) = [s for s in answer["steps"] if not s["culprit"]]
    assert [s["sha"] for s in hidden["suspects"]] == [h.shas[broken], h.shas[broken + 1]]
    planted_cost(hidden, STARTUP_C)
    assert "SyntaxError" in answer["skipped"][h.shas[broken]], answer["skipped"]
    assert f"one of `{h.shas[broken][:8]}`, `{h.shas[broken + 1][:8]}`" in answer["markdown"]
    shares = {s["after"]: s["share_of_total"] for s in answer["steps"]}
    expected = {h.shas[small]: STARTUP_SMALL, h.shas[large]: STARTUP_LARGE,
                h.shas[broken + 1]: STARTUP_C}  # fmt: skip
    total = sum(expected.values())
    for sha, share in shares.items():
        assert abs(share - expected[sha] / total) < 0.03, (shares, expected)
    assert abs(answer["unexplained_relative"]) < 0.001
    assert "explain the range's change within the threshold" in answer["markdown"]
