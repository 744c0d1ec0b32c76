"""Slow: one release of every era through the driver, and a drifted install it must refuse.

Run with ``pytest -m slow tests/test_driver_eras.py -s``; prints (and appends to
``$BENGAL_BENCH_CACHE/driver-eras.md``) one row per build: wall s / HTML written / files
written / peak RSS MB.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scenario_gen import Mutator, Scenario, cache_root, working_copy
from tests.test_driver import run_driver

ERAS = ("0.1.0", "0.1.3", "0.1.5", "0.1.10", "0.2.0", "0.3.0", "0.3.3", "0.4.0", "0.5.1")
TINY = Scenario(kind="nested", pages=6, seed=0)
# A Bengal bug, measured, not a driver limit: this release's incremental build skips an edited
# page ("No changes detected"), in-process and via the CLI. In asv, verify(change=...) refuses it.
MISSES_PAGE_EDITS = {"0.1.5"}


def _report(line: str) -> None:
    print(line)
    base = cache_root()
    base.mkdir(parents=True, exist_ok=True)
    with open(base / "driver-eras.md", "a") as fh:
        fh.write(line + "\n")


def _cell(r: dict) -> str:
    rss = round(r["peak_rss_mb"])
    return f"{r['wall_s']:.2f} / {r['html_written']} / {r['files_written']} / {rss}"


@pytest.mark.slow
@pytest.mark.parametrize("via", ["api", "cli"])
@pytest.mark.parametrize("version", ERAS)
def test_every_era(bengal_env, tmp_path: Path, version: str, via: str) -> None:
    python = bengal_env(version)
    root = working_copy(TINY, tmp_path / "site")

    def b(mode: str) -> dict:
        return run_driver(python, "build", str(root), "--mode", mode, "--via", via)

    full = b("full")
    assert full["full_rebuild"]
    noop = b("incremental")
    assert noop["files_written"] < full["files_written"]
    mut = Mutator(root)
    edit = mut.edit_page()
    page = b("incremental")
    assert page["html_written"] < full["html_written"]
    stale = [r for r in edit.rebuilt_outputs if edit.token not in (root / "public" / r).read_text()]
    assert bool(stale) == (version in MISSES_PAGE_EDITS), f"edit missed in: {stale}"
    mut.edit_asset()
    css = run_driver(
        python, "build", str(root), "--mode", "incremental", "--via", via, "--check-incremental"
    )
    mut.change_config()
    config = b("incremental")
    assert config["full_rebuild"]
    if via == "cli":  # normalisation check: a clean full build equals another clean full build
        again = run_driver(python, "build", str(root), "--mode", "full", "--check-incremental")
        assert again["incremental_diff"] == [], again["incremental_diff"]
    warn = len(full.get("warnings", []))
    _report(
        f"| {version} | {via} | {_cell(full)} | {_cell(noop)} | {_cell(page)} | {_cell(css)} | "
        f"{_cell(config)} | {len(css['incremental_diff'])} | {warn} |"
    )


@pytest.mark.slow
def test_drifted_dependencies_fail_validation(bengal_env, tmp_path: Path) -> None:
    """0.2.0 with today's dependencies exits 0 with broken pages; the driver must refuse them."""
    python = bengal_env("0.2.0", pin_dependencies=False)
    root = working_copy(TINY, tmp_path / "site")
    out = run_driver(python, "build", str(root), "--mode", "full", "--via", "cli", check=False)
    assert not out["ok"], "unpinned 0.2.0 output passed validation"
    _report(f"| 0.2.0 unpinned | cli | refused: {out['error'][:120]} |")
