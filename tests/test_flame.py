"""tools.flame on a real Bengal release (0.5.1) and a tiny site."""

from __future__ import annotations

import json
import pstats
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools.flame.analysis import bengal_bottlenecks, is_bengal

ROOT = Path(__file__).resolve().parent.parent


def flame(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.flame", *args], cwd=ROOT, text=True, capture_output=True
    )


@pytest.fixture(scope="module")
def profiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("profile")
    proc = flame(
        "--bengal",
        "0.5.1",
        "--kind",
        "nested",
        "--pages",
        "6",
        "--variant",
        "one_page",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    printed = [Path(p) for p in proc.stdout.split()]
    assert printed == [
        out / f for f in ("build.prof", "top.md", "flame.svg", "profile.speedscope.json")
    ]
    assert "[tools.flame]" in proc.stderr  # progress while installing and building
    return out


def test_cprofile_loads_and_has_bengal_frames(profiled: Path) -> None:
    stats = pstats.Stats(str(profiled / "build.prof"))
    bengal = [f for f in stats.stats if is_bengal(f)]  # type: ignore[attr-defined]
    assert len(bengal) > 50
    top = bengal_bottlenecks(stats)
    assert len(top) == 5 and all("/bengal/" in f[0] for f, *_ in top)


def test_top_md_names_bengal_bottlenecks(profiled: Path) -> None:
    text = (profiled / "top.md").read_text()
    section = text.split("## Top 5 bottlenecks in Bengal's own code")[1].split("## Top 30")[0]
    items = re.findall(r"^\d\. `(bengal/[^`]+)`", section, flags=re.M)
    assert len(items) == 5
    assert "## Top 30 by cumulative time" in text and "## Top 30 by own time" in text
    assert "1 of" in text or "of 7" in text or "HTML pages written" in text


def test_flame_graph_and_speedscope_have_bengal_functions(profiled: Path) -> None:
    svg = (profiled / "flame.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert re.search(r"\w+ \(bengal/[\w/]+\.py:\d+\)", svg)
    data = json.loads((profiled / "profile.speedscope.json").read_text())
    assert "speedscope" in data["$schema"]
    names = {f["name"] for f in data["shared"]["frames"] if "/bengal/" in f.get("file", "")}
    stats = pstats.Stats(str(profiled / "build.prof"))
    cprofile_names = {f[2] for f in stats.stats if is_bengal(f)}  # type: ignore[attr-defined]
    assert len(names & cprofile_names) > 10


def test_unknown_version_fails_cleanly(tmp_path: Path) -> None:
    proc = flame("--bengal", "99.99.99", "--pages", "2", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "unknown Bengal version" in proc.stderr


def test_unknown_commit_fails_cleanly(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    proc = flame("--bengal", "deadbeef", "--repo", str(repo), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "unknown commit 'deadbeef'" in proc.stderr


def test_call_count_diff_of_two_real_profiles(profiled: Path, bengal_env, tmp_path: Path) -> None:
    """The ncalls table of --compare: a one-worker cProfile of 0.1.2 against the 0.5.1 profile
    above; the top 20 Bengal functions by absolute change, with cProfile's own numbers."""
    from tools.flame.analysis import CALLS_TOP_N, calls_diff, diff_markdown, short_path
    from tools.flame.builds import Job

    job = Job(bengal_env("0.1.2"), tmp_path / "work", "full", 1, 1)
    for stage, *args in (
        ("prepare", "--kind", "nested", "--pages", "4"),
        ("build", "--cprofile", str(tmp_path / "base.prof"), "--result", str(tmp_path / "r.json")),
    ):
        subprocess.run(job.runner(stage, *args), env=job.env(), cwd=ROOT, check=True)
    base = pstats.Stats(str(tmp_path / "base.prof"))
    head = pstats.Stats(str(profiled / "build.prof"))
    rows = calls_diff(base, head)
    assert len(rows) == CALLS_TOP_N
    changes = [abs(h - b) for _, b, h in rows]
    assert changes == sorted(changes, reverse=True) and changes[-1] > 0

    def calls(stats: pstats.Stats, label: str) -> int:
        return sum(
            v[1]
            for f, v in stats.stats.items()  # type: ignore[attr-defined]
            if is_bengal(f) and f"{short_path(f[0])} {f[2]}" == label
        )

    for label, b, h in rows:
        assert (b, h) == (calls(base, label), calls(head, label)), label
    assert calls_diff(head, head) == []
    text = diff_markdown(base, head, "0.1.2", "0.5.1", 1.0, 2.0)
    table = text.split("## Call counts")[1]
    label, b, h = rows[0]
    assert f"| `{label}` | {h - b:+d} | {b} → {h} |" in table
    assert table.count("\n| `") == CALLS_TOP_N


def one_worker_build(python: Path, work: Path, variant: str, pages: int) -> dict:
    """Prepare and run one profiled one-worker build of nested-``pages`` the way --compare
    does; returns the runner's result (it exits non-zero on a build that fails validation)."""
    from tools.flame.builds import Job

    job = Job(python, work, variant, 1, 1)
    for stage, *args in (
        ("prepare", "--kind", "nested", "--pages", str(pages)),
        ("build", "--cprofile", str(work / "build.prof"), "--result", str(work / "r.json")),
    ):
        proc = subprocess.run(
            job.runner(stage, *args), env=job.env(), cwd=ROOT, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads((work / "r.json").read_text())


@pytest.mark.parametrize("version", ["0.1.2", "0.5.1"])
def test_one_worker_full_build_after_the_warm_up_writes_every_page(
    version: str, bengal_env, tmp_path: Path
) -> None:
    """From 0.5.1 on a second one-worker build in the thread of the first writes only the
    special pages (docs/findings.md): the warm-up must leave the profiled build nothing."""
    result = one_worker_build(bengal_env(version), tmp_path / "work", "full", 4)
    assert result["html_written"] == result["html_total"] > 5, result
    assert result["full_rebuild"] is True


PLANTED = 50_000  # iterations of the planted loop: 50,001 calls of its generator


@pytest.mark.slow
def test_call_count_diff_of_a_planted_step_in_0_5_1(tmp_path: Path) -> None:
    """--compare of a 0.5.1 commit and the commit on top that plants work in
    ``BuildOrchestrator.build`` (tools.asv_local.planted): the planted loop is the first row."""
    from tools.asv_local import planted
    from tools.flame.analysis import calls_diff

    history = planted.build(tmp_path / "history", [[("full", PLANTED)]], 0, release="0.5.1")
    base, head = history.shas
    out = tmp_path / "out"
    proc = flame(
        "--repo", str(history.repo), "--bengal", base, "--compare", head, "--kind", "nested",
        "--pages", "2", "--variant", "full", "--workers", "1", "--cprofile-only",
        "--out", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = calls_diff(*(pstats.Stats(str(out / sha / "build.prof")) for sha in (base, head)))
    label, before, after = rows[0]
    assert label == "bengal/orchestration/build/__init__.py <genexpr>", rows[:3]
    assert after - before == PLANTED + 1, rows[:3]
    assert all(abs(h - b) < PLANTED / 10 for _, b, h in rows[1:]), rows[:3]
    table = (out / "diff.md").read_text().split("## Call counts")[1]
    assert table.split("\n| `")[1].startswith(f"{label}` | {PLANTED + 1:+d} |"), table
