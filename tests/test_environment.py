"""One environment per series: the declaration, the runner check, the series key, re-baselines,
and that nothing (merge, new regressions, bisect requests, bisect probes) crosses a series."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from asv import util
from asv.results import Results
from asv.runner import BenchmarkResult

from scope import environment, machine
from tests import tiny_asv
from tools.bisect import probe as probing
from tools.ci import bisect_requests, env_check, merge_results, new_regressions, plan
from tools.history import rebaseline
from tools.report import data as rd

ROOT = Path(__file__).resolve().parents[1]
EXACT = "gha-ubuntu2404-py3.14.10-vg3.22.0-r1-exact"
NEXT_PATCH = "image=ubuntu-24.04 python=3.14.11"  # a Python patch release later
BUILD = "bench_instructions.BuildInstructions.track_build_instructions"
SITE = "nested-50"


@pytest.fixture(autouse=True)
def _declared(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (environment.OVERRIDE_ENV, "ImageOS", "BENGAL_BENCH_TIER", "BENGAL_BENCH_MACHINE"):
        monkeypatch.delenv(var, raising=False)


def test_the_declaration_names_the_exact_environment() -> None:
    decl = environment.declared()
    assert (decl.image, decl.python, decl.python_ft) == ("ubuntu-24.04", "3.14.10", "3.14.10t")
    assert (decl.valgrind, decl.revision, decl.image_os) == ("3.22.0", 1, "ubuntu24")
    assert decl.key == "ubuntu2404-py3.14.10-vg3.22.0-r1"
    ident = machine.identity("gha", profile="pr", tier="exact")
    assert ident["machine"] == EXACT and ident["os"] == "ubuntu-24.04"
    assert {f: ident[f] for f in environment.FIELDS} == {
        "image": "ubuntu-24.04", "python_patch": "3.14.10", "valgrind": "3.22.0", "revision": "1",
    }  # fmt: skip
    assert "cpu_model" not in ident and ident["cpu"] == "github-hosted"  # not a graph segment


@pytest.mark.parametrize(
    "override",
    ["image=ubuntu-22.04", "python=3.14.11", "valgrind=3.22.1", "revision=2"],
)
def test_every_declared_element_changes_the_series_name(
    override: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(environment.OVERRIDE_ENV, override)
    name = machine.identity("gha", profile="pr", tier="exact")["machine"]
    assert name != EXACT and name.endswith("-exact")
    assert re.fullmatch(r"[A-Za-z0-9._-]+", name)
    assert override.split("=")[1].replace("ubuntu-22.04", "ubuntu2204") in name


@pytest.mark.parametrize("bad", ["python=3.14", "valgrind", "kernel=6.1", "revision=two"])
def test_a_bad_override_is_one_line_exit_2(bad: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.ci.env_check", "show"],
        capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, environment.OVERRIDE_ENV: bad},
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert environment.OVERRIDE_ENV in proc.stderr


def fake_runner(tmp: Path, pythons: dict[str, str], valgrind: str | None) -> Path:
    """A PATH holding stand-ins for python3.14[t] (printing version and build) and valgrind."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, version in pythons.items():
        ft = version.endswith("t")
        script = bin_dir / f"python{name}"
        script.write_text(f"#!/bin/sh\necho '{version.removesuffix('t')} {ft}'\n")
        script.chmod(0o755)
    if valgrind:
        (bin_dir / "valgrind").write_text(f"#!/bin/sh\necho valgrind-{valgrind}\n")
        (bin_dir / "valgrind").chmod(0o755)
    return bin_dir


@pytest.fixture
def check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path):
    """``python -m tools.ci.env_check check ARGS`` on a runner whose PATH is ``path`` and whose
    /etc/os-release names ``image`` (ID-VERSION_ID): (exit status, stdout, stderr)."""

    def run(path: Path, *args: str, image: str = "ubuntu-24.04", override: str = ""):
        os_release = tmp_path / "os-release"
        name, _, version = image.partition("-")
        os_release.write_text(f'NAME="x"\nID={name}\nVERSION_ID="{version}"\n')
        monkeypatch.setattr(environment, "OS_RELEASE", os_release)
        monkeypatch.setenv("PATH", str(path))
        monkeypatch.setenv("ImageOS", "ubuntu24")  # act sets it from runs-on: not trusted
        monkeypatch.setenv(environment.OVERRIDE_ENV, override)
        rc = env_check.main(["check", *args])
        out = capsys.readouterr()
        return rc, out.out, out.err

    return run


