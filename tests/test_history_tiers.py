"""Parts, tiers and a store that trusts nothing: the history keeps up and loses nothing.

Real asv 0.6.6 on a throwaway project (tests/tiny_asv.py, seconds per run), the part loop
(tools.ci.bench_commits) and the store (tools.ci.store_results) pushing to a bare repository that
stands in for GitHub. The nightly's plan and its ledger: tests/test_ledger.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import scope
from catalogue import tiers
from scope import environment, machine
from tests import tiny_asv
from tests.test_results_history import branch_files, running, store, write_plan
from tests.tiny_asv import ROOT, Tiny
from tools.ci import bench_commits, comment_body, commits, plan

GHA = "gha-" + environment.declared().key  # scope.machine's gha preset

PART_LIMIT = 30  # s: room for asv to start and reach the benchmark on a loaded machine


@pytest.fixture()
def tiny(tmp_path, monkeypatch) -> Tiny:
    t = tiny_asv.make(tmp_path, n_commits=2)
    monkeypatch.setenv("HOME", str(t.home))  # asv's ~/.asv-machine.json
    for var in ("TINY_SLEEP", "TINY_FAIL", "TINY_PIDFILE", scope.TIER_ENV):
        monkeypatch.delenv(var, raising=False)
    return t


def register(tiny: Tiny, tier: str, monkeypatch) -> str:
    """Record the gha identity of ``tier`` as the workflows do; returns the machine name."""
    monkeypatch.setenv("BENGAL_BENCH_PROFILE", tiers.tier(tier).profile)
    monkeypatch.setenv(scope.TIER_ENV, tier)
    ident = machine.identity("gha")
    machine.register(ident, tiny.conf(tiny.base / "scratch"))
    return ident["machine"]


def tiny_parts(limit: float) -> list[tiers.Part]:
    """The tiny suite in two parts, as catalogue.tiers cuts Bengal's."""
    return [
        tiers.Part("sized", (), int(limit), 1, owners=("bench_tiny.Sized",)),
        tiers.Part("slow", (), int(limit), 1, owners=("bench_tiny.track_slow",)),
    ]


def run_parts(tiny: Tiny, run: Path, name: str, commits: list[str], **env: str) -> int:
    """tools.ci.bench_commits over the tiny parts, as a process of its own (as on a runner)."""
    hashfile = run / "hashes.txt"
    hashfile.parent.mkdir(parents=True, exist_ok=True)
    hashfile.write_text("".join(f"{c}\n" for c in commits))
    argv = [
        sys.executable, "-m", "tools.ci.bench_commits", "--hashes", str(hashfile),
        "--status", str(run / "status.json"), "--machine", name, "--commit-timeout", "120",
        "--deadline", "300", "--", *tiny.asv_run(run / "results", name),
    ]  # fmt: skip
    return tiny.run(argv, **env).returncode


def test_parts_have_their_own_limits_and_the_first_part_is_stored(tiny, monkeypatch) -> None:
    """Two parts of one commit through real asv; the second hangs and is killed at its limit:
    the first part's results reach the results branch, and the commit is not marked failed."""
    clone = tiny_asv.make_origin(tiny.base)
    origin = tiny.base / "origin.git"
    name = register(tiny, "exact", monkeypatch)
    assert name == f"{GHA}-exact"
    commit = tiny.commits[-1]
    run = tiny.base / "run"
    pidfile = tiny.base / "slow.pid"
    monkeypatch.setenv("TINY_SLEEP", "120")  # only track_slow sleeps
    monkeypatch.setenv("TINY_PIDFILE", str(pidfile))
    command = [*tiny.asv_run(run / "results", name), "--bench", "{bench}"]
    began = time.monotonic()
    status = bench_commits.run_commits(
        [commit], command, run / "status.json", name, 0.0, 300, grace=5,
        parts=tiny_parts(PART_LIMIT),
    )  # fmt: skip
    took = time.monotonic() - began
    states = [(e["part"], e["state"]) for e in status["commits"]]
    assert states == [("sized", "ok"), ("slow", "timeout")]
    slow = status["commits"][1]
    assert PART_LIMIT <= slow["seconds"] < PART_LIMIT + 15 and took < 2 * PART_LIMIT + 30
    assert pidfile.exists(), "the slow part never reached its benchmark"
    assert not running(int(pidfile.read_text()))  # stopped with its asv run

    plan = write_plan(tiny.base / "plan.json", {name: [commit]})
    stored = store(clone, run, plan=plan, suite=tiny.bench, label="night 1")
    assert stored.returncode == 0, stored.stdout + stored.stderr
    files = branch_files(origin)
    result_path = next(f for f in files if f.startswith(f"results/{name}/{commit[:8]}-"))
    result = json.loads(tiny_asv.git(origin, "show", f"results:{result_path}"))
    assert result["results"]["bench_tiny.Sized.track_size"][0] == [50]  # the pr profile's size
    assert "bench_tiny.track_slow" not in result["results"]  # the killed part saved nothing
    assert "ledger.json" not in files  # only a store with --ledger keeps it (tests/test_ledger.py)


