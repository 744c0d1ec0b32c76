"""tools.bisect without Bengal: the search on made-up series, the range on a tiny git repository,
the nightly's bisect requests, and the trusted re-rendering of an answer (tampered input refused).
The end-to-end bisects of real Bengal commits are in test_bisect.py."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from tools.bisect import render
from tools.bisect.answer import Answer
from tools.bisect.commits import RangeError, first_parent_range
from tools.bisect.probe import Probe
from tools.bisect.search import Quiet, Skipped, bisect, hiding, may_hide_pair
from tools.ci.bisect_requests import requests, target_of
from tools.ci.new_regressions import Jump


def series(n: int, steps: dict[int, float], base: float = 1e9) -> list[float]:
    """Values of commits 0..n-1 with relative steps at the given commits."""
    out, v = [], base
    for i in range(n):
        v *= 1 + steps.get(i, 0.0)
        out.append(v)
    return out


def run(values: list[float], probeable=None, broken=(), threshold=0.01, thorough=0):
    probeable = probeable or [True] * len(values)
    asked: list[int] = []

    def measure(i: int) -> float:
        asked.append(i)
        if i in broken:
            raise Skipped(f"commit {i} does not build")
        return values[i]

    return bisect(probeable, measure, threshold, thorough), asked


@pytest.mark.parametrize("culprit", range(1, 17))
def test_one_step_in_log2_probes(culprit: int) -> None:
    outcome, asked = run(series(17, {culprit: 0.015}))
    (step,) = outcome.steps
    assert step.suspects == (culprit,) and step.before == culprit - 1
    assert len(asked) <= 2 + math.ceil(math.log2(16)), asked  # both ends + ⌈log2 16⌉


def test_commits_another_benchmark_already_ran_are_split_points_first() -> None:
    values, asked = series(17, {12: 0.02}), []

    def measure(i: int) -> float:
        asked.append(i)
        return values[i]

    outcome = bisect([True] * 17, measure, 0.01, free=lambda i: i in (11, 12))
    assert [s.suspects for s in outcome.steps] == [(12,)]
    assert asked == [0, 16, 11, 12]  # no commit without a run of its own was asked for


def test_commits_that_change_nothing_are_never_probed() -> None:
    probeable = [i % 3 == 0 for i in range(31)]
    outcome, asked = run(series(31, {12: 0.02}), probeable)
    assert outcome.steps[0].suspects == (12,)
    assert all(probeable[i] for i in asked[2:]), asked


def test_two_steps_are_both_named_and_small_drift_is_quiet() -> None:
    outcome, _ = run(series(40, {9: 0.011, 30: 0.021, 20: 0.004}))
    assert [s.suspects for s in outcome.steps] == [(9,), (30,)]
    assert [round(s.relative, 3) for s in outcome.steps] == [0.011, 0.021]


def test_a_skipped_neighbour_makes_the_answer_one_of() -> None:
    outcome, _ = run(series(20, {11: 0.02}), broken={10})
    (step,) = outcome.steps
    assert step.suspects == (10, 11) and not step.exact
    assert outcome.skipped == {10: "commit 10 does not build"}


def test_a_skipped_commit_away_from_the_step_costs_one_probe_only() -> None:
    outcome, asked = run(series(20, {15: 0.02}), broken={10})
    assert outcome.steps[0].suspects == (15,)
    assert len(asked) <= 2 + math.ceil(math.log2(19)) + 1


def test_improvements_are_steps_too_and_stay_apart_from_regressions() -> None:
    outcome, _ = run(series(20, {5: -0.03, 14: 0.05}))
    assert [(s.suspects, s.relative < 0) for s in outcome.steps] == [((5,), True), ((14,), False)]


@pytest.mark.parametrize(
    ("probeable", "values", "hides"),
    [
        ([True, True, True], {0: 1.0, 2: 1.0}, True),  # up at 1, down at 2
        ([True, True, False], {0: 1.0, 2: 1.0}, False),  # the end changes nothing: no 2nd step
        ([True, True, False, True], {0: 1.0, 3: 1.0}, True),
        ([True, False, True, False], {0: 1.0, 3: 1.0}, False),  # one change only
        ([True, True, True, True], {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}, False),  # all probed
        ([True, True], {0: 1.0, 1: 1.0}, False),  # neighbours
    ],
)
def test_which_quiet_sub_range_may_hide_an_opposite_pair(probeable, values, hides) -> None:
    q = Quiet(min(values), max(values), 1.0, 1.0)
    assert may_hide_pair(q, probeable, values) is hides


def test_an_opposite_pair_is_invisible_until_thorough_probes_inside() -> None:
    values = series(17, {5: 0.02, 12: -1 + 1 / 1.02})  # +2% at 5, back to the start at 12
    outcome, asked = run(values)
    assert outcome.steps == [] and asked == [0, 16]
    probeable = [True] * 17
    assert [(q.before, q.after) for q in hiding(outcome, probeable)] == [(0, 16)]
    outcome, _ = run(values, thorough=1)
    assert [s.suspects for s in outcome.steps] == [(5,), (12,)]
    assert [round(s.relative, 4) for s in outcome.steps] == [0.02, -0.0196]


def test_thorough_spends_at_most_its_budget_on_the_longest_quiet_sub_ranges() -> None:
    values = [1e9] * 65
    outcome, asked = run(values, thorough=3)
    assert asked == [0, 64, 32, 16, 48]  # the middle, then the middles of both halves
    assert [(q.before, q.after) for q in outcome.quiet] == [(0, 16), (16, 32), (32, 48), (48, 64)]
    assert len(hiding(outcome, [True] * 65)) == 4  # still unprobed changes in each
    outcome, asked = run(values[:6], thorough=100)  # enough budget: every change is probed
    assert sorted(asked) == list(range(6)) and hiding(outcome, [True] * 6) == []


def test_thorough_skips_what_cannot_build_and_counts_it() -> None:
    outcome, asked = run([1e9] * 9, broken={4}, thorough=2)
    assert outcome.skipped == {4: "commit 4 does not build"} and asked == [0, 8, 4, 5]
    assert not outcome.steps


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """main: root, docs, code, a merged branch (its own commit is not first-parent), code."""
    r = tmp_path / "bengal"
    subprocess.run(["git", "init", "-q", "-b", "main", str(r)], check=True)
    (r / "bengal").mkdir()
    for name, path in [("root", "bengal/a.py"), ("docs", "README.md"), ("code", "bengal/b.py")]:
        (r / path).write_text(name)
        _git(r, "add", "-A")
        _git(r, "commit", "-q", "-m", name)
    _git(r, "checkout", "-q", "-b", "side")
    (r / "bengal" / "c.py").write_text("side")
    _git(r, "add", "-A")
    _git(r, "commit", "-q", "-m", "side work")
    _git(r, "checkout", "-q", "main")
    _git(r, "merge", "-q", "--no-ff", "-m", "merge side", "side")
    (r / "pyproject.toml").write_text("[project]\n")
    _git(r, "add", "-A")
    _git(r, "commit", "-q", "-m", "dependencies")
    return r


def test_range_is_first_parent_and_knows_what_is_installed(repo: Path) -> None:
    commits = first_parent_range(repo, "main~4", "main")
    assert [c.subject for c in commits] == ["root", "docs", "code", "merge side", "dependencies"]
    assert [c.probeable for c in commits[1:]] == [False, True, True, True]
    assert commits[3].files == ["bengal/c.py"]  # the merge's change against its first parent
    with pytest.raises(RangeError, match="not an ancestor"):
        first_parent_range(repo, "main", "main~2")
    with pytest.raises(RangeError, match="not a commit"):
        first_parent_range(repo, "nope", "main")


def test_requests_only_for_bisectable_benchmarks() -> None:
    full = "bench_instructions.BuildInstructions.track_build_instructions('nested-50', 'full')"
    files = "bench_instructions.WorkCounters.track_files_written('nested-50', 'one_page')"
    start = "bench_instructions.StartupInstructions.track_startup_instructions"
    assert [target_of(n) for n in (full, files, start)] == [
        "full",
        "files_written:one_page",
        "startup",
    ]
    assert target_of("bench_full.FullBuild.time_full_build('nested-50')") is None
    exact = "graphs/machine-gha-ubuntu-x64-exact/python-3.14/x.json"
    pr = "graphs/machine-gha-ubuntu-x64-pr/python-3.14/x.json"  # a backfill: no tier's series
    jumps = [
        Jump(full, exact, "b" * 40, "a" * 40, 1.0, 1.1),
        Jump("bench_full.FullBuild.time_full_build('nested-50')", exact, "b" * 40, "a" * 40, 1, 2),
        Jump(start, exact, "c" * 40, None, 1.0, 1.1),  # no good commit known: nothing to bisect
        Jump(files, pr, "c" * 40, "a" * 40, 1.0, 1.1),
        Jump(files, exact, "c" * 40, "$(reboot)", 1.0, 1.1),  # not a commit hash
    ]
    assert requests(jumps, 3) == [("a" * 40, "b" * 40, "full", "exact")]


def _answer(repo: Path) -> dict:
    commits = first_parent_range(repo, "main~4", "main")
    values = [1e9, 1e9, 1.02e9, 1.02e9, 1.02e9]
    outcome, _ = run(values, [c.probeable for c in commits])
    probes = [Probe(commits[i].sha, values[i], "", 60.0, False) for i in sorted(outcome.values)]
    answer = Answer(
        "bench_instructions.BuildInstructions.track_build_instructions('nested-50', 'full')",
        "full", "pr", "local-pr", 0.01, False, commits, outcome, probes,
    )  # fmt: skip
    answer.call_diffs[2] = (
        "#### Call counts\n\n| function | Δ calls | calls a → b |\n|---|---:|---:|\n"
        "| `bengal/x.py <genexpr>` | +5 | 0 → 5 |\n| [evil](http://x) | +1 | 1 → 2 |"
    )
    return answer.to_json()


def test_render_rebuilds_the_answer_and_drops_what_is_not_data(repo: Path, tmp_path: Path) -> None:
    data = _answer(repo)
    data["skipped"] = {}
    (tmp_path / "a.json").write_text(json.dumps({"answers": [data]}))
    assert (
        render.main(
            [str(tmp_path / "a.json"), "--repo", str(repo), "--out", str(tmp_path / "a.md")]
        )
        == 0
    )
    text = (tmp_path / "a.md").read_text()
    assert "culprit `" + data["steps"][0]["culprit"][:8] + "`** code" in text
    assert "+2.00%" in text and "`bengal/x.py <genexpr>` | +5" in text
    assert "evil" not in text and "http" not in text


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["probes"][0].update(sha="f" * 40),  # a commit outside the range
        lambda d: d["steps"][0].update(value_after="1e9; rm -rf /"),  # not a number
        lambda d: d.update(target="time_full_build"),  # not a bisectable benchmark
    ],
    ids=["foreign-commit", "not-a-number", "unknown-benchmark"],
)
def test_render_refuses_tampered_answers(repo: Path, tmp_path: Path, tamper, capsys) -> None:
    data = _answer(repo)
    tamper(data)
    (tmp_path / "a.json").write_text(json.dumps({"answers": [data]}))
    rc = render.main(
        [str(tmp_path / "a.json"), "--repo", str(repo), "--out", str(tmp_path / "a.md")]
    )
    assert rc == 2 and "tools.bisect.render: error:" in capsys.readouterr().err
    assert not (tmp_path / "a.md").exists()


# --- probes merge per parameter (tools.ci.merge_results), on files asv itself writes ----------

BUILDS_BENCH = "bench_instructions.BuildInstructions.track_build_instructions"
STARTUP_BENCH = "bench_instructions.StartupInstructions.track_startup_instructions"
BUILDS = ("full", "noop", "one_page")
NAN = float("nan")


def _asv_file(
    tmp: Path, name: str, rows: dict[str, list], params=(("nested-2",), BUILDS), version="1"
) -> dict:
    """The JSON asv writes for one commit, with ``rows``: benchmark → value per combination
    (None failed, NaN n/a); each value is recorded from two samples, so stats columns exist."""
    from asv.results import Results
    from asv.runner import BenchmarkResult

    r = Results({"machine": "m", "python": "3.14"}, {}, "a" * 40, 1, "3.14", "py3.14", {})
    for bench, values in rows.items():
        p = [list(x) for x in params] if bench == BUILDS_BENCH else []
        samples = [None if _na(v) else [v, v + 2] for v in values]
        numbers = [None if _na(v) else 1 for v in values]
        info = {"name": bench, "params": p, "version": version, "type": "track"}
        r.add_result(
            info, BenchmarkResult(values, samples, numbers, 0, "", None), record_samples=True
        )
    r.save(str(tmp / name))
    (path,) = (tmp / name / "m").glob("*.json")
    return json.loads(path.read_text())


def _na(v) -> bool:
    return v is None or v != v


def _values(tmp: Path, data: dict, bench: str) -> tuple[list, list]:
    """What asv's own loader reads back from ``data``: results and first-quartile stats."""
    from asv.results import Results

    path = tmp / "merged" / "m" / "x.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    r = Results.load(str(path))
    params = r.get_result_params(bench)
    stats = r.get_result_stats(bench, params)
    return r.get_result_value(bench, params), [s and s["q_25"] for s in stats]


