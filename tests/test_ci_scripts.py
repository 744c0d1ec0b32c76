"""The scripts behind the workflows, run for real: listing/sharding, one asv shard per commit of
a local Bengal history, merging shards into a tree asv publishes, new regressions, the results
branch and PR ref resolution. (The PR comment's logic: tests/test_comment.py.)"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from scope import machine
from tests import asv_session
from tools.ci import commits, merge_results, new_regressions

# The asv machine the shards ran on: the fixed name with the profile (scope.machine).
PROFILE = asv_session.env()["BENGAL_BENCH_PROFILE"]
MACHINE = machine.profile_machine(asv_session.MACHINE, PROFILE)


@pytest.fixture(scope="session")
def history() -> asv_session.History:
    return asv_session.history()


@pytest.fixture(scope="session")
def shards() -> asv_session.Shards:
    return asv_session.shards()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def make_repo(path: Path, n: int) -> list[str]:
    """A throwaway linear git history of ``n`` empty commits, oldest first."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    for i in range(n):
        subprocess.run(
            ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t",
             "commit", "-q", "--allow-empty", "-m", f"c{i}"],
            check=True,
        )  # fmt: skip
    return git(path, "rev-list", "--reverse", "main").split()


def test_split_deals_round_robin_and_covers_everything() -> None:
    items = [f"c{i}" for i in range(10)]
    parts = commits.split(items, 3)
    assert parts == [items[0::3], items[1::3], items[2::3]]
    assert sorted(c for part in parts for c in part) == sorted(items)
    assert commits.split(items[:2], 4) == [["c0"], ["c1"]]  # no empty shard files
    with pytest.raises(commits.CommitsError):
        commits.split(items, 0)


@pytest.mark.parametrize("n,budget", [(5, 12), (12, 12), (13, 12), (135, 12), (70, 2), (9, 1)])
def test_even_sample_is_bounded_spread_and_keeps_the_tip(n: int, budget: int) -> None:
    items = list(range(n))
    picked = commits.even_sample(items, budget)
    assert len(picked) == min(n, budget)
    assert picked[-1] == n - 1  # the tip, always
    assert picked == sorted(set(picked))
    if n > budget > 2:
        assert picked[0] == 0  # the oldest new commit anchors the graph
        gaps = [b - a for a, b in itertools.pairwise(picked)]
        assert max(gaps) - min(gaps[:-1] or gaps) <= 2  # evenly spread