def test_the_check_passes_on_the_declared_runner_and_names_each_difference(tmp_path, check) -> None:
    good = fake_runner(tmp_path / "good", {"3.14": "3.14.10", "3.14t": "3.14.10t"}, "3.22.0")
    rc, out, err = check(good, "--pythons", "3.14 3.14t")
    assert rc == 0, err
    assert "ubuntu2404-py3.14.10-vg3.22.0-r1" in out
    cases = {
        "runner image is ubuntu22, declared ubuntu24 (ubuntu-24.04)": (
            good, {"image": "ubuntu-22.04"}
        ),
        "runner image is debian12, declared ubuntu24 (ubuntu-24.04)": (
            good, {"image": "debian-12"}  # although $ImageOS says ubuntu24
        ),
        "python3.14 is 3.14.11, declared 3.14.10": (
            fake_runner(tmp_path / "py", {"3.14": "3.14.11"}, "3.22.0"), {}
        ),
        "valgrind is not on PATH, declared 3.22.0": (
            fake_runner(tmp_path / "novg", {"3.14": "3.14.10"}, None), {}
        ),
        "valgrind is 3.19.0, declared 3.22.0": (
            fake_runner(tmp_path / "vg", {"3.14": "3.14.10"}, "3.19.0"), {}
        ),
    }  # fmt: skip
    for expected, (path, kw) in cases.items():
        rc, _, err = check(path, **kw)
        assert rc == 1, expected
        assert err.count("\n") == 1 and err.rstrip().endswith(expected), err
    # 3.14t asked for, but the interpreter is a GIL build: not the declared one
    gil = fake_runner(tmp_path / "gil", {"3.14": "3.14.10", "3.14t": "3.14.10"}, "3.22.0")
    rc, _, err = check(gil, "--pythons", "3.14 3.14t")
    assert rc == 1 and "python3.14t is 3.14.10, declared 3.14.10t" in err


def test_a_rehearsal_declares_its_own_environment_and_passes(tmp_path, check) -> None:
    """This machine (Debian 12, valgrind 3.19) passes with the override, and its series says so."""
    debian = fake_runner(tmp_path, {"3.14": "3.14.10"}, "3.19.0")
    override = "image=debian-12 valgrind=3.19.0"
    rc, out, err = check(debian, image="debian-12", override=override)
    assert rc == 0, err
    assert "debian12-py3.14.10-vg3.19.0-r1" in out
    rc, _, err = check(debian, image="debian-12")  # without it: both differences, one line
    assert rc == 1 and "runner image is debian12" in err and "valgrind is 3.19.0" in err


def test_cpu_models_are_stamped_per_benchmark_and_united_by_merge(tmp_path) -> None:
    mdir = tmp_path / "m"
    mdir.mkdir()
    old, new = mdir / "aaaaaaaa-old.json", mdir / "aaaaaaaa-new.json"
    old.write_text(json.dumps({"results": {"a": [1]}}))
    os.utime(old, (1000, 1000))
    new.write_text(json.dumps({"results": {"a": [1], "b": [2]}, "cpu_model": {"a": "EPYC"}}))
    (mdir / "machine.json").write_text("{}")
    assert environment.stamp_cpu(mdir, since=2000, cpu="Xeon") == 1
    assert "cpu_model" not in json.loads(old.read_text())
    assert json.loads(new.read_text())["cpu_model"] == {"a": "EPYC", "b": "Xeon"}
    base = {"commit_hash": "c", "env_name": "e", "params": {}, "result_columns": ["result"]}
    merged = merge_results.merge_result_file(
        {**base, "results": {"a": [1]}, "cpu_model": {"a": "EPYC"}},
        {**base, "results": {"b": [2]}, "cpu_model": {"b": "Xeon"}},
    )
    assert merged["cpu_model"] == {"a": "EPYC", "b": "Xeon"}
    assert merged["results"] == {"a": [1], "b": [2]}


# -- asv results of real shape, in two environments ---------------------------------------------


def ident_of(override: str = "", tier: str = "exact") -> dict[str, str]:
    env = {environment.OVERRIDE_ENV: override} if override else {}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        profile = "pr" if tier == "exact" else "nightly"
        return machine.identity("gha", profile=profile, tier=tier)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


BENCH = {
    BUILD: {"name": BUILD, "params": [[f"'{SITE}'"], ["'full'"]], "unit": "instructions",
            "param_names": ["site", "build"], "version": "1", "type": "track"},
}  # fmt: skip