def test_the_store_refuses_what_the_plan_did_not_select(tiny, monkeypatch) -> None:
    """Results of a commit outside the selection, of another machine and with an unknown
    benchmark name are each refused with one line; the rest is stored."""
    clone = tiny_asv.make_origin(tiny.base)
    origin = tiny.base / "origin.git"
    old, new = tiny.commits
    exact = register(tiny, "exact", monkeypatch)
    other = register(tiny, "scale", monkeypatch)
    runs = {
        "run-good": (exact, new),
        "run-outside": (exact, old),
        "run-other-machine": (other, new),
        "run-unknown-name": (exact, new),
    }
    for run, (name, commit) in runs.items():
        assert run_parts(tiny, tiny.base / run, name, [commit]) == 0
    tampered = next((tiny.base / "run-unknown-name" / "results" / exact).glob(f"{new[:8]}-*"))
    data = json.loads(tampered.read_text())
    data["results"]["bench_tiny.track_evil"] = data["results"]["bench_tiny.track_slow"]
    tampered.write_text(json.dumps(data))
    plan = write_plan(tiny.base / "plan.json", {exact: [new]})
    stored = store(clone, *(tiny.base / r for r in runs), plan=plan, suite=tiny.bench)
    assert stored.returncode == 0, stored.stdout + stored.stderr
    refused = [ln for ln in stored.stdout.splitlines() if "refused" in ln]
    outside = next((tiny.base / "run-outside" / "results" / exact).glob("*-*.json")).name
    assert refused == [
        f"run-outside: {exact}/{outside}: commit {old[:12]} was not selected: refused",
        f"run-outside: status.json: commit {old[:12]} was not selected: refused",
        f"run-other-machine: machine {other} is not a planned one: refused 1 file(s)",
        f"run-other-machine: status.json of machine '{other}', not a planned one: refused",
        f"run-unknown-name: {exact}/{tampered.name}: unknown benchmark(s) bench_tiny.track_evil:"
        " refused",
    ], stored.stdout
    files = branch_files(origin)
    assert [f for f in files if f.startswith("results/") and f.endswith(".json")] == sorted(
        [
            "results/benchmarks.json",
            f"results/{exact}/machine.json",
            next(f for f in files if f.startswith(f"results/{exact}/{new[:8]}-")),
        ]
    )
    assert not any(old[:8] in f or other in f for f in files), files


def test_every_benchmark_of_the_suite_is_in_one_part_of_the_scale_tier() -> None:
    """asv's --bench matches ``name`` or ``name(params)``: each suite benchmark is run by
    exactly one scale part, and the exact tier runs the counters and nothing timed."""
    names = comment_body.allowed_benchmarks()
    assert len(names) > 40

    def parts_of(tier: str, name: str) -> list[str]:
        return [p.name for p in tiers.TIERS[tier].parts if re.search(p.regex, name)]

    assert {n: parts_of("scale", n) for n in names if len(parts_of("scale", n)) != 1} == {}
    exact = sorted(n for n in names if parts_of("exact", n))
    assert {n.split(".")[0] for n in exact} == {
        "bench_instructions",
        "bench_correctness",
        "bench_config",
    }
    assert not any(n.split(".")[-1].startswith(("time_", "peakmem_")) for n in exact)
    assert re.search(tiers.TIERS["scale"].part("timed").regex, "bench_full.FullBuild(nested-1000)")
    for tier in tiers.TIERS.values():
        for part in tier.parts:
            assert part.limit_s >= 2 * part.cost_s, (tier.name, part.name)


