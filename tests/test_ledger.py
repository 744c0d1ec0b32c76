"""The ledger of what was measured: lost parts come back, a busy day is not lost, a bisect's probe
hides nothing, a part that fails twice is given up with its reason.

No Bengal and no benchmark run: a tiny git history stands in for Bengal (its committer dates
chosen), each bench job's artifact is what it would upload (asv's own result files, written by
asv's code for this suite's real benchmark names, and bench_commits' status.json), and the
store pushes to a bare repository that stands in for GitHub.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from catalogue import tiers
from tests import asv_synthetic, tiny_asv
from tests.test_results_history import results_branch
from tools.ci import comment_body, commits, ledger, plan, store_results

ROOT = Path(__file__).resolve().parents[1]
NOW = 1_780_000_000  # the nightly's clock (2026-05-28 20:26 UTC)
DAY = 86400
EXACT = plan.machine_name(tiers.TIERS["exact"])
SCALE = plan.machine_name(tiers.TIERS["scale"])
SUITE = comment_body.allowed_benchmarks()


def bengal(path: Path, dates: list[int]) -> list[str]:
    """A first-parent history with these committer dates (oldest first), made or extended; all
    its hashes."""
    if not path.exists():
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    for when in dates:
        env = {**os.environ, "GIT_COMMITTER_DATE": f"@{when}", "GIT_AUTHOR_DATE": f"@{when}"}
        subprocess.run(
            ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
             "--allow-empty", "-m", f"at {when}"],
            check=True, env=env,
        )  # fmt: skip
    return tiny_asv.git(path, "rev-list", "--reverse", "main").split()


def bench_of(tier: str, part: str) -> str:
    """One real benchmark of the part (the store refuses names the suite does not have)."""
    regex = tiers.tier(tier).part(part).regex
    return next(n for n in sorted(SUITE) if re.search(regex, n))


def artifact(
    runs: Path, task: dict, state: str = "ok", value: float | None = 7.0, ran: bool = True
) -> Path:
    """The run directory a bench job uploads for ``task``: its part's results (none when asv
    was killed; a duration when the benchmark ran, as asv records it) and status.json."""
    run = runs / str(task["artifact"])
    tier, part, commit, name = task["tier"], task["part"], task["commit"], task["machine"]
    if state in ("ok", "failed"):
        bench = bench_of(tier, part)
        asv_synthetic.write(
            run / "results", {bench: ([], [], "unit")}, {commit: {bench: [value]}}, name,
            tiers.tier(tier).profile,
        )  # fmt: skip
        (path,) = (run / "results" / name).glob(f"{commit[:8]}-*.json")
        data = json.loads(path.read_text())
        at = data["result_columns"].index("duration")
        for row in data["results"].values():
            row += [None] * (at + 1 - len(row))
            row[at] = 1.5 if ran else None
        path.write_text(json.dumps(data))
    limit = tiers.tier(tier).part(part).limit_s
    entry = {"commit": commit, "part": part, "state": state, "seconds": 1.0}
    if state in ("ok", "failed", "error"):
        entry["returncode"] = {"ok": 0, "failed": 2}.get(state, 1)
    status = {"machine": name, "commit_timeout": 0.0, "commits": [entry],
              "part_limits": {part: float(limit)}}  # fmt: skip
    run.mkdir(parents=True, exist_ok=True)
    (run / "status.json").write_text(json.dumps(status))
    return run


def nightly(repo: Path, book: Path, out: Path, *extra: str, now: int = NOW) -> list[tuple]:
    """``plan.py nightly`` as the select job runs it; the planned (tier, commit, part)."""
    argv = ["nightly", "--repo", str(repo), "--ledger", str(book), "--now", str(now),
            "--out", str(out), *extra]  # fmt: skip
    assert plan.main(argv) == 0
    return [(t["tier"], t["commit"], t["part"]) for t in plan.load(out)]


def store_cli(clone: Path, plan_path: Path, label: str, runs: list[Path]) -> str:
    """The store job: ``store_results --ledger`` on the artifacts that arrived."""
    proc = subprocess.run(
        [sys.executable, "-m", "tools.ci.store_results", "--worktree", str(clone / "rb"),
         "--message", f"store {label}", "--run-label", label, "--plan", str(plan_path),
         "--ledger", *map(str, runs)],
        capture_output=True, text=True, cwd=clone, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_two_nights_a_killed_part_and_a_lost_artifact_come_back_and_everything_is_stored_once(
    tmp_path,
) -> None:
    repo = tmp_path / "bengal"
    old, c1, tip = bengal(repo, [NOW - 30 * DAY, NOW - 5 * 3600, NOW - 3600])
    clone = tiny_asv.make_origin(tmp_path)
    origin = tmp_path / "origin.git"
    book = tmp_path / "none.json"  # the first night: no ledger yet

    caps = ("--exact-cap", "2", "--scale-budget", "1")
    night1 = nightly(repo, book, tmp_path / "plan1.json", *caps)
    exact_parts = [p.name for p in tiers.TIERS["exact"].parts]
    scale_parts = [p.name for p in tiers.TIERS["scale"].parts]
    assert night1 == [
        *(("exact", tip, p) for p in exact_parts),
        *(("exact", c1, p) for p in exact_parts),  # the old commit is out of the 14-day window
        *(("scale", tip, p) for p in scale_parts),
    ]
    tasks = plan.load(tmp_path / "plan1.json")
    killed = ("exact", tip, "counters")
    lost = ("exact", c1, "counts")
    runs = []
    for t in tasks:
        key = (t["tier"], t["commit"], t["part"])
        if key != lost:  # its artifact never arrives: no directory of that name
            runs.append(artifact(tmp_path / "n1", t, "timeout" if key == killed else "ok"))
    out = store_cli(clone, tmp_path / "plan1.json", "nightly run 1", runs)
    assert f"ledger: {len(night1) - 2} part(s) stored" in out
    assert f"{EXACT} {tip[:8]} counters: timeout (did not finish in {limit('counters')} s" in out
    assert f"{EXACT} {c1[:8]} counts: lost ({ledger.LOST}); try 1 of 2, to do again" in out

    rb1 = results_branch(origin, tmp_path / "rb1")
    summary = tmp_path / "summary.md"
    night2 = nightly(repo, rb1 / ledger.FILE_NAME, tmp_path / "plan2.json", *caps,
                     "--summary", str(summary), now=NOW + 600)  # fmt: skip
    assert night2 == [killed, lost]  # exactly the gaps, the tip's first
    text = summary.read_text()
    assert "2 commit(s) in the window: 0 new, 2 with gaps; 2 job(s) tonight" in text
    assert f"- `{tip[:8]}` counters (timeout): did not finish in {limit('counters')} s" in text
    runs2 = [artifact(tmp_path / "n2", t) for t in plan.load(tmp_path / "plan2.json")]
    out = store_cli(clone, tmp_path / "plan2.json", "nightly run 2", runs2)
    assert "ledger: 2 part(s) stored\n" in out and " try " not in out, out

    rb2 = results_branch(origin, tmp_path / "rb2")
    book2 = ledger.load(rb2 / ledger.FILE_NAME)
    first = {"state": "stored", "run": "nightly run 1"}
    second = {"state": "stored", "run": "nightly run 2"}
    assert book2 == {
        EXACT: {
            tip: {"counts": first, "counters": second},
            c1: {"counts": second, "counters": first},
        },
        SCALE: {tip: dict.fromkeys(scale_parts, first)},
    }
    # the results branch: one result file per series and commit, holding each part's benchmark
    files = tiny_asv.git(origin, "ls-tree", "-r", "--name-only", "results").split()
    for name, commit, parts, tier in (
        (EXACT, tip, exact_parts, "exact"),
        (EXACT, c1, exact_parts, "exact"),
        (SCALE, tip, scale_parts, "scale"),
    ):
        (path,) = [f for f in files if f.startswith(f"results/{name}/{commit[:8]}-")]
        result = json.loads((rb2 / path).read_text())
        assert sorted(result["results"]) == sorted(bench_of(tier, p) for p in parts)
    assert not any(old[:8] in f for f in files) and "failed-commits.json" not in files
    assert nightly(repo, rb2 / ledger.FILE_NAME, tmp_path / "plan3.json", *caps) == []


def test_a_40_commit_day_with_a_cap_of_16_is_planned_over_the_following_nights(tmp_path) -> None:
    repo = tmp_path / "bengal"
    c = bengal(repo, [NOW - 20 * 3600 + 60 * i for i in range(40)])
    book = tmp_path / ledger.FILE_NAME
    state: ledger.Ledger = {}
    parts = [p.name for p in tiers.TIERS["exact"].parts]

    def night(i: int) -> list[str]:
        """Plan, then store every planned part; the commits planned, in plan order."""
        ledger.save(book, state)
        planned = nightly(repo, book, tmp_path / f"p{i}.json", "--exact-cap", "16",
                          "--scale-budget", "0", now=NOW + i * DAY)  # fmt: skip
        for tier, commit, part in planned:
            assert tier == "exact"
            state.setdefault(EXACT, {}).setdefault(commit, {})[part] = {"state": "stored"}
        return list(dict.fromkeys(commit for _, commit, _ in planned))

    assert night(0) == c[::-1][:16]  # the tip first, then the newest
    c = bengal(repo, [NOW + 3600 * i for i in range(1, 6)])  # 5 more land the next day
    # the new tip, then the gaps oldest first as capacity allows; the 4 other new ones wait
    assert night(1) == [c[44], *c[:15]]
    assert night(2) == [*c[15:24], *c[40:44]]  # the older gaps first, then the newer ones
    assert night(3) == []
    assert all(state[EXACT][x] == {p: {"state": "stored"} for p in parts} for x in c)


def test_a_bisect_storing_the_bad_commit_does_not_hide_the_commits_before_it(tmp_path) -> None:
    """A bisect's store merges its probes but writes no ledger (no --ledger, and a plan of
    no tier's part): the nightly still plans every commit the ledger lacks."""
    repo = tmp_path / "bengal"
    c = bengal(repo, [NOW - 10 * 3600 + 600 * i for i in range(5)])
    rb = tmp_path / "rb"
    (rb / "results").mkdir(parents=True)
    book = rb / ledger.FILE_NAME
    ledger.save(book, {EXACT: {c[0]: {p.name: {"state": "stored", "run": "n1"}
                                     for p in tiers.TIERS["exact"].parts}}})  # fmt: skip
    before = book.read_text()
    probe = {"tier": "exact", "machine": EXACT, "commit": c[4], "part": "bisect",
             "artifact": f"bisect-{c[4]}"}  # tools.bisect.commits' plan  # fmt: skip
    run = tmp_path / "run"
    asv_synthetic.write(run / "results", {bench_of("exact", "counts"): ([], [], "n")},
                        {c[4]: {bench_of("exact", "counts"): [5.0]}}, EXACT, "pr")  # fmt: skip
    lines = store_results.apply_runs(rb, [run], "bisect run 9")
    assert lines == [f"merged 1 result file(s) from {run / 'results'}"]
    assert any(p.name.startswith(c[4][:8]) for p in (rb / "results" / EXACT).iterdir())
    store_results.apply_runs(rb, [run], "bisect run 9", [probe])  # even given its plan
    assert book.read_text() == before
    fresh = tmp_path / "fresh"
    store_results.apply_runs(fresh, [run], "bisect run 9", [probe])
    assert not (fresh / ledger.FILE_NAME).exists()  # no empty ledger pushed for nothing
    planned = nightly(repo, book, tmp_path / "p.json", "--exact-cap", "8", "--scale-budget", "0")
    assert list(dict.fromkeys(x for _, x, _ in planned)) == [c[4], c[3], c[2], c[1]]


