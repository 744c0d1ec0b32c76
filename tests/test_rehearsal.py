"""The nightly workflow rehearsed under act (``rehearsal/``), as GitHub would run it, over two
nights on one machine: real act and GitHub's pinned actions, real asv, real Bengal 0.1.2 builds
at the smoke sites, a bare repository standing in for this one and a local Bengal history.

Bengal's history here is 0.1.2 and one commit on top. Night 1 plans both commits' ``counters``
part (the cheapest part: the rehearsal's setting ``NIGHTLY_PARTS``); one part's processes are
SIGKILLed 20 s in (a runner lost midway) and the other's artifact is deleted when its job ends (a
lost upload). Night 2 must plan exactly those two gaps, and afterwards the results branch and
the ledger hold each (tier, commit, part) exactly once. Then a night whose bench job has no
valgrind on PATH turns the counts part red with one line. About 8-10 minutes of the machine;
skipped inside a rehearsal (``ACT``), where it would nest.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from rehearsal import act, checks, faults, scenarios, world

pytestmark = pytest.mark.skipif(
    os.environ.get("ACT") == "true", reason="already inside a rehearsal: act would nest"
)
COUNTERS = {"NIGHTLY_PARTS": "exact:counters", "NIGHTLY_WINDOW_DAYS": "100000"}


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> scenarios.Rehearsal:
    if shutil.which("python3.14") is None or not act.ACT_OFFLINE.exists():
        pytest.skip("needs python3.14 on PATH and ../shared/tools/act-offline")
    root = tmp_path_factory.mktemp("rehearsal")
    return scenarios.Rehearsal.start(world.create(root / "world", bengal_commits=1))


def planned(run: act.Run) -> set[str]:
    """The artifacts of the bench jobs a run planned (one job per tier, commit and part)."""
    return {name.removeprefix("bench ") for name in run.jobs if name.startswith("bench ")}


def ledger(r: scenarios.Rehearsal) -> dict:
    """The results branch's ledger.json: its one series (the exact tier at the smoke sites)."""
    book = json.loads(world.git(r.world.origin, "show", "results:ledger.json"))
    (machine,) = book
    assert machine.endswith("-exact-smoke"), machine
    return book


def artifact(commit: str, part: str = "counters") -> str:
    return f"run-exact-{part}-{commit}"


def test_two_nights_fill_every_gap_a_lost_runner_and_a_lost_artifact_left(rehearsal) -> None:
    r = rehearsal
    tip, before = r.world.bengal_commits()[-1], r.world.bengal_commits()[-2]
    hit = faults.Faults(
        r.world.root / "artifacts", r.next_run_id, kill=artifact(tip), lose=artifact(before)
    )
    night1 = scenarios.nightly(r, exact_cap=2, variables=COUNTERS, watch=hit, timeout_s=2400)
    assert planned(night1) == {artifact(tip), artifact(before)}, night1.jobs
    assert f"lose {artifact(before)}: deleted" in hit.done, hit.done
    assert any(d.startswith(f"kill {artifact(tip)}: ") and "0 process" not in d for d in hit.done)
    bench = "Benchmark one part"  # act gives a matrix's jobs one result: read their steps
    assert night1.step(f"bench {artifact(tip)}", bench) == "failure"  # the lost runner's part
    assert night1.step(f"bench {artifact(before)}", bench) == "success"
    assert night1.jobs["store"] == "success"
    store_log = night1.output("store")
    assert f"{artifact(before)}: refused: no artifact of that name" in store_log
    measured = checks.measured_commits(r, "bench_correctness.MissedEdits.track_missed_edit_outputs")
    assert not measured, measured  # nothing of night 1 counts as measured
    entries = next(iter(ledger(r).values()))
    assert entries[tip]["counters"]["state"] == "failed" == entries[before]["counters"]["state"]

    night2 = scenarios.nightly(r, exact_cap=2, variables=COUNTERS, timeout_s=2400)
    assert planned(night2) == {artifact(tip), artifact(before)}  # exactly the two gaps
    assert night2.jobs["store"] == "success", night2.jobs
    measured = checks.measured_commits(r, "bench_correctness.MissedEdits.track_missed_edit_outputs")
    (machine,) = ledger(r)
    assert measured == {machine: {tip, before}}
    files = {k: v for k, v in checks.results_files(r).items() if k.startswith(machine + "/")}
    commits = sorted(v["commit_hash"] for v in files.values())
    assert commits == sorted([tip, before])  # one result file per commit, no duplicate
    entries = next(iter(ledger(r).values()))
    assert {c: e["counters"]["state"] for c, e in entries.items()} == {
        tip: "stored",
        before: "stored",
    }


def test_a_bench_job_without_valgrind_turns_the_counts_part_red_in_one_line(rehearsal) -> None:
    r = rehearsal
    hidden = r.world.root / "path-without-valgrind"
    run = scenarios.nightly(
        r,
        exact_cap=1,
        variables={"NIGHTLY_PARTS": "exact:counts", "NIGHTLY_WINDOW_DAYS": "100000"},
        env={"PATH": without_valgrind(hidden)},
        timeout_s=900,
    )
    tip = r.world.bengal_commits()[-1]
    assert planned(run) == {artifact(tip, "counts")}
    assert run.step(f"bench {artifact(tip, 'counts')}", "Check the runner") == "failure"
    assert run.step(f"bench {artifact(tip, 'counts')}", "Benchmark one part") in ("", "skipped")
    lines = [line for line in run.output("bench").splitlines() if "valgrind is not on PATH" in line]
    # the runner's check, before anything is built (bench_commits would refuse it too)
    assert lines == [
        "error: this runner is not the declared environment (scope/environment.py, "
        f"BENGAL_BENCH_ENV_OVERRIDE): valgrind is not on PATH, declared {valgrind_version()}"
    ]
    assert "Creating environments" not in run.output("bench")


def valgrind_version() -> str:
    from scope import environment

    return environment.valgrind_version() or "?"


def without_valgrind(dest: Path) -> str:
    """A PATH with one directory that links every command of this PATH but valgrind's."""
    dest.mkdir(parents=True, exist_ok=True)
    for folder in os.environ["PATH"].split(os.pathsep):
        for entry in Path(folder).glob("*") if Path(folder).is_dir() else []:
            link = dest / entry.name
            if not entry.name.startswith("valgrind") and not link.exists():
                link.symlink_to(entry)
    return str(dest)