def write_results(
    results: Path,
    ident: dict[str, str],
    values: dict[str, float | None],
    dates: dict[str, int],
    python: str = "3.14",
) -> None:
    """One asv result file per commit (asv's own writer), the machine's machine.json."""
    util.write_json(str(results / "benchmarks.json"), BENCH, api_version=2)
    name = ident["machine"]
    (results / name).mkdir(parents=True, exist_ok=True)
    util.write_json(str(results / name / "machine.json"), {**ident, "version": 1}, api_version=1)
    for sha, value in values.items():
        params = {**ident, "python": python}
        r = Results(params, {}, sha, dates[sha], python, f"virtualenv-py{python}", {})
        r.add_result(BENCH[BUILD], BenchmarkResult([value], [None], [None], 0, "", None))
        r.save(str(results))


@pytest.fixture
def project(tmp_path: Path) -> tiny_asv.Tiny:
    return tiny_asv.make(tmp_path / "tiny", n_commits=8)


def dates_of(tiny: tiny_asv.Tiny) -> dict[str, int]:
    return {sha: 1_700_000_000_000 + i * 60_000 for i, sha in enumerate(tiny.commits)}


def test_the_previous_series_and_its_last_commit_until_the_new_one_has_it(project, capsys) -> None:
    results, c, dates = project.base / "results", project.commits, dates_of(project)
    old, new = ident_of(), ident_of(NEXT_PATCH)
    assert rebaseline.previous_series(results, "exact", new["machine"]) is None
    write_results(results, old, {s: 100.0 for s in c[:4]} | {c[4]: None}, dates)  # c4 failed
    write_results(results, ident_of(tier="scale"), {c[6]: 1.0}, dates)  # another tier
    local = {**old, "machine": "local-pr"}
    write_results(results, local, {c[7]: 1.0}, dates)  # not a CI series
    assert rebaseline.previous_series(results, "exact", new["machine"]) == old["machine"]
    assert rebaseline.rebaseline_commit(results, "exact", new["machine"]) == c[3]
    assert rebaseline.rebaseline_commit(results, "exact", old["machine"]) is None  # no other
    write_results(results, new, {c[5]: 110.0}, dates)
    assert rebaseline.rebaseline_commit(results, "exact", new["machine"]) == c[3]  # still due
    write_results(results, new, {c[3]: 110.0}, dates)
    assert rebaseline.rebaseline_commit(results, "exact", new["machine"]) is None
    (entry,) = rebaseline.rebaselines(results)
    assert entry["from"] == old["machine"] and entry["to"] == new["machine"]
    assert entry["commit"] == c[3] and entry["remeasured"] is True
    assert entry["changed"] == {"python_patch": ["3.14.10", "3.14.11"]}
    assert "python_patch 3.14.10 → 3.14.11" in rebaseline.describe(entry)
    # counts per CPU model, as the nightly's summary shows them
    environment.stamp_cpu(results / new["machine"], since=0, cpu="AMD EPYC 7763")
    assert entry["cpu_models"] == {}
    assert rebaseline.rebaselines(results)[0]["cpu_models"] == {"AMD EPYC 7763": 2}
    environment.stamp_cpu(results / old["machine"], since=0, cpu="[x](https://evil)")
    assert rebaseline.series(results, "exact")[0].cpus == {"(not a CPU model name)": 4}
    assert rebaseline.main([str(results)]) == 0
    out = capsys.readouterr().out
    assert f"- `{new['machine']}`: 2 commit(s); benchmarks per CPU model: AMD EPYC 7763: 2" in out
    assert f"- {rebaseline.describe(entry)}" in out


def test_the_nightly_plan_re_measures_the_last_commit_of_the_previous_series(
    project, monkeypatch
) -> None:
    results, c, dates = project.base / "results", project.commits, dates_of(project)
    write_results(results, ident_of(), {s: 100.0 for s in c[:5]}, dates)
    out = project.base / "plan.json"
    argv = ["nightly", "--repo", str(project.project), "--results", str(results),
            "--exact-cap", "16", "--scale-budget", "1", "--out", str(out)]  # fmt: skip
    monkeypatch.setenv(environment.OVERRIDE_ENV, NEXT_PATCH)
    assert plan.main(argv) == 0
    monkeypatch.delenv(environment.OVERRIDE_ENV)
    exact = [t["commit"] for t in plan.load(out) if t["tier"] == "exact"]
    # the new series: the commits after the previous series' last (not the whole history), then
    # that last commit again, once per part
    assert list(dict.fromkeys(exact)) == [c[7], c[6], c[5], c[4]]
    assert {t["machine"] for t in plan.load(out) if t["tier"] == "exact"} == {
        ident_of(NEXT_PATCH)["machine"]
    }