def limit(part: str) -> int:
    """The exact tier's limit of ``part``, in seconds (what a timed-out part reports)."""
    return tiers.TIERS["exact"].part(part).limit_s


def test_a_part_failing_in_two_runs_is_given_up_with_its_reason(tmp_path) -> None:
    repo = tmp_path / "bengal"
    c0, tip = bengal(repo, [NOW - 7200, NOW - 3600])
    book: ledger.Ledger = {}
    tasks = plan.tasks(tiers.TIERS["exact"], [tip])
    counts, counters = tasks
    for i, label in enumerate(("night 1", "night 1", "night 2")):  # a run counts once
        runs = {
            counts["artifact"]: artifact(tmp_path / f"r{i}", counts, "timeout"),
            counters["artifact"]: artifact(tmp_path / f"r{i}", counters, "failed", value=None),
        }
        lines = ledger.record(book, tasks, runs, label)
    assert lines == [
        "ledger: 0 part(s) stored",
        f"{EXACT} {tip[:8]} counts: timeout (did not finish in {limit('counts')} s (the part's "
        "limit)); "
        "try 2 of 2, given up",
        f"{EXACT} {tip[:8]} counters: benchmarks (every benchmark failed); try 2 of 2, given up",
    ]
    entry = book[EXACT][tip]["counts"]
    reason = f"did not finish in {limit('counts')} s (the part's limit)"
    assert entry == {"state": "failed", "kind": "timeout", "runs": ["night 1", "night 2"],
                     "reason": reason}  # fmt: skip
    assert ledger.state(entry) == ledger.FAILED and ledger.todo(book[EXACT], tip, ["counts"]) == []
    path = tmp_path / ledger.FILE_NAME
    ledger.save(path, book)
    summary = tmp_path / "s.md"
    planned = nightly(repo, path, tmp_path / "p.json", "--exact-cap", "4", "--scale-budget", "0",
                      "--summary", str(summary))  # fmt: skip
    assert [(x, p) for _, x, p in planned] == [(c0, "counts"), (c0, "counters")]  # not the tip
    assert f"Given up (2):\n\n- `{tip[:8]}` counters (benchmarks): every benchmark failed " \
        "(runs: night 1, night 2)" in summary.read_text()  # fmt: skip
    # the backfill skips it too, unless asked to retry
    argv = ["backfill", "--repo", str(repo), "--range", "main", "--tier", "exact",
            "--ledger", str(path), "--out", str(tmp_path / "b.json")]  # fmt: skip
    assert plan.main(argv) == 0
    assert [(t["commit"], t["part"]) for t in plan.load(tmp_path / "b.json")] == [
        (c0, "counts"), (c0, "counters")]  # fmt: skip
    assert plan.main([*argv, "--retry-failed"]) == 0
    assert len(plan.load(tmp_path / "b.json")) == 4


