"""The driver against real Bengal releases (0.1.2 and 0.5.1), in their own virtualenvs.

Each build runs ``python -m driver build`` inside the Bengal env; sites come from scenario_gen
and are edited here with its Mutator. Assertions are about behaviour every era must show
(validated output, incremental doing less work than full), never about a release's specifics.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import driver
from scenario_gen import Mutator, Scenario, working_copy
from tests import system_packages

REPO = Path(__file__).resolve().parents[1]
DEFAULT_VERSIONS = ("0.1.2", "0.5.1")
TINY = Scenario(kind="nested", pages=6, seed=0)


def run_driver(python: Path, *args: str, check: bool = True) -> dict:
    """``<env python> -m driver ... --json`` → its JSON (a failed validation has ok=False)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [str(python), "-m", "driver", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert proc.stdout.strip(), f"driver printed nothing (rc={proc.returncode}): {proc.stderr}"
    out = json.loads(proc.stdout)
    if check and "ok" in out:
        assert out["ok"], f"{args}: {out['error']}\n{out.get('log', '')[-3000:]}"
    return out


def build(python: Path, root: Path, mode: str, via: str, **kw: str) -> dict:
    extra = [f"--{k.replace('_', '-')}={v}" for k, v in kw.items()]
    return run_driver(python, "build", str(root), "--mode", mode, "--via", via, *extra)


def test_probe_tells_the_releases_apart(bengal_env) -> None:
    caps = [run_driver(bengal_env(v), "probe") for v in DEFAULT_VERSIONS]
    for c in caps:
        assert c["api"] in ("kwargs", "options")
        assert c["cli_source"] in ("positional", "option")
        assert Path(c["cli"]).exists()
    assert caps[0]["api"] != caps[1]["api"]
    assert caps[0]["cli_source"] != caps[1]["cli_source"]


@pytest.mark.parametrize("version", DEFAULT_VERSIONS)
@pytest.mark.parametrize("via", ["api", "cli"])
def test_full_noop_page_css_config(bengal_env, tmp_path: Path, version: str, via: str) -> None:
    python = bengal_env(version)
    root = working_copy(TINY, tmp_path / "site")
    full = build(python, root, "full", via)
    assert full["full_rebuild"] and full["html_written"] == full["html_total"] > 0

    noop = build(python, root, "incremental", via)
    assert noop["files_written"] < full["files_written"]
    assert not noop["full_rebuild"]

    mut = Mutator(root)
    page = mut.edit_page()
    one = run_driver(python, "build", str(root), "--mode", "incremental", "--via", via)
    assert one["ok"] and not one["full_rebuild"]
    assert one["html_written"] < full["html_written"]
    for rel in page.rebuilt_outputs:  # the edit is visible
        assert page.token in (root / "public" / rel).read_text()

    mut.edit_asset()
    css = build(python, root, "incremental", via)
    assert css["files_written"] > 0

    mut.change_config()
    config = build(python, root, "incremental", via)
    assert config["full_rebuild"], "a config change must rebuild every page"


def test_change_check_in_process(bengal_env, tmp_path: Path) -> None:
    """verify(change=) passes for a real edit and names a page the build did not rewrite."""
    python = bengal_env(DEFAULT_VERSIONS[0])
    root = working_copy(TINY, tmp_path / "site")
    script = f"""
import driver, scenario_gen
root = {str(root)!r}
driver.build(root, mode="full", via="api")
change = scenario_gen.Mutator(root).edit_page()
driver.build(root, mode="incremental", via="api", change=change)
b = driver.Build(root, mode="incremental", via="api")   # nothing changed since
b.run()
try:
    b.verify(change=change)
except driver.BuildFailed as exc:
    print("FAILED:", exc)
"""
    proc = subprocess.run(
        [str(python), "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "FAILED:" in proc.stdout and "not rewritten" in proc.stdout, proc.stdout


STALE_OUTPUTS = """
import json, pathlib, driver, scenario_gen
root = pathlib.Path({root!r})
out = {{}}
driver.build(root, mode="full", via="api")
css = scenario_gen.Mutator(root).edit_asset()
build = driver.Build(root, mode="incremental", via="api")
build.run()
try:
    build.verify(change=css)
except driver.BuildFailed as exc:
    out["css_verify"] = str(exc)
out["css_clean"] = driver.compare_with_clean_build(root, "api", css).missed_edit
mutator = scenario_gen.Mutator(root)
victim = [p for p in mutator.regular_pages() if p.get("deletable")][-1]  # delete_page's
section = mutator._section_index(victim["source"])["output"]
out["listed_before"] = victim["title"] in (driver.compat.output_dir(root) / section).read_text()
gone = mutator.delete_page()
out["section"], out["victim"] = section, gone.removed_outputs[0]
build = driver.Build(root, mode="incremental", via="api")
build.run()
out["delete_missed"] = driver.missed_edit(build.out, set(), gone)
out["delete_clean"] = driver.compare_with_clean_build(root, "api", gone).missed_edit
print(json.dumps(out))
"""


def test_stale_stylesheet_and_stale_listing_are_missed_edits(bengal_env, tmp_path: Path) -> None:
    """0.1.2's incremental build keeps the old copy of an edited stylesheet beside the new one,
    and a deleted page stays listed in its section index: both are missed edits, by the
    rebuild's own check and against a clean build."""
    python = bengal_env(DEFAULT_VERSIONS[0])
    root = working_copy(Scenario(kind="nested", pages=8, seed=0), tmp_path / "site")  # deletable
    proc = subprocess.run(
        [str(python), "-c", STALE_OUTPUTS.format(root=str(root))],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    stale_css = r"assets/bench/style\.[0-9a-f]{8}\.css: a copy of assets/bench/style\.css without"
    assert re.match(stale_css, out["css_verify"]), out["css_verify"]
    assert len(out["css_clean"]) == 1 and re.match(stale_css, out["css_clean"][0]), out
    # the section index listed the page before; after the delete it still does
    assert out["listed_before"]
    listing = f"{out['section']}: still links to or lists the page delete_page removed"
    assert listing in out["delete_missed"] and listing in out["delete_clean"], out
    # 0.1.2 removes the page's own HTML: no listing of that as still present
    assert not any(m.startswith(out["victim"]) for m in out["delete_missed"]), out


@pytest.mark.parametrize("via", ["api", "cli"])
def test_validation_fails_on_broken_templates(bengal_env, tmp_path: Path, via: str) -> None:
    """A page template that cannot render: Bengal may exit 0, the driver must refuse."""
    python = bengal_env(DEFAULT_VERSIONS[0])
    root = working_copy(TINY, tmp_path / "site")
    (root / "templates").mkdir()
    (root / "templates" / "page.html").write_text("{% include 'no-such-partial.html' %}\n")
    out = run_driver(python, "build", str(root), "--mode", "full", "--via", via, check=False)
    assert not out["ok"]
    assert out["error"], out


def test_a_problem_bengal_logs_fails_cli_and_in_process_builds(bengal_env, tmp_path: Path) -> None:
    """0.5.1 with a graph path it cannot use: the build exits 0, every page is fine, and Bengal
    logs "graph_generation_failed" at ERROR (its graph page is missing). The CLI build (read
    from its build log file) and the in-process build (read from Bengal's loggers) both fail
    with it; without the bad setting both pass."""
    python = bengal_env(DEFAULT_VERSIONS[1])
    for via in ("cli", "api"):
        root = working_copy(Scenario(kind="nested", pages=2, seed=0), tmp_path / via)
        config = (root / "bengal.toml").read_text()
        (root / "bengal.toml").unlink()  # a hard link into the scenario cache: replaced
        (root / "bengal.toml").write_text(config + "\n[graph]\npath = 5\n")
        out = run_driver(python, "build", str(root), "--mode", "full", "--via", via, check=False)
        assert not out["ok"], (via, out)
        assert out["error"].startswith("graph_generation_failed: 'int' object"), (via, out)
        assert "problem(s) in Bengal's build log" in out["error"]
        assert all((root / "public" / p["output"]).is_file() for p in load_pages(root))


def load_pages(root: Path) -> list[dict]:
    return json.loads((root / "scenario.json").read_text())["pages"]


def test_validation_names_a_missing_page(bengal_env, tmp_path: Path) -> None:
    python = bengal_env(DEFAULT_VERSIONS[0])
    root = working_copy(TINY, tmp_path / "site")
    build(python, root, "full", "api")
    manifest = json.loads((root / "scenario.json").read_text())
    victim = manifest["pages"][-1]["output"]
    out = root / manifest["output_dir"]
    kept = (out / victim).read_bytes()
    (out / victim).unlink()
    with pytest.raises(driver.BuildFailed, match=re.escape(victim)):
        driver.validate(root, out, "", {}, set())
    (out / victim).write_bytes(kept.replace(manifest["pages"][-1]["token"].encode(), b"x"))
    with pytest.raises(driver.BuildFailed, match="token"):
        driver.validate(root, out, "", {}, set())
    (out / victim).write_bytes(kept)
    with pytest.raises(driver.BuildFailed, match="K-RUN"):
        driver.validate(root, out, "K-RUN-001 Undefined attribute 'x' in base.html:15", {}, set())
    driver.validate(root, out, "", {}, set())


def test_incremental_diff(bengal_env, tmp_path: Path) -> None:
    """Two clean full builds compare equal; a CSS edit built incrementally on 0.1.x does not."""
    python = bengal_env(DEFAULT_VERSIONS[0])
    root = working_copy(TINY, tmp_path / "site")
    clean = run_driver(python, "build", str(root), "--mode", "full", "--check-incremental")
    assert clean["incremental_diff"] == []
    Mutator(root).edit_asset()
    stale = run_driver(python, "build", str(root), "--mode", "incremental", "--check-incremental")
    assert stale["incremental_diff"], "0.1.x keeps stale output after a CSS edit"


def _need_gnu_time() -> None:
    """GNU time, installed on demand; where it cannot be, skip locally (the psutil cross-check
    below still runs) and fail in CI, whose machines must have it."""
    if not Path("/usr/bin/time").exists():
        system_packages.ensure("time", "time")
    if Path("/usr/bin/time").exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("GNU time (/usr/bin/time) is missing in CI and apt-get could not install it")
    pytest.skip("GNU time (/usr/bin/time) is not available; the psutil cross-check covers this")


# Runs argv[1:] and reports on stderr what the kernel says of it, read independently of the
# driver's os.wait4: its CPU time from /proc (psutil, on the unreaped zombie) and its peak RSS
# (VmHWM, sampled every 5 ms: at most the growth of the last 5 ms is missed); plus this wrapper's
# own CPU time, which the driver's figure for the wrapped build includes.
USAGE_WRAPPER = r"""
import json, os, resource, subprocess, sys, time
import psutil
child = subprocess.Popen(sys.argv[1:])
hwm_kib = 0
while not os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG):
    try:
        with open(f"/proc/{child.pid}/status") as f:
            hwm_kib = max([hwm_kib] + [int(l.split()[1]) for l in f if l.startswith("VmHWM:")])
    except OSError:
        pass
    time.sleep(0.005)
t = psutil.Process(child.pid).cpu_times()
child.wait()
me = resource.getrusage(resource.RUSAGE_SELF)
print("USAGE " + json.dumps({
    "cpu_s": t.user + t.system + t.children_user + t.children_system,
    "self_cpu_s": me.ru_utime + me.ru_stime,
    "peak_rss_mb": hwm_kib / 1024,
}), file=sys.stderr)
"""


def test_cli_cpu_time_and_peak_rss_agree_with_psutil(bengal_env, tmp_path: Path) -> None:
    """The driver's figures of one build (os.wait4) against /proc's, read by a wrapper: the
    cross-check that needs no GNU time."""
    root = working_copy(TINY, tmp_path / "site")
    python = bengal_env(DEFAULT_VERSIONS[0])  # psutil is one of 0.1.2's dependencies
    code = (
        "import driver, json, sys; b = driver.Build(sys.argv[1], 'full', 'cli', "
        "wrapper=[sys.executable, '-c', sys.argv[2]]); b.run(); r = b.verify(); "
        "print(json.dumps([r.cpu_s, r.peak_rss_mb, b.read_log()]))"
    )
    proc = subprocess.run(
        [str(python), "-c", code, str(root), USAGE_WRAPPER],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, check=True,
    )  # fmt: skip
    cpu_s, peak_rss_mb, log = json.loads(proc.stdout.strip().splitlines()[-1])
    usage = json.loads(re.search(r"^USAGE (.*)$", log, re.M).group(1))
    theirs = usage["cpu_s"] + usage["self_cpu_s"]
    assert usage["cpu_s"] > 0.2, log[-1500:]  # a real build, not an empty process
    assert abs(cpu_s - theirs) <= 0.05 * theirs + 0.05, f"driver {cpu_s} s vs /proc {theirs} s"
    # the peak is the build's (the wrapper's own is far smaller); sampled, it can only be low
    rss = usage["peak_rss_mb"]
    assert abs(peak_rss_mb - rss) <= 0.10 * rss, f"driver {peak_rss_mb} MB vs /proc {rss} MB"


def _max_rss_kib(time_v_output: str) -> int:
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_v_output).group(1))


def test_cli_peak_rss_agrees_with_time(bengal_env, tmp_path: Path) -> None:
    _need_gnu_time()
    python = bengal_env(DEFAULT_VERSIONS[0])
    # The same first build of two identical copies: one by the driver, one under GNU time.
    ours = build(python, working_copy(TINY, tmp_path / "a"), "full", "cli")["peak_rss_mb"]
    root = working_copy(TINY, tmp_path / "b")
    argv_env = subprocess.run(
        [
            str(python),
            "-c",
            "import driver, json, sys; b = driver.Build(sys.argv[1], 'full', "
            "'cli'); print(json.dumps([b.argv, driver.compat.BUILD_ENV]))",
            str(root),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=True,
    )
    argv, env = json.loads(argv_env.stdout)
    timed = subprocess.run(
        ["/usr/bin/time", "-v", *argv],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, **env},
        check=True,
    )
    theirs = _max_rss_kib(timed.stderr) / 1024
    assert abs(ours - theirs) <= 0.10 * theirs, f"driver {ours} MB vs /usr/bin/time {theirs} MB"


def test_cli_cpu_time_agrees_with_time_on_the_same_build(bengal_env, tmp_path: Path) -> None:
    """The driver's os.wait4 CPU time of a build run under GNU time (its rusage includes the
    child it waited for) against what GNU time says of that same build."""
    _need_gnu_time()
    root = working_copy(TINY, tmp_path / "site")
    code = (
        "import driver, json, sys; b = driver.Build(sys.argv[1], 'full', 'cli', "
        "wrapper=['/usr/bin/time', '-v']); b.run(); r = b.verify(); "
        "print(json.dumps([r.cpu_s, b.read_log()]))"
    )
    proc = subprocess.run(
        [str(bengal_env(DEFAULT_VERSIONS[0])), "-c", code, str(root)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, check=True,
    )  # fmt: skip
    ours, log = json.loads(proc.stdout.strip().splitlines()[-1])
    theirs = sum(
        float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", log).group(1))
        for kind in ("User", "System")
    )
    assert theirs > 0.2, log[-1500:]  # a real build, not an empty process
    assert abs(ours - theirs) <= 0.05 * theirs + 0.05, f"driver {ours} s vs GNU time {theirs} s"


def test_cli_build_past_its_timeout_is_killed_and_said(bengal_env, tmp_path: Path) -> None:
    import psutil

    root = working_copy(TINY, tmp_path / "site")
    out = run_driver(
        bengal_env("0.5.1"), "build", str(root), "--mode", "full", "--via", "cli",
        "--timeout", "1", check=False,
    )  # fmt: skip
    assert out["ok"] is False
    pages = len(driver.load_manifest(root)["pages"])  # every page in the output, indexes too
    assert out["error"] == f"did not finish in 1 s at {pages} pages", out["error"]
    left = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(root) in " ".join(p.info["cmdline"] or [])
    ]
    assert not left, f"build processes left behind: {[p.info['cmdline'] for p in left]}"


def test_install_rejects_unknown_version() -> None:
    proc = subprocess.run(
        [str(REPO / ".venv/bin/python"), "-m", "driver.install", "env", "0.0.999"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("driver.install: error: unknown")


# Strings that only make sense with knowledge of Bengal's eras (joined so this file has none).
ERA_MARKERS = [
    "Build" + "Options",
    "mi" + "lo",
    "site" + " build",
    "--" + "source",
    "--no-" + "incremental",
    ".bengal-" + "cache",
    "build" + "_stats",
]


def test_no_era_knowledge_outside_compat() -> None:
    """Only driver/compat/ may know Bengal's history."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py", "*.json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    ).stdout.split()
    offenders = []
    for rel in files:
        if rel.startswith(("driver/compat/", "docs/")):
            continue
        text = (REPO / rel).read_text(errors="replace")
        offenders += [f"{rel}: {m}" for m in ERA_MARKERS if m in text]
    assert not offenders, offenders


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        # 0.5.1 building nested-5000 here (2 cores shared): exit 0, 2,132 pages never written.
        (
            "bengal-0.5.1-nested-5000-build.log",
            "Bengal's Render deadline expired: 3689 done, 2132 dropped",
        ),
        ("bengal-0.5.1-nested-8-build.log", None),  # a good build: warnings only
    ],
)
def test_bengal_structured_log_says_why_pages_are_missing(tmp_path: Path, log: str, expected):
    logs = tmp_path / ".bengal" / "logs"
    logs.mkdir(parents=True)
    (logs / "build.log").write_bytes((REPO / "tests" / "data" / log).read_bytes())
    problems = driver.compat.structured_log_problems(tmp_path, since_ns=0)
    assert (problems[0] if problems else None) == expected
    if expected:
        assert len(problems) == 4  # Render, PostProcess, and PostProcess's two failed tasks
    # a log older than the build it is read for belongs to an earlier build
    assert driver.compat.structured_log_problems(tmp_path, since_ns=2**62) == []


def test_a_build_on_a_github_runner_is_the_workstations_build(bengal_env, tmp_path: Path) -> None:
    """On GitHub Actions Bengal (0.5.1 here) gives a site without a baseurl the baseurl
    "/<repository>", so its pages link /bengal-benchmarks/assets/… while it writes /assets/….
    The driver builds without the deployment platforms' variables: both builds validate, and
    the pages link the stylesheet the build wrote."""
    python = bengal_env("0.5.1")
    script = """
import os, pathlib, sys, driver
print("left", os.environ.get("GITHUB_ACTIONS"), os.environ.get("NETLIFY"))
for via, name in (("cli", "a"), ("api", "b")):
    root = pathlib.Path(sys.argv[1]) / name
    driver.build(root, mode="full", via=via)
    index = (driver.compat.output_dir(root) / "index.html").read_text()
    print(via, "/bengal-benchmarks/" in index)
"""
    for name in ("a", "b"):
        working_copy(TINY, tmp_path / name)
    runner = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/bengal-benchmarks", "NETLIFY": ""}
    proc = subprocess.run(
        [str(python), "-c", script, str(tmp_path)], capture_output=True, text=True,
        env={**os.environ, **runner, "PYTHONPATH": str(REPO)}, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:3] == ["left None None", "cli False", "api False"]
