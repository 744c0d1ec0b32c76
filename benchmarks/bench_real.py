"""A real site beside the generated ones: Bengal's own documentation at the pinned tag.

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
from benchmarks.timing import SingleMeasurement
from scenario_gen import real

# A fixed salt: the edit's text, and so the rebuild's work, is the same at every commit.
_SALT = "bench_real"


def measure_real() -> dict[str, Any]:
    """setup_cache: the real site's measurements, or ``{"skip": why}``. A failure is kept per
    measurement (Bengal's own reason) and raised by the benchmarks that read it."""
    if not PROFILE.real_site:
        return {"skip": f"the {PROFILE.name} profile leaves the real site out"}
    try:
        root = real.working_copy(Path.cwd() / "sites" / "real" / "work")
    except real.RealSiteUnavailable as exc:
        print(f"[bench_real] {exc}", file=sys.stderr, flush=True)
        return {"skip": str(exc)}
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
        out["build"] = {"error": f"{type(exc).__name__}: {exc}"}
    if "one_page" in PROFILE.real_site:
        out["one_page"] = _one_page(root, out["build"])
    return out


measure_real.timeout = PROFILE.prepare_timeout


def _one_page(root: Path, full: dict[str, Any]) -> dict[str, Any]:
    """One real page edited after the full build, rebuilt by ``bengal build --incremental``."""
    if "error" in full:
        return {"error": f"no built real site to edit: {full['error']}"}
    try:
        change = real.edit_page(root, _SALT)
        build = driver.Build(root, mode="incremental", via="cli", timeout=PROFILE.build_timeout)
        build.run()
        rebuild = build.verify(change, judge_edit=False)  # a miss is counted below
        token = change.token.encode()
        missed = [
            rel for rel in change.rebuilt_outputs if token not in (build.out / rel).read_bytes()
        ]
        return {
            "wall_s": rebuild.wall_s,
            "cpu_s": rebuild.cpu_s,
            "rebuilt_pages": rebuild.html_written,
            "missed_edit": len(missed),
            "speedup": full["wall_s"] / rebuild.wall_s,
        }
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def measurement(m: dict[str, Any], key: str) -> float:
    """One number of ``measure_real``; raises what went wrong when there is none."""
    if "error" in m:
        raise RuntimeError(m["error"])
    if key in ("speedup", "rebuilt_pages", "wall_s") and m.get("missed_edit"):
        raise RuntimeError(f"the rebuild missed the edit in {m['missed_edit']} output(s)")
    return m[key]


class _Real(SingleMeasurement):
    setup_cache = staticmethod(measure_real)
    version = "1"

    def setup(self, cache: dict[str, Any]) -> None:
        if "skip" in cache:  # asv records n/a for NotImplementedError raised in setup
            raise NotImplementedError(cache["skip"])


class RealSiteBuild(_Real):
    """One CLI full build of the real site (about 1,550 pages at v0.5.1).

    Single-shot timings on shared cores: an A/A pair of 0.5.1 builds moved by up to 34% on
    generated sites, so only a larger change counts; peak RSS by a few percent.
    """

    regression_threshold = 0.5

    def track_build_seconds(self, cache: dict[str, Any]) -> float:
        return measurement(cache["build"], "wall_s")

    track_build_seconds.unit = "seconds"

    def track_build_cpu_seconds(self, cache: dict[str, Any]) -> float:
        return measurement(cache["build"], "cpu_s")

    track_build_cpu_seconds.unit = "seconds"

    def track_build_peak_rss_mb(self, cache: dict[str, Any]) -> float:
        return measurement(cache["build"], "peak_rss_mb")

    track_build_peak_rss_mb.unit = "MB"
    track_build_peak_rss_mb.regression_threshold = 0.05

    def track_pages_per_second(self, cache: dict[str, Any]) -> float:
        return measurement(cache["build"], "pages_per_second")

    track_pages_per_second.unit = "pages/s"
    track_pages_per_second.higher_is_better = True


class RealSiteOnePage(_Real):
    """One real page edited and rebuilt after the full build (``bengal build --incremental``).

    Single-shot timings (threshold as for the full build); pages rewritten and outputs that
    missed the edit are exact counters: any change counts.
    """

    regression_threshold = 0.5

    def setup(self, cache: dict[str, Any]) -> None:
        super().setup(cache)
        if "one_page" not in cache:
            raise NotImplementedError(f"the {PROFILE.name} profile does not edit the real site")

    def track_one_page_rebuild_seconds(self, cache: dict[str, Any]) -> float:
        return measurement(cache["one_page"], "wall_s")

    track_one_page_rebuild_seconds.unit = "seconds"

    def track_one_page_rebuild_cpu_seconds(self, cache: dict[str, Any]) -> float:
        return measurement(cache["one_page"], "cpu_s")

    track_one_page_rebuild_cpu_seconds.unit = "seconds"

    def track_speedup_over_full(self, cache: dict[str, Any]) -> float:
        return measurement(cache["one_page"], "speedup")

    track_speedup_over_full.unit = "x"
    track_speedup_over_full.higher_is_better = True

    def track_pages_rewritten(self, cache: dict[str, Any]) -> float:
        return measurement(cache["one_page"], "rebuilt_pages")

    track_pages_rewritten.unit = "pages"
    track_pages_rewritten.regression_threshold = 0.0

    def track_missed_edit(self, cache: dict[str, Any]) -> float:
        return measurement(cache["one_page"], "missed_edit")

    track_missed_edit.unit = "outputs"
    track_missed_edit.regression_threshold = 0.0