def test_each_try_is_judged_by_its_own_part_and_a_stored_part_stays_stored(tmp_path) -> None:
    tip = "a" * 40
    tasks = plan.tasks(tiers.TIERS["exact"], [tip])
    counts, counters = tasks
    book: ledger.Ledger = {}
    ok = artifact(tmp_path / "a", counters)
    dead = artifact(tmp_path / "a", counts, "running")  # the runner died mid-part
    lines = ledger.record(book, tasks, {r.name: r for r in (ok, dead)}, "night 1")
    assert lines[1].endswith("counts: killed (its job died while the part ran (runner lost or "
                             "killed)); try 1 of 2, to do again")  # fmt: skip
    assert book[EXACT][tip]["counters"] == {"state": "stored", "run": "night 1"}
    # an install failure: asv marked the benchmark failed without running it
    broken = artifact(tmp_path / "b", counts, "failed", value=None, ran=False)
    later = artifact(tmp_path / "b", counters, "error")
    lines = ledger.record(book, tasks, {r.name: r for r in (broken, later)}, "night 2")
    assert book[EXACT][tip]["counts"]["kind"] == "install"
    assert book[EXACT][tip]["counts"]["runs"] == ["night 1", "night 2"]
    assert book[EXACT][tip]["counters"] == {"state": "stored", "run": "night 1"}
    assert lines[2].endswith("asv exited with status 1); stored before, kept")
    # an artifact lost in two runs is given up too, not retried forever
    for label in ("night 3", "night 4"):
        ledger.record(book, tasks, {}, label)
    assert book[EXACT][tip]["counts"]["runs"] == ["night 1", "night 2", "night 3", "night 4"]
    lost = {
        "state": "failed",
        "kind": "lost",
        "reason": ledger.LOST,
        "runs": ["night 3", "night 4"],
    }
    assert book[EXACT][tip]["counters"] == {"state": "stored", "run": "night 1"}
    other: ledger.Ledger = {}
    for label in ("night 3", "night 4"):
        ledger.record(other, tasks, {}, label)
    assert other[EXACT][tip] == {"counts": lost, "counters": lost}
    # no status.json: the job stopped before its part began
    (tmp_path / "c" / counts["artifact"]).mkdir(parents=True)
    assert ledger.judge(tmp_path / "c" / str(counts["artifact"]), EXACT, tip, "counts") == (
        "lost", "no status.json: the job stopped before its part started")  # fmt: skip
    (tmp_path / "c" / str(counts["artifact"]) / "status.json").write_text("[]")
    assert ledger.judge(tmp_path / "c" / str(counts["artifact"]), EXACT, tip, "counts") == (
        "lost", "status.json is not bench_commits' status")  # fmt: skip


