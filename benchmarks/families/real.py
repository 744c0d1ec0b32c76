"""The real-site family: Bengal's own documentation at the pinned tag, beside the generated sites.

The site and the package source its autodoc reads come from a Bengal git repository by git at
run time (``scenario_gen.real``); the build is validated like a generated site's (every authored
page and every expected API page, each with its own body's token and a stylesheet, no template
errors). Measured once per commit (``PROFILE.real_site``): one CLI full build (wall and CPU
time, the child's peak RSS, pages/s, phases), then one real page edited and rebuilt by the CLI
(``--incremental``; its speedup over that full build, pages rewritten, outputs that miss the edit).

Without a Bengal git repository (a release history built from PyPI sdists has no ``site/``)
every benchmark here is skipped (asv: n/a) with one line that says what to pass.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import driver
from benchmarks.profiles import PROFILE
from benchmarks.results import Measurement, failed, finding, is_value, missed_edit, skip
from scenario_gen import real

# A fixed salt: the edit's text, and so the rebuild's work, is the same at every commit.
_SALT = "bench_real"


def measure_real() -> dict[str, Any]:
    """setup_cache: the real site's measurements, or a skip saying why there are none. A failure
    is kept per measurement (Bengal's own reason) and raised by the benchmarks that read it."""
    if not PROFILE.real_site:
        return skip(f"the {PROFILE.name} profile leaves the real site out")
    try:
        root = real.working_copy(Path.cwd() / "sites" / "real" / "work")
    except real.RealSiteUnavailable as exc:
        print(f"[bench_real] {exc}", file=sys.stderr, flush=True)
        return skip(str(exc))
    out: dict[str, Any] = {"source": real.load_params(root)}
    try:
        full = driver.build(root, mode="full", via="cli", timeout=PROFILE.build_timeout)
        out["build"] = {
            "wall_s": full.wall_s,
            "cpu_s": full.cpu_s,
            "peak_rss_mb": full.peak_rss_mb,
            "html_pages": full.html_total,
            "pages_per_second": full.html_total / full.wall_s,
            "phases_ms": full.stats.get("phases_ms", {}),
        }
    except Exception as exc:
        out["build"] = failed(exc)
    if "one_page" in PROFILE.real_site:
        out["one_page"] = _one_page(root, out["build"])
    return out


measure_real.timeout = PROFILE.prepare_timeout


def _one_page(root: Path, full: Measurement) -> Measurement:
    """One real page edited after the full build, rebuilt by ``bengal build --incremental``."""
    if not is_value(full):
        return finding(f"no built real site to edit: {full['error']}")
    try:
        change = real.edit_page(root, _SALT)
        build = driver.Build(root, mode="incremental", via="cli", timeout=PROFILE.build_timeout)
        build.run()
        rebuild = build.verify(change, judge_edit=False)  # a miss is counted below
        token = change.token.encode()
        missed = [
            rel for rel in change.rebuilt_outputs if token not in (build.out / rel).read_bytes()
        ]
        m = {
            "wall_s": rebuild.wall_s,
            "cpu_s": rebuild.cpu_s,
            "rebuilt_pages": rebuild.html_written,
            "missed_edit": missed,
            "missed_edit_outputs": len(missed),
            "speedup": full["wall_s"] / rebuild.wall_s,
        }
        if missed:
            return missed_edit(m, f"the rebuild missed the edit in {len(missed)} output(s)")
        return m
    except Exception as exc:
        return failed(exc)


# The views: one measurement per benchmark, read with ``benchmarks.results.read``.


def full_build(cache: dict[str, Any]) -> Measurement:
    """The CLI full build (skipped with the whole family)."""
    return cache if not is_value(cache) else cache["build"]


def one_page(cache: dict[str, Any]) -> Measurement:
    """The one-page rebuild (skipped with the whole family, or where the profile does not edit
    the real site)."""
    if not is_value(cache):
        return cache
    if "one_page" not in cache:
        return skip(f"the {PROFILE.name} profile does not edit the real site")
    return cache["one_page"]