def publish(tiny: tiny_asv.Tiny, results: Path, html: Path) -> list[new_regressions.Jump]:
    conf = tiny.conf(results, html)
    proc = tiny.run([sys.executable, "-m", "asv", "publish", "--config", str(conf)])
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return new_regressions.load_site(html)


def test_a_python_patch_change_mid_series_is_a_re_baseline_not_a_regression(project) -> None:
    """The counts move 10% with the new Python patch: in one series that is a regression and a
    bisect; across the re-baseline it is neither, and the graphs carry a re-baseline tag."""
    c, dates, base = project.commits, dates_of(project), project.base
    old, new = ident_of(), ident_of(NEXT_PATCH)
    before: list[new_regressions.Jump] = []  # the site before: four equal values, no step
    # what the new environment measured: the re-baseline commit c3 and new commits (c4 not yet)
    moved = {s: 1.1e9 for s in (c[3], *c[5:])}
    split = base / "split"
    write_results(split, old, {s: 1e9 for s in c[:4]}, dates)
    write_results(split, new, moved, dates)
    after = base / "site-after"
    jumps = new_regressions.new_jumps(before, publish(project, split, after))
    assert jumps == []
    assert bisect_requests.requests(jumps, 3) == []
    entries = rebaseline.rebaselines(split)
    assert rebaseline.mark_site(after, entries) == 1
    tags = json.loads((after / "index.json").read_text())["tags"]
    revision = {sha: int(r) for r, sha in json.loads((after / "index.json").read_text())[
        "revision_to_hash"].items()}  # fmt: skip
    assert tags == {"re-baseline exact (python_patch)": revision[c[3]]}
    assert json.loads((after / "rebaselines.json").read_text()) == entries
    assert "python_patch 3.14.10 → 3.14.11" in (after / "rebaselines.html").read_text()
    assert "1 re-baseline(s)" in (after / "index.html").read_text()
    assert rebaseline.mark_site(after, entries) == 1  # again: the line is not added twice
    assert (after / "index.html").read_text().count(rebaseline.BANNER) == 1
    # the control: the same numbers in one series are a regression, and a bisect
    mixed = base / "mixed"
    write_results(mixed, old, {s: 1e9 for s in c[:4]} | {s: 1.1e9 for s in c[5:]}, dates)
    control = new_regressions.new_jumps(before, publish(project, mixed, base / "site-mixed"))
    assert [(j.before, j.after) for j in control] == [(c[3], c[5])]
    assert bisect_requests.requests(control, 3) == [(c[3], c[5], "full", "exact")]


def test_the_bisect_reuses_only_its_own_series_and_python(project, tmp_path) -> None:
    """A stored end of another environment, or of 3.14t, is not reused: it is measured again."""
    c, dates = project.commits, dates_of(project)
    stored = tmp_path / "stored"
    target = probing.targets()["full"]
    prober = probing.Prober(
        project.project, [target], "pr", tmp_path / "run", tmp_path / "work", "gha",
        tier="exact", stored_dir=stored,
    )  # fmt: skip
    assert prober.machine == EXACT and prober.name(target) == f"{BUILD}('{SITE}', 'full')"
    write_results(stored, ident_of(NEXT_PATCH), {c[0]: 5.0}, dates)  # another environment
    write_results(stored, ident_of(), {c[1]: 7.0}, dates, python="3.14t")  # another python
    write_results(stored, ident_of(), {c[2]: 9.0}, dates)
    assert prober.stored(c[0], target) is None
    assert prober.stored(c[1], target) is None
    assert prober.stored(c[2], target) == 9.0
    # both pythons of one commit stay two files, read apart
    write_results(stored, ident_of(), {c[1]: 8.0}, dates)
    merged = tmp_path / "merged"
    merge_results.merge_trees(merged, [stored])
    files = sorted(p.name for p in (merged / EXACT).glob(f"{c[1][:8]}-*.json"))
    assert files == [f"{c[1][:8]}-virtualenv-py3.14.json", f"{c[1][:8]}-virtualenv-py3.14t.json"]
    for python, value in (("3.14", 8.0), ("3.14t", 7.0)):
        rs = rd.load(merged, machine=EXACT, python=python)
        commit = next(x for x in rs.commits if x.sha == c[1])
        assert commit.measurements[prober.name(target)].value == value