def test_plan_night_keeps_the_scale_tiers_tip_and_sample_and_plans_per_part() -> None:
    c = [f"{i:040x}" for i in range(12)]
    everything = {x: ["a", "b"] for x in c}
    night = commits.plan_night(c, everything, set(), 3, 2, sample=True)
    assert [x for x, _ in night.jobs[::2]] == [c[11], c[10], c[0]]  # the tip + an even sample
    assert night.left == 0 and night.new == c and night.gaps == []  # unsampled: not meant
    # a sampling tier's unplanned commits are no gaps; a planned commit's missing part is one
    todo = {**everything, c[5]: ["b"]}
    night = commits.plan_night(c[:8], todo, {c[5]}, 1, 2, sample=True)
    assert night.gaps == [c[5]] and night.jobs == [(c[7], "a"), (c[7], "b")]
    night = commits.plan_night(c[:8], todo, {c[5]}, 2, 2, sample=True)
    assert night.jobs == [(c[7], "a"), (c[7], "b"), (c[5], "b")]
    # the exact tier: every older unplanned commit is a gap; one free slot takes one part
    night = commits.plan_night(c[:8], todo, {c[5]}, 2, 2)
    assert night.jobs == [(c[7], "a"), (c[7], "b"), (c[0], "a"), (c[0], "b")]
    assert night.left == 4 * 2 + 1 + 2  # c[1..4], the part c[5] lacks, and c[6]
    assert commits.plan_night(c, everything, set(), 0, 2).jobs == []


