"""driver.instructions against real Bengal (0.1.2: the fastest release under cachegrind) and real
valgrind: counts that repeat, start-up below a build, and every way counting must fail."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from driver import compat
from scenario_gen import Scenario, working_copy

REPO = Path(__file__).resolve().parents[1]
VERSION = "0.1.2"
SITE = Scenario(kind="nested", pages=2, seed=0)


def instructions(
    python: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``<env python> -m driver.instructions ARGS`` (``--json`` where it counts)."""
    return subprocess.run(
        [str(python), "-m", "driver.instructions", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        timeout=1800,
    )


def counted(proc: subprocess.CompletedProcess[str]) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_counts_repeat_and_exceed_startup(bengal_env, valgrind: str, tmp_path: Path) -> None:
    python = bengal_env(VERSION)
    startup = counted(instructions(python, "startup", "--json"))
    runs = [
        counted(
            instructions(
                python, "build", str(working_copy(SITE, tmp_path / n)), "--json",
                "--startup", str(startup["instructions"]),
            )
        )
        for n in ("a", "b")
    ]  # fmt: skip
    a, b = (r["instructions"] for r in runs)
    assert abs(a - b) / a < 0.001, (a, b)
    assert a > startup["instructions"] > 0
    for run in runs:  # validated builds, with their work counters
        result = run["result"]
        assert result["full_rebuild"] and result["html_written"] == result["html_total"] > 0
        assert result["bytes_written"] == result["output_bytes"] > 0
        assert result["cache_bytes"] > 0
    # Not byte-exact: 0.1.2's theme lists randomly chosen pages, and llm-full.txt has the date.
    sizes = [r["result"]["output_bytes"] for r in runs]
    assert abs(sizes[0] - sizes[1]) <= 0.01 * sizes[0], sizes
    assert (tmp_path / "b" / "bengal.toml").read_text().count("max_workers = 1") == 1


def test_no_valgrind_is_one_line_saying_how_to_install(bengal_env, tmp_path: Path) -> None:
    python = bengal_env(VERSION)
    root = working_copy(SITE, tmp_path / "site")
    no_valgrind = {"PATH": str(python.parent)}
    assert not any((Path(d) / "valgrind").exists() for d in no_valgrind["PATH"].split(os.pathsep))
    for args in (("build", str(root)), ("startup",)):
        proc = instructions(python, *args, env=no_valgrind)
        assert proc.returncode == 1 and proc.stdout == ""
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "apt-get install valgrind" in lines[0], proc.stderr
    assert not (compat.output_dir(root)).exists()  # nothing was built


def test_without_valgrind_the_work_counters_still_measure(bengal_env, tmp_path: Path) -> None:
    """The instruction family's setup_cache on a machine without valgrind: the instruction
    benchmarks fail with the install hint, the work counters of the same builds are measured."""
    python = bengal_env(VERSION)
    script = (
        "import json, benchmarks.families.instructions as b; "
        "print(json.dumps(b.measure_instructions()))"
    )
    proc = subprocess.run(
        [str(python), "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "PATH": str(python.parent),
            "BENGAL_BENCH_PROFILE": "smoke",
        },
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    cache = json.loads(proc.stdout)
    assert "apt-get install valgrind" in cache["startup"]["error"]
    builds = cache["builds"]
    assert set(builds) == {"full", "noop", "one_page"}
    for m in builds.values():
        assert "instructions" not in m and "apt-get install valgrind" in m["voided"]["instructions"]
    full, noop, one = builds["full"], builds["noop"], builds["one_page"]
    assert full["html_pages_written"] > one["html_pages_written"] >= 1
    assert full["bytes_written"] == full["output_bytes"] > one["bytes_written"] > 0
    assert full["cache_bytes"] > 0 and noop["files_written"] < full["files_written"]


def test_a_broken_build_is_a_failure_not_a_count(bengal_env, valgrind: str, tmp_path: Path) -> None:
    """A page the manifest promises is gone: Bengal exits 0, the driver refuses the build."""
    python = bengal_env(VERSION)
    root = working_copy(SITE, tmp_path / "site")
    manifest = json.loads((root / "scenario.json").read_text())
    victim = manifest["pages"][-1]
    (root / victim["source"]).unlink()
    proc = instructions(python, "build", str(root), "--json")
    assert proc.returncode == 1 and proc.stdout == ""
    assert "expected page missing" in proc.stderr and victim["output"] in proc.stderr


def test_a_valgrind_error_reports_valgrind_log(bengal_env, valgrind: str, tmp_path: Path) -> None:
    python = bengal_env(VERSION)
    root = working_copy(SITE, tmp_path / "site")
    for args in (("build", str(root)), ("startup",)):
        proc = instructions(python, *args, env={"VALGRIND_OPTS": "--no-such-option"})
        assert proc.returncode == 1 and proc.stdout == ""
        assert "under valgrind exited 1" in proc.stderr
        assert "Unknown option: --no-such-option" in proc.stderr, proc.stderr


def test_incremental_count_refuses_a_site_built_with_other_workers(
    bengal_env, valgrind: str, tmp_path: Path
) -> None:
    """Switching a built site to one worker is a config change: the 'incremental' build would be
    a full rebuild, so it is refused instead of counted."""
    python = bengal_env(VERSION)
    root = working_copy(SITE, tmp_path / "site")
    build = subprocess.run(
        [str(python), "-m", "driver", "build", str(root), "--mode", "full", "--via", "cli"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert build.returncode == 0, build.stderr
    proc = instructions(python, "build", str(root), "--mode", "incremental")
    assert proc.returncode == 1
    assert "built with other worker settings" in proc.stderr


def test_single_worker_writes_both_settings_once(bengal_env, tmp_path: Path) -> None:
    root = working_copy(SITE, tmp_path / "site")
    before = compat.read_config(root)
    assert compat.set_workers(root, 3) and not compat.set_workers(root, 3)
    proc = subprocess.run(
        [str(bengal_env(VERSION)), "-c",
         "import sys; from pathlib import Path; from driver import compat; r = Path(sys.argv[1]); "
         "print(compat.single_worker(r), compat.single_worker(r))", str(root)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, check=True,
    )  # fmt: skip
    assert proc.stdout.split() == ["True", "False"]  # rewritten once: a config edit costs a build
    cfg = compat.read_config(root)
    assert cfg["build"]["max_workers"] == 1 and cfg["build"]["parallel"] is False
    assert cfg["site"] == before["site"]
    assert cfg["build"]["output_dir"] == before["build"]["output_dir"]


# Planted in the counted Bengal's interpreter: `bengal build` runs the real build in a child
# process (not counted: valgrind follows no exec) and exits with its status.
BUILDS_IN_A_CHILD = """\
import os, subprocess, sys
if sys.argv[0].endswith("bengal") and "build" in sys.argv and "--help" not in sys.argv \\
        and not os.environ.get("PLANTED_CHILD"):
    os._exit(subprocess.call([sys.executable, *sys.argv], env={**os.environ, "PLANTED_CHILD": "1"}))
"""


def test_a_build_counting_less_than_startup_is_refused(
    bengal_env, valgrind: str, tmp_path: Path
) -> None:
    """A Bengal whose build runs outside the counted process counts less than its start-up:
    that is an error with that reason, never a count (it would read as a big improvement)."""
    python = bengal_env(VERSION)
    root = working_copy(SITE, tmp_path / "site")
    plant = tmp_path / "plant"
    plant.mkdir()
    (plant / "sitecustomize.py").write_text(BUILDS_IN_A_CHILD)
    proc = instructions(python, "build", str(root), env={"PYTHONPATH": f"{REPO}:{plant}"})
    assert proc.returncode == 1 and proc.stdout == ""
    below = r"counted ([\d,]+) instructions, fewer than start-up alone \(([\d,]+),"
    m = re.search(below, proc.stderr)
    assert m, proc.stderr
    counted_ir, startup_ir = (int(g.replace(",", "")) for g in m.groups())
    assert 0 < counted_ir < startup_ir
    # the build itself happened (in the child) and was fine: only its count is refused
    assert "the build ran outside the counted process" in proc.stderr
    assert (compat.output_dir(root) / "index.html").is_file()
