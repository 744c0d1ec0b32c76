"""Instruction counts through real asv, on local histories with a second commit:

- A/A: Bengal 0.1.2's tree committed twice (same date, so the same dependencies): every count
  moves by less than 0.1% and ``tools.report --fail-on regression`` flags nothing;
- a planted slowdown (slow): Bengal 0.5.1 plus a commit that does a fixed amount of pure-Python
  work per rendered page: ``tools.report --fail-on regression`` exits 1 naming the instruction
  benchmark of the full build, while start-up and the no-op rebuild stay put.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.asv_local import history
from tools.report import data as rd

ROOT = Path(__file__).resolve().parents[1]
# Pure-Python work per rendered page in the planted commit: ~0.14 G instructions (about 540 per
# iteration on CPython 3.14), ~2% of a 0.5.1 full build of the smoke profile's instruction site
# (about six rendered pages).
PLANTED_ITERATIONS = 260_000


def plant_work_per_page(tree: Path) -> None:
    """Make every rendered page of a 0.5.1 tree do PLANTED_ITERATIONS of pure-Python work."""
    renderer = tree / "bengal" / "rendering" / "renderer.py"
    text = renderer.read_text()
    # After the docstring of Renderer.render_page, before its first statement.
    body = re.compile(r'(\n    def render_page\(.*?""".*?"""\n)( +)', re.S)
    assert body.search(text), "no Renderer.render_page with a docstring"
    work = f"sum(i % 7 for i in range({PLANTED_ITERATIONS}))  # planted: work per page"
    renderer.write_text(body.sub(lambda m: f"{m[1]}{m[2]}{work}\n{m[2]}", text, count=1))


@dataclass(frozen=True)
class Pair:
    repo: Path
    base: str
    head: str
    results: Path
    returncode: int  # asv run's
    log: str


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    ).stdout.strip()


def second_commit(
    dest: Path, version: str, change: Callable[[Path], None] | None, message: str
) -> tuple[str, str]:
    """A history of ``version``'s sdist plus one commit on top with the same author and date
    (so ``driver.install`` pins the same dependencies), after ``change`` edits the work tree."""
    releases = history.select_versions(history.fetch_releases(), [version], None)
    (base,) = history.build_history(dest, releases)
    if change is not None:
        change(dest)
    _git(dest, "add", "--all", "--force", ".")
    tree = _git(dest, "write-tree")
    stamp = _git(dest, "log", "-1", "--format=%ct +0000", base)
    who = {"NAME": history.AUTHOR_NAME, "EMAIL": history.AUTHOR_EMAIL, "DATE": stamp}
    env = {f"GIT_{role}_{k}": v for role in ("AUTHOR", "COMMITTER") for k, v in who.items()}
    head = _git(dest, "commit-tree", tree, "-p", base, "-m", message, env=env)
    _git(dest, "update-ref", f"refs/heads/{history.BRANCH}", head)
    _git(dest, "reset", "--hard", "--quiet", head)
    return base, head


def run_instruction_benchmarks(work: Path, version: str, change, message: str) -> Pair:
    """Both commits through ``asv run`` (smoke profile), instruction benchmarks only."""
    repo = work / "history"
    base, head = second_commit(repo, version, change, message)
    proc = subprocess.run(
        [sys.executable, "-m", "tools.asv_local", "--repo", str(repo),
         "--config-out", str(work / "asv.conf.json"), "--results-dir", str(work / "results"),
         "--html-dir", str(work / "html"),
         "--env-dir", str(history.cache_root() / "asv-env-tests"),
         "run", "ALL", "--bench", "bench_instructions", "--show-stderr"],
        cwd=ROOT, env={**os.environ, "BENGAL_BENCH_PROFILE": "smoke"},
        capture_output=True, text=True,
    )  # fmt: skip
    return Pair(repo, base, head, work / "results", proc.returncode, proc.stdout + proc.stderr)


def rows(pair: Pair) -> dict[str, rd.Row]:
    rs = rd.load(pair.results, conf=ROOT / "asv.conf.json")
    return {r.name: r for r in rd.compare(rs, rs.commit(pair.base), rs.commit(pair.head))}


def report(pair: Pair) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.report", "markdown", "--results", str(pair.results),
         "--repo", str(pair.repo), "--base", pair.base, "--head", pair.head,
         "--fail-on", "regression"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip


def ratios(by_name: dict[str, rd.Row], pattern: str) -> dict[str, float]:
    found = {n: r for n, r in by_name.items() if re.search(pattern, n)}
    for name, row in found.items():
        assert row.base and row.head and not row.base.failed and not row.head.failed, name
    return {n: _ratio(r.base.value, r.head.value) for n, r in found.items()}  # type: ignore


def _ratio(before: float, after: float) -> float:
    """after / before; 1.0 for 0 → 0 (a no-op build writes nothing, twice)."""
    if before == 0:
        return 1.0 if after == 0 else float("inf")
    return after / before


@pytest.mark.slow  # make test sees A/A counts in test_bisect.py (code edits that change no work)
def test_a_a_counts_agree_and_nothing_is_flagged(valgrind: str, tmp_path: Path) -> None:
    pair = run_instruction_benchmarks(tmp_path, "0.1.2", None, "A/A: the same tree again")
    assert pair.returncode == 0, pair.log[-4000:]
    by_name = rows(pair)
    counted = ratios(by_name, r"\.track_\w+_instructions\b")
    assert len(counted) == 4, sorted(by_name)  # full, noop, one_page, start-up
    spread = {n: abs(r - 1) for n, r in counted.items()}
    print("A/A instruction spread:", {n: f"{s:.5%}" for n, s in spread.items()})
    assert max(spread.values()) < 0.001, spread
    exact = ratios(by_name, r"track_(html_pages|files)_written")
    assert set(exact.values()) == {1.0}, exact
    sizes = ratios(by_name, r"bytes")
    print("A/A byte counters:", {n: f"{abs(r - 1):.5%}" for n, r in sizes.items()})
    proc = report(pair)
    assert proc.returncode == 0, proc.stdout
    assert "**0** failures · **0** regressions" in proc.stdout


@pytest.mark.slow
def test_a_planted_slowdown_is_caught(valgrind: str, tmp_path: Path) -> None:
    pair = run_instruction_benchmarks(tmp_path, "0.5.1", plant_work_per_page, "planted work")
    assert pair.returncode == 0, pair.log[-4000:]
    counted = ratios(rows(pair), r"\.track_\w+_instructions\b")
    print("planted slowdown, instruction ratios:", counted)
    full = next(r for n, r in counted.items() if "'full'" in n)
    assert 1.01 < full < 1.10, counted  # a small step, beyond the 1% threshold
    assert abs(next(r for n, r in counted.items() if "'noop'" in n) - 1) < 0.001  # no page
    assert abs(next(r for n, r in counted.items() if "startup" in n) - 1) < 0.001
    proc = report(pair)
    assert proc.returncode == 1, proc.stdout
    regressions = proc.stdout.split("### Regressions")[1].split("###")[0]
    first = re.search(r"`(bench_[^`]+)`", regressions)
    assert first and first.group(1).startswith(
        "bench_instructions.BuildInstructions.track_build_instructions"
    ), regressions
    assert "instruction-count regression" in proc.stdout