def test_shard_cli_on_the_release_history(history, tmp_path) -> None:
    out = tmp_path / "shards"
    proc = subprocess.run(
        [sys.executable, "-m", "tools.ci.commits", "shard", "--repo", str(history.repo),
         "--range", "main", "--shards", "2", "--out-dir", str(out), "--github-output"],
        capture_output=True, text=True, cwd=asv_session.ROOT,
        env={**asv_session.env(), "GITHUB_OUTPUT": str(tmp_path / "gh_out")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (out / "shard-0.txt").read_text().split() == [history.shas["0.1.2"]]
    assert (out / "shard-1.txt").read_text().split() == [history.shas["0.5.1"]]
    assert "shards=[0, 1]" in (tmp_path / "gh_out").read_text()
    bad = subprocess.run(
        [sys.executable, "-m", "tools.ci.commits", "shard", "--repo", str(history.repo),
         "--range", "nonexistent..main", "--shards", "2", "--out-dir", str(out)],
        capture_output=True, text=True, cwd=asv_session.ROOT,
    )  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.startswith("error: git rev-list")


def test_each_shard_ran_one_commit_with_real_asv(shards, history) -> None:
    assert len(shards.runs) == 2
    for run, version in zip(shards.runs, asv_session.VERSIONS, strict=True):
        assert run.returncode == 0, run.log[-3000:]
        files = [p for p in (run.results / MACHINE).glob("*.json")
                 if p.name != "machine.json"]  # fmt: skip
        assert len(files) == 1, files
        data = json.loads(files[0].read_text())
        assert data["commit_hash"] == history.shas[version]
        (name,) = [k for k in data["results"] if "ImportTime" in k]
        (value,) = data["results"][name][0]  # column "result": one value per param combination
        assert isinstance(value, float) and 0.01 < value < 30, value  # seconds to import Bengal
        ident = json.loads((run.results / MACHINE / "machine.json").read_text())
        assert ident["machine"] == MACHINE and ident["profile"] == PROFILE and ident["arch"]
        assert data["params"]["profile"] == PROFILE  # in every result: merge_results checks it


def test_merged_shards_publish_with_both_commits(history) -> None:
    site = asv_session.merged_site()
    assert site.returncode == 0, site.publish_log[-3000:]
    index = json.loads((site.html / "index.json").read_text())
    assert set(index["revision_to_hash"].values()) == set(history.shas.values())
    graphs = list(
        (site.html / "graphs").rglob("bench_startup.ImportTime.timeraw_import_bengal.json")
    )
    series = [g for g in graphs if "summary" not in g.parts]
    assert series, graphs
    points = json.loads(series[0].read_text())
    assert len([p for p in points if p[1] is not None]) == 2


def test_merge_unites_benchmarks_of_the_same_commit(shards, tmp_path) -> None:
    src = shards.runs[0].results
    (result_file,) = [p for p in (src / MACHINE).glob("*.json")
                      if p.name != "machine.json"]  # fmt: skip
    original = json.loads(result_file.read_text())
    # a second tree that re-ran the same commit with another benchmark only
    other = tmp_path / "other"
    merge_results.merge_tree(src, other)
    rerun = json.loads(result_file.read_text())
    rerun["results"] = {"bench_x.other": rerun["results"][next(iter(rerun["results"]))]}
    (other / MACHINE / result_file.name).write_text(json.dumps(rerun))
    out = tmp_path / "out"
    merge_results.merge_tree(src, out)
    merge_results.merge_tree(other, out)
    merged = json.loads((out / MACHINE / result_file.name).read_text())
    assert set(merged["results"]) == set(original["results"]) | {"bench_x.other"}
    with pytest.raises(merge_results.MergeError):
        merge_results.merge_tree(tmp_path / "nope", out)


def test_new_regressions_between_two_published_sites(history) -> None:
    before = asv_session.first_shard_site()  # only v0.1.2: nothing to compare yet
    after = asv_session.merged_site()  # v0.1.2 → v0.5.1: import time more than doubled
    assert before.returncode == 0, before.publish_log[-2000:]
    assert new_regressions.load_site(before.html) == []
    found = new_regressions.new_jumps(
        new_regressions.load_site(before.html), new_regressions.load_site(after.html)
    )
    names = {j.benchmark for j in found}
    assert "bench_startup.ImportTime.timeraw_import_bengal" in names
    jump = next(j for j in found if "ImportTime" in j.benchmark)
    assert jump.after == history.shas["0.5.1"] and jump.after_value > jump.before_value
    # the bisect hook: the first new jump's benchmark and commits, the exact tier's first
    first = found[0]
    good = first.before or ""
    assert new_regressions.bisect_target(found) == {
        "benchmark": first.benchmark, "good": good, "bad": first.after
    }  # fmt: skip
    exact = new_regressions.Jump(
        "bench_instructions.StartupInstructions.track_startup_instructions",
        "graphs/branch-main/machine-gha-ubuntu-x64-exact/x", "b" * 40, "a" * 40, 1.0, 2.0,
    )  # fmt: skip
    assert new_regressions.bisect_target([*found, exact]) == {
        "benchmark": exact.benchmark, "good": "a" * 40, "bad": "b" * 40
    }  # fmt: skip
    assert new_regressions.bisect_target([]) == {"benchmark": "", "good": "", "bad": ""}
    # the same site against itself: nothing new
    assert new_regressions.new_jumps(found, found) == []
    proc = subprocess.run(
        [sys.executable, "-m", "tools.ci.new_regressions", str(after.html), str(after.html)],
        capture_output=True, text=True, cwd=asv_session.ROOT,
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stdout.startswith("0 new")
    assert "timeraw_import_bengal" in new_regressions.markdown(found)


def test_results_branch_checkout_and_push(tmp_path) -> None:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    clone = tmp_path / "clone"
    make_repo(clone, 1)
    git(clone, "remote", "add", "origin", str(origin))
    git(clone, "push", "-q", "origin", "main")
    script = asv_session.ROOT / "tools" / "ci" / "results_branch.sh"

    def sh(*args: str) -> None:
        proc = subprocess.run(["bash", str(script), *args], cwd=clone, capture_output=True,
                              text=True)  # fmt: skip
        assert proc.returncode == 0, proc.stderr

    sh("checkout", "rb")
    (clone / "rb" / "results" / "m").mkdir(parents=True)
    (clone / "rb" / "results" / "m" / "a.json").write_text("{}")
    sh("push", "rb", "first")
    git(clone, "worktree", "remove", "--force", "rb")
    sh("checkout", "rb2")
    assert (clone / "rb2" / "results" / "m" / "a.json").exists()
    assert git(origin, "log", "--format=%s", "results") == "first"
    assert "results/m/a.json" in git(origin, "ls-tree", "-r", "--name-only", "results")
    assert git(origin, "ls-tree", "-r", "--name-only", "main") == ""  # main untouched
    # an unreachable origin is an error, not "no results branch" (the history is not new)
    git(clone, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    proc = subprocess.run(["bash", str(script), "checkout", "rb3"], cwd=clone,
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 1 and "git ls-remote origin failed" in proc.stderr
    assert "starting an orphan" not in proc.stderr and not (clone / "rb3").exists()


def test_bengal_refs_resolves_base_head_and_pr(history, tmp_path) -> None:
    # a PR ref, as GitHub serves it, in a copy of the history
    upstream = tmp_path / "upstream.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(history.repo), str(upstream)], check=True)
    git(upstream, "update-ref", "refs/pull/7/head", history.shas["0.5.1"])
    git(upstream, "update-ref", "refs/heads/main", history.shas["0.1.2"])

    def refs(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tools.ci.bengal_refs", "--dest", str(tmp_path / "src"),
             "--url", str(upstream), *args],
            capture_output=True, text=True, cwd=asv_session.ROOT,
        )  # fmt: skip

    proc = refs("--pr", "7")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [f"base={history.shas['0.1.2']}", f"head={history.shas['0.5.1']}"]
    proc = refs("--base", "v0.5.1", "--head", "v0.1.2")
    assert proc.stdout.split() == [f"base={history.shas['0.5.1']}", f"head={history.shas['0.1.2']}"]
    assert refs("--pr", "7; rm -rf /").returncode == 2
    assert refs("--base", "v9.9.9", "--head", "main").returncode == 2