def test_a_tier_is_a_machine_name_and_nothing_else() -> None:
    """Same fields as every other series (asv makes each field a graph path segment)."""
    exact = machine.identity("gha", profile="pr", tier="exact")
    scale = machine.identity("gha", profile="nightly", tier="scale")
    plain = machine.identity("gha", profile="nightly", tier="")
    assert exact["machine"] == f"{GHA}-exact" and exact["profile"] == "pr"
    assert scale == plain  # the scale tier is the nightly series as it was
    assert set(exact) == set(plain)
    # the tier's parts at other sites (a rehearsal's smoke) never join the tier's own series
    other = machine.identity("gha", profile="smoke", tier="exact")
    assert other["machine"] == f"{GHA}-exact-smoke" and other["profile"] == "smoke"


def test_bad_parts_are_one_line(tmp_path) -> None:
    hashes = tmp_path / "hashes.txt"
    hashes.write_text("0" * 40 + "\n")
    common = ["--hashes", str(hashes), "--status", str(tmp_path / "s.json"), "--machine", "m",
              "--deadline", "9"]  # fmt: skip
    for extra, message in [
        (["--tier", "exact", "--", "x", "{commit}"], "put {bench} in the command"),
        (["--tier", "exact", "--part", "nope", "--", "x", "{commit}", "{bench}"], "no part 'nope'"),
        (["--tier", "fast", "--", "x", "{commit}", "{bench}"], "unknown tier 'fast'"),
        (["--", "x", "{commit}"], "give --tier, or --commit-timeout"),
    ]:
        proc = subprocess.run(
            [sys.executable, "-m", "tools.ci.bench_commits", *common, *extra],
            capture_output=True, text=True, cwd=ROOT, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert message in proc.stderr


def test_each_part_of_single_measurements_pays_for_one_setup_cache() -> None:
    """The scale tier's ``measured`` and ``edits`` parts each run one shared setup_cache, and not
    the other's (asv keys a setup_cache by its function: a part with two would pay for both); the
    exact tier's counters read the edits only."""
    import importlib

    def caches(part: tiers.Part) -> set[str]:
        found = set()
        for name in comment_body.allowed_benchmarks():
            if re.search(part.regex, name):
                module, cls = name.split(".")[:2]
                found.add(getattr(importlib.import_module(f"benchmarks.{module}"), cls)
                          .setup_cache.__name__)  # fmt: skip
        return found

    scale, exact = tiers.TIERS["scale"], tiers.TIERS["exact"]
    assert caches(scale.part("measured")) == {"measure_once"}
    assert caches(scale.part("edits")) == caches(exact.part("counters")) == {"measure_edits"}


def test_limits_are_per_python(tmp_path) -> None:
    """ASV_PYTHONS "3.14 3.14t": one asv run measures both, so the plan's limits and
    bench_commits' own are twice the part's, and every job still fits GitHub's six hours."""
    assert scope.python_count("3.14") == 1
    assert scope.python_count("3.14 3.14t") == scope.python_count("3.14,3.14t") == 2
    for bad in ("", "3.14 pypy", "3"):
        with pytest.raises(ValueError, match="expected versions like"):
            scope.python_count(bad)
    part = tiers.TIERS["scale"].part("measured")
    assert part.limit(2) == 2 * part.limit_s >= 4 * part.cost_s  # 3.14t assumed ~2x of 3.14
    hashes = tmp_path / "hashes.txt"
    hashes.write_text("0" * 40 + "\n")

    def bench(pythons: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tools.ci.bench_commits", "--hashes", str(hashes),
             "--status", str(tmp_path / "s.json"), "--machine", "m", "--tier", "exact",
             "--deadline", "99", "--pythons", pythons, "--",
             sys.executable, "-c", "pass", "{commit}", "{bench}"],
            capture_output=True, text=True, cwd=ROOT, timeout=60,
        )  # fmt: skip

    assert bench("3.14 3.14t").returncode == 0
    limits = json.loads((tmp_path / "s.json").read_text())["part_limits"]
    assert limits == {p.name: 2 * p.limit_s for p in tiers.TIERS["exact"].parts}
    bad = bench("3.14 cpython")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
    for tier in tiers.TIERS.values():  # (that each job fits: test_results_workflows)
        for task in plan.tasks(tier, ["0" * 40], pythons=2):
            limit = tier.part(str(task["part"])).limit_s
            assert task["deadline_s"] == 2 * limit + plan.DEADLINE_MARGIN_S
    too_long = plan.tasks(tiers.TIERS["exact"], ["0" * 40])[:1]
    too_long[0]["job_minutes"] = plan.GITHUB_JOB_LIMIT_MINUTES + 1
    with pytest.raises(commits.CommitsError, match="part exact/counts needs a 361-min job"):
        plan.write(tmp_path / "plan.json", too_long, gh_output=False)