def test_merge_refuses_another_environment_in_one_machine_directory(tmp_path) -> None:
    ident = ident_of()
    write_results(tmp_path / "a", ident, {"a" * 40: 1.0}, {"a" * 40: 1})
    other = {**ident, "valgrind": "3.22.1"}  # same name, another valgrind: a forged machine.json
    write_results(tmp_path / "b", other, {"b" * 40: 1.0}, {"b" * 40: 2})
    with pytest.raises(merge_results.MergeError, match=r"valgrind 3\.22\.1 into machine"):
        merge_results.merge_trees(tmp_path / "out", [tmp_path / "a", tmp_path / "b"])
    assert not (tmp_path / "out").exists()  # all or nothing


def test_bench_jobs_check_the_runner_before_measuring() -> None:
    """The check runs before the first Bengal measurement, with the part's own valgrind need, and
    every workflow that names a series reads the same declaration (and its rehearsal override)."""
    import yaml

    workflows = ROOT / ".github" / "workflows"

    def steps(name: str, job: str) -> list[str]:
        data = yaml.safe_load((workflows / f"{name}.yml").read_text())
        assert "BENGAL_BENCH_ENV_OVERRIDE" in data["env"], name
        return [str(s.get("run", "")) for s in data["jobs"][job]["steps"]]

    for name, job, measure in (
        ("nightly", "bench", "tools.ci.bench_commits"),
        ("backfill", "bench", "tools.ci.bench_commits"),
        ("bisect", "bisect", "python -m tools.bisect "),
    ):
        runs = steps(name, job)
        check_at = next(i for i, r in enumerate(runs) if "tools.ci.env_check check" in r)
        assert check_at < next(i for i, r in enumerate(runs) if measure in r), name
        if job == "bench":
            assert '--tier "$TIER" --part "$PART"' in runs[check_at]
    compare = yaml.safe_load((workflows / "compare.yml").read_text())
    assert compare["jobs"]["compare"]["env"]["MACHINE"] == (
        "${{ needs.trusted-inputs.outputs.machine }}"
    )
    assert "scope.machine --preset gha --name" in "".join(
        str(s.get("run", "")) for s in compare["jobs"]["trusted-inputs"]["steps"]
    )
    assert "BENGAL_BENCH_ENV_OVERRIDE" in compare["env"]


def test_a_part_without_instruction_counts_does_not_need_valgrind(tmp_path, check) -> None:
    no_vg = fake_runner(tmp_path, {"3.14": "3.14.10"}, None)
    assert check(no_vg, "--tier", "exact", "--part", "counters")[0] == 0
    rc, _, err = check(no_vg, "--tier", "exact", "--part", "counts")
    assert rc == 1 and "valgrind is not on PATH" in err
    rc, _, err = check(no_vg, "--tier", "exact", "--part", "nope")
    assert rc == 2 and err.count("\n") == 1


def test_a_field_new_machines_record_does_not_renew_old_regressions() -> None:
    """asv gives the older series' graphs an ``image-null`` segment once newer machines record
    ``image``: the same step of the same series is not a new regression."""
    step = ("a" * 40, "b" * 40, 1.0, 2.0)
    old = new_regressions.Jump(BUILD, "graphs/machine-gha-x-exact/python-3.14/x.json", *step)
    moved = new_regressions.Jump(
        BUILD, "graphs/image-null/machine-gha-x-exact/python-3.14/x.json", *step
    )
    other = new_regressions.Jump(BUILD, "graphs/image-u/machine-gha-y-exact/x.json", *step)
    assert new_regressions.new_jumps([old], [moved, other]) == [other]


def test_no_bisect_of_a_python_the_bisect_does_not_probe() -> None:
    step = ("b" * 40, "a" * 40, 1.0, 2.0)
    name = f"{BUILD}('{SITE}', 'full')"
    graph = "graphs/branch-main/machine-gha-x-exact/python-{}/x.json"
    gil = new_regressions.Jump(name, graph.format("3.14"), *step)
    ft = new_regressions.Jump(name, graph.format("3.14t"), *step)
    assert bisect_requests.requests([ft, gil], 3) == [("a" * 40, "b" * 40, "full", "exact")]