def test_parts_filter_and_zero_caps_for_a_rehearsal(tmp_path) -> None:
    repo = tmp_path / "bengal"
    c = bengal(repo, [NOW - 3 * 3600, NOW - 2 * 3600, NOW - 3600])
    none = tmp_path / "none.json"
    got = nightly(repo, none, tmp_path / "p.json", "--exact-cap", "2", "--scale-budget", "0",
                  "--parts", "exact:counters")  # fmt: skip
    assert got == [("exact", c[2], "counters"), ("exact", c[1], "counters")]
    got = nightly(repo, none, tmp_path / "p.json", "--exact-cap", "0", "--scale-budget", "1",
                  "--parts", "exact,scale:real")  # fmt: skip
    assert got == [("scale", c[2], "real")]
    assert nightly(repo, none, tmp_path / "p.json", "--exact-cap", "0", "--scale-budget", "0") == []
    # the window: a quiet week still measures the tip
    got = nightly(repo, none, tmp_path / "p.json", "--exact-cap", "3", "--scale-budget", "0",
                  "--window-days", "1", now=NOW + 30 * DAY)  # fmt: skip
    assert {x for _, x, _ in got} == {c[2]}


def test_coverage_counts_each_days_parts(tmp_path, capsys) -> None:
    repo = tmp_path / "bengal"
    c = bengal(repo, [NOW - DAY - 60, NOW - 120, NOW - 60])
    parts = [p.name for p in tiers.TIERS["exact"].parts]
    book = {EXACT: {c[1]: {parts[0]: {"state": "stored", "run": "n"},
                           parts[1]: {"state": "failed", "kind": "timeout", "reason": "r",
                                      "runs": ["n1", "n2"]}},
                    c[2]: {parts[0]: {"state": "failed", "kind": "lost", "reason": "r",
                                      "runs": ["n2"]}}}}  # fmt: skip
    text = ledger.coverage(book, commits.dated(repo, "main"), ledger.machines(), 3, NOW)
    exact = text.split("### Coverage of the scale tier")[0]
    assert "| 2026-05-28 | 2 | 4 | 1 | 1 | 2 |" in exact  # c[2]'s tried-once part is to do
    assert (
        "| 2026-05-27 | 1 | 2 | 0 | 0 | 2 |" in exact
        and "| 2026-05-26 | 0 | 0 | 0 | 0 | 0 |" in exact
    )
    n = 2 * len(tiers.TIERS["scale"].parts)  # two commits, every part to do
    assert f"(`{SCALE}`)" in text and f"| 2026-05-28 | 2 | {n} | 0 | 0 | {n} |" in text
    path = tmp_path / ledger.FILE_NAME
    ledger.save(path, book)
    assert ledger.main(["coverage", "--ledger", str(path), "--repo", str(repo)]) == 0
    assert f"### Coverage of the exact tier (`{EXACT}`), last 7 day(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--exact-cap", "-1", "--scale-budget", "0"], "--exact-cap and --scale-budget must be"),
        (["--exact-cap", "1", "--scale-budget", "0", "--parts", "exact:nope"], "no part 'nope'"),
        (["--exact-cap", "1", "--scale-budget", "0", "--window-days", "-2"], "--window-days"),
        (["--exact-cap", "1", "--scale-budget", "0", "--ledger", "BAD"], "expected {machine:"),
    ],
)
def test_bad_input_is_one_line(tmp_path, argv, message) -> None:
    repo = tmp_path / "bengal"
    bengal(repo, [NOW])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({EXACT: {"abc": {}}}))
    argv = [str(bad) if a == "BAD" else a for a in argv]
    proc = subprocess.run(
        [sys.executable, "-m", "tools.ci.plan", "nightly", "--repo", str(repo),
         "--out", str(tmp_path / "p.json"), *argv],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert message in proc.stderr


def test_one_run_that_cannot_be_merged_is_refused_in_one_line_and_the_others_are_stored(
    tmp_path,
) -> None:
    """A run whose results are of another profile than the series already stored (one bad
    artifact) no longer stops the night's store: it is refused, the other is merged, and its
    part stays to do in the ledger."""
    repo = tmp_path / "bengal"
    c = bengal(repo, [NOW - 10 * 3600 + 600 * i for i in range(2)])
    rb = tmp_path / "rb"
    bench = bench_of("exact", "counters")
    asv_synthetic.write(rb / "results", {bench: ([], [], "n")}, {c[0]: {bench: [1.0]}}, EXACT, "pr")
    tasks = [{"tier": "exact", "machine": EXACT, "commit": sha, "part": "counters",
              "artifact": f"run-exact-counters-{sha}", "profile": "pr"} for sha in c]  # fmt: skip
    good = artifact(tmp_path / "runs", tasks[0])
    bad = artifact(tmp_path / "runs", tasks[1])
    mjson = next((bad / "results").glob("*/machine.json"))
    mjson.write_text(json.dumps({**json.loads(mjson.read_text()), "profile": "nightly"}))
    lines = store_results.apply_runs(rb, [good, bad], "nightly run 3", tasks)
    refused = [line for line in lines if "refused" in line]
    assert len(refused) == 1 and refused[0].startswith(f"{bad.name}: refused, its results cannot")
    assert f"merged 1 result file(s) from {good / 'results'}" in lines
    book = ledger.load(rb / ledger.FILE_NAME)[EXACT]
    assert book[c[0]]["counters"]["state"] == "stored"
    assert ledger.state(book[c[1]]["counters"]) == "todo"