def test_a_probe_of_one_build_keeps_the_other_builds_stored_values(tmp_path: Path) -> None:
    from tools.ci.merge_results import merge_result_file

    nightly = _asv_file(tmp_path, "nightly", {BUILDS_BENCH: [1e9, 2e9, 3e9], STARTUP_BENCH: [5e8]})
    probe = _asv_file(tmp_path, "probe", {BUILDS_BENCH: [1.1e9, NAN, NAN]})
    merged = merge_result_file(nightly, probe)
    values, q25 = _values(tmp_path, merged, BUILDS_BENCH)
    assert values == [1.1e9 + 1, 2e9 + 1, 3e9 + 1]  # asv's median of the two samples
    assert q25 == [1.1e9, 2e9, 3e9]  # stats follow their combination (q25: the lower sample)
    assert merged["results"][STARTUP_BENCH] == nightly["results"][STARTUP_BENCH]
    # and the other way round: the nightly after the probe takes every build of its own
    values, _ = _values(tmp_path, merge_result_file(probe, nightly), BUILDS_BENCH)
    assert values == [1e9 + 1, 2e9 + 1, 3e9 + 1]


def test_measured_beats_failed_beats_not_measured_the_later_run_on_a_tie(tmp_path: Path) -> None:
    from tools.ci.merge_results import merge_result_file

    old = _asv_file(tmp_path, "old", {BUILDS_BENCH: [1e9, NAN, None]})
    new = _asv_file(tmp_path, "new", {BUILDS_BENCH: [None, 2e9, NAN]})
    values, _ = _values(tmp_path, merge_result_file(old, new), BUILDS_BENCH)
    assert values == [1e9 + 1, 2e9 + 1, None]
    all_failed = _asv_file(tmp_path, "failed", {BUILDS_BENCH: [None, None, None]})
    assert all_failed["results"][BUILDS_BENCH][0] is None  # asv's shape: one None for all
    values, _ = _values(tmp_path, merge_result_file(new, all_failed), BUILDS_BENCH)
    assert values == [None, 2e9 + 1, None]


@pytest.mark.parametrize("change", ["params", "version"])
def test_other_params_or_version_replace_the_whole_entry(tmp_path: Path, change: str) -> None:
    from tools.ci.merge_results import merge_result_file

    old = _asv_file(tmp_path, "old", {BUILDS_BENCH: [1e9, 2e9, 3e9]})
    kw = {"params": (("nested-50",), BUILDS)} if change == "params" else {"version": "2"}
    new = _asv_file(tmp_path, "new", {BUILDS_BENCH: [1.1e9, NAN, NAN]}, **kw)
    merged = merge_result_file(old, new)
    assert merged["results"][BUILDS_BENCH] == new["results"][BUILDS_BENCH]


# --- one bisect for several benchmarks: the CLI with asv replaced by a table of values --------


@pytest.fixture()
def fake_asv(repo: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Each benchmark's value per commit of ``main~4..main``; the ends are stored (the nightly
    measured them), any other commit gets every value by one fake asv run, counted in "runs"."""
    from tools.bisect import probe

    shas = [c.sha for c in first_parent_range(repo, "main~4", "main")]
    state = {
        "values": {
            "full": [1e9, 1e9, 1.02e9, 1.02e9, 1.02e9],  # step at 2 (code)
            "noop": [5e8, 5e8, 5e8, 5e8, 5.5e8],  # step at 4 (dependencies)
        },
        "measured": {shas[0], shas[-1]},
        "runs": [],
        "env": [],
        "shas": shas,
    }

    def stored(self, sha: str, target) -> float | None:
        if sha not in state["measured"]:
            return None
        return state["values"][target.name][shas.index(sha)]

    def run(self, sha: str, label: str) -> probe.Run:
        state["runs"].append(sha)
        state["env"].append((self.probe_env, self.bench_regex))
        state["measured"].add(sha)
        self.runs[sha] = probe.Run(60.0, "", Path("log"))
        return self.runs[sha]

    monkeypatch.setattr(probe.Prober, "stored", stored)
    monkeypatch.setattr(probe.Prober, "_run", run)
    return state


def _bisect(repo: Path, out: Path, *extra: str) -> int:
    from tools.bisect import cli

    return cli.main(
        ["--repo", str(repo), "--good", "main~4", "--bad", "main", "--profile", "smoke",
         "--results-dir", str(out / "results"), "--out", str(out), "--no-call-diff", *extra]
    )  # fmt: skip


def test_several_benchmarks_of_one_range_are_one_bisect(
    repo: Path, tmp_path: Path, fake_asv: dict
) -> None:
    assert _bisect(repo, tmp_path, "--benchmark", "full,noop") == 0
    shas = fake_asv["shas"]
    assert fake_asv["runs"] == [shas[3], shas[2]]  # full's search; noop's reuses both runs
    probe_env, regex = fake_asv["env"][0]
    assert probe_env == "full,noop"  # one asv run takes both numbers from the same builds
    assert regex == r"^(bench_instructions\.BuildInstructions\.track_build_instructions)(\(|$)"
    data = json.loads((tmp_path / "answer.json").read_text())
    full, noop = data["answers"]
    assert (full["target"], noop["target"]) == ("full", "noop")
    assert [s["culprit"] for s in full["steps"]] == [shas[2]]
    assert [s["culprit"] for s in noop["steps"]] == [shas[4]]
    assert data["asv_runs"] == 2 and data["probe_seconds"] == 120.0
    assert full["asv_runs"] == 2 and noop["asv_runs"] == 0
    text = (tmp_path / "answer.md").read_text()
    assert text.startswith(f"One bisect of `{shas[0][:8]}` → `{shas[4][:8]}` for `full`, `noop`")
    assert text.count("## Bisect of `") == 2
    # the answer a notify job posts: re-rendered, for exactly the benchmarks asked
    md = tmp_path / "posted.md"
    argv = [str(tmp_path / "answer.json"), "--repo", str(repo), "--out", str(md)]
    assert render.main([*argv, "--benchmark", "full,noop"]) == 0
    assert md.read_text() == text
    assert render.main([*argv, "--benchmark", "full"]) == 2  # an answer nobody asked for


def test_a_run_that_gives_no_value_is_not_repeated_for_the_next_benchmark(
    repo: Path, tmp_path: Path, fake_asv: dict
) -> None:
    shas = fake_asv["shas"]
    fake_asv["values"]["one_page"] = fake_asv["values"]["noop"]
    fake_asv["values"]["full"] = [1e9, 1e9, 1e9, 1e9, 1.02e9]
    stored = fake_asv["measured"]
    fake_asv["measured"] = _NotAfterRun(stored, shas[3])  # commit 3's run records nothing
    assert _bisect(repo, tmp_path, "--benchmark", "full,one_page") == 0
    assert fake_asv["runs"] == [shas[3], shas[2]]
    full, one_page = json.loads((tmp_path / "answer.json").read_text())["answers"]
    assert set(full["skipped"]) == set(one_page["skipped"]) == {shas[3]}
    assert [s["culprit"] for s in one_page["steps"]] == [None]  # 3 or 4: 3 could not be measured
    assert [x["sha"] for x in one_page["steps"][0]["suspects"]] == shas[3:]


class _NotAfterRun(set):
    """The measured commits, except one whose run stores nothing (it failed)."""

    def __init__(self, items, failing: str) -> None:
        super().__init__(items)
        self.failing = failing

    def add(self, sha: str) -> None:
        if sha != self.failing:
            super().add(sha)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["answers"].append(d["answers"][0]),  # one benchmark twice
        lambda d: d["answers"].clear(),  # no answer
        lambda d: d.update(answers={"full": 1}),  # not a list
    ],
    ids=["twice", "none", "not-a-list"],
)
def test_render_refuses_a_forged_list_of_answers(repo: Path, tmp_path: Path, tamper) -> None:
    data = {"answers": [_answer(repo)]}
    tamper(data)
    (tmp_path / "a.json").write_text(json.dumps(data))
    argv = [str(tmp_path / "a.json"), "--repo", str(repo), "--out", str(tmp_path / "a.md")]
    assert render.main(argv) == 2 and not (tmp_path / "a.md").exists()


def test_a_probe_takes_the_set_of_numbers_its_bisect_needs() -> None:
    from benchmarks.families.instructions import probed_builds

    assert probed_builds("full,noop,one_page") == (["full", "noop", "one_page"], False)
    assert probed_builds("noop,startup") == (["full", "noop"], True)  # noop needs the full build
    assert probed_builds("startup") == ([], True)
    assert probed_builds("") == (["full", "noop", "one_page"], True)  # the nightly: everything
    with pytest.raises(ValueError, match="x not one of"):
        probed_builds("full,x")


def test_the_answer_names_quiet_sub_ranges_that_could_hide_a_pair(repo: Path, tmp_path) -> None:
    commits = first_parent_range(repo, "main~4", "main")  # probe-able: -, no, yes, yes, yes
    values = [1e9, 1e9, 1.02e9, 1e9, 1e9]  # up at 2, down at 3: the ends agree
    outcome, asked = run(values, [c.probeable for c in commits])
    assert asked == [0, 4] and not outcome.steps
    probes = [Probe(commits[i].sha, values[i], "", 60.0, False) for i in (0, 4)]
    answer = Answer(
        "bench_instructions.BuildInstructions.track_build_instructions('nested-2', 'full')",
        "full", "smoke", "local-smoke", 0.01, False, commits, outcome, probes,
    )  # fmt: skip
    (quiet,) = answer.to_json()["quiet"]
    assert quiet["unprobed_changes"] == 2 and quiet["may_hide_pair"] is True
    line = f"`{commits[0].short}`..`{commits[4].short}` (2 unprobed change(s))"
    assert line in answer.markdown() and "`--thorough N`" in answer.markdown()
    (tmp_path / "a.json").write_text(json.dumps({"answers": [answer.to_json()]}))
    out = tmp_path / "a.md"
    assert render.main([str(tmp_path / "a.json"), "--repo", str(repo), "--out", str(out)]) == 0
    assert line in out.read_text()
    outcome, _ = run(values, [c.probeable for c in commits], thorough=4)
    assert [s.suspects for s in outcome.steps] == [(2,), (3,)]
    answer.outcome = outcome
    assert "No quiet sub-range holds an unprobed change" in answer.markdown()


def test_requests_of_one_range_and_tier_are_one_bisect_of_every_benchmark() -> None:
    build = "bench_instructions.BuildInstructions.track_build_instructions('nested-50', '{}')"
    exact = "graphs/machine-gha-ubuntu-x64-exact/python-3.14/x.json"
    scale = "graphs/machine-gha-ubuntu-x64-nightly/python-3.14/x.json"  # the scale tier
    good, bad, later = "a" * 40, "b" * 40, "c" * 40
    jumps = [
        Jump(build.format("one_page"), exact, bad, good, 1.0, 1.1),
        Jump(build.format("full"), exact, bad, good, 1.0, 1.1),
        Jump(build.format("noop"), exact, bad, good, 1.0, 1.1),
        Jump(build.format("full"), exact.replace("3.14", "3.14t"), bad, good, 1.0, 1.1),
        Jump(build.format("full"), scale, bad, good, 1.0, 1.1),  # another tier: its own bisect
        Jump(build.format("noop"), exact, later, bad, 1.0, 1.1),  # another range
    ]
    assert requests(jumps, 3) == [
        (good, bad, "full,noop,one_page", "exact"),
        (good, bad, "full", "scale"),
        (bad, later, "noop", "exact"),
    ]
    assert requests(jumps, 1) == [(good, bad, "full,noop,one_page", "exact")]  # --max: ranges


def test_requests_cli_writes_the_file_and_a_job_output(tmp_path: Path, monkeypatch) -> None:
    from tools.ci import bisect_requests as cli

    build = "bench_instructions.BuildInstructions.track_build_instructions('nested-50', '{}')"
    graph = "graphs/machine-gha-ubuntu-x64-exact/python-3.14/x.json"
    site = tmp_path / "new"
    site.mkdir()
    (site / "index.json").write_text(
        json.dumps({"revision_to_hash": {"1": "a" * 40, "2": "b" * 40}})
    )
    entries = [[build.format(b), graph, None, 0, 1.1, 1.0, [[1, 2, 1.0, 1.1]]] for b in BUILDS]
    (site / "regressions.json").write_text(json.dumps({"regressions": entries}))
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    argv = [str(tmp_path / "old"), str(site), "--out", str(tmp_path / "b.txt"), "--github-output"]
    assert cli.main(argv) == 0
    line = f"{'a' * 40} {'b' * 40} full,noop,one_page exact\n"
    assert (tmp_path / "b.txt").read_text() == line
    key, value = output.read_text().rstrip("\n").split("=", 1)
    assert key == "bisects" and json.loads(value) == [
        {"good": "a" * 40, "bad": "b" * 40, "benchmark": "full,noop,one_page", "tier": "exact"}
    ]
