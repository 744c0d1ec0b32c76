"""Instruction counts and exact work counters: regressions of a few percent, without noise.

Wall time on a shared machine moves by tens of percent between identical runs; the instructions
a one-worker build executes (valgrind's cachegrind) move by hundredths of a percent, and the
files and bytes a build writes do not move at all. Measured once per commit, on one copy of the
profile's ``instruction_site``, in this order: Bengal's start-up alone (``bengal --version``), so
start-up work can be told from site work, then a full CLI build, a no-op incremental rebuild and
a one-page incremental rebuild. Every counted build is validated (a broken build is a failure,
never a count) and must count more than start-up alone (else its work ran elsewhere). Without
valgrind the builds still run, uncounted, for the work counters.

What instruction counts miss (I/O, waiting, the worker pool, memory bandwidth) the wall-time,
memory and parallel benchmarks still see.
"""

from __future__ import annotations

from typing import Any

import scenario_gen
import scope
from benchmarks.profiles import PROFILE
from benchmarks.sites import fresh_copy, site_id
from benchmarks.timing import SingleMeasurement
from driver import instructions

SITE = site_id(*PROFILE.instruction_site)
# Kind of build → (driver mode, the user's edit before it); run in this order on one copy.
BUILDS = {
    "full": ("full", "noop"),
    "noop": ("incremental", "noop"),
    "one_page": ("incremental", "one_page"),
}
# A fixed salt: the edit's text, and so the rebuild's work, is the same in every run.
_SALT = "instructions"
# A bisect probe (tools.bisect) names the numbers it needs, comma-separated: "startup" and builds
# of BUILDS; a build is measured after the builds before it (each starts from the state the one
# before left), so "full,noop,one_page" costs what "one_page" alone does.
NOT_PROBED = "not measured in this bisect probe"


def probed_builds(probe: str | None = None) -> tuple[list[str], bool]:
    """The builds to measure, in order, and whether to count start-up: all of them, or only
    what ``scope.probe()`` needs. A bad name raises ValueError at import."""
    probe = scope.probe() if probe is None else probe
    names = list(BUILDS)
    if not probe:
        return names, True
    wanted = set(probe.split(","))
    if unknown := sorted(wanted - {"startup", *BUILDS}):
        choices = ", ".join(["startup", *BUILDS])
        raise ValueError(f"{scope.PROBE_ENV}={probe!r}: {', '.join(unknown)} not one of {choices}")
    last = max((names.index(b) for b in wanted if b in BUILDS), default=-1)
    return names[: last + 1], "startup" in wanted


PROBED_BUILDS, PROBED_STARTUP = probed_builds()


def measure_instructions() -> dict[str, Any]:
    """setup_cache: start-up counted, then every build of ``BUILDS`` counted (or, without
    valgrind, only run). A failure is kept per measurement and raised by the benchmarks that read
    it; the rebuilds need the full build."""
    try:
        instructions.valgrind()
        missing = ""
    except instructions.ValgrindMissing as exc:
        missing = str(exc)
    root = fresh_copy(*PROFILE.instruction_site, name="instructions")
    # First (where needed): a counted build must count more than start-up alone.
    startup: dict[str, Any] = {"skip": NOT_PROBED}
    floor: int | None = None
    if PROBED_STARTUP or (PROBED_BUILDS and not missing):
        try:
            counted = instructions.count_startup()
            floor = counted.instructions
            measured = {"instructions": floor, "counted_seconds": counted.seconds}
        except Exception as exc:
            measured = {"error": f"{type(exc).__name__}: {exc}"}
        if PROBED_STARTUP:
            startup = measured
    builds: dict[str, dict[str, Any]] = {b: {"skip": NOT_PROBED} for b in BUILDS}
    for build in PROBED_BUILDS:
        mode, edit = BUILDS[build]
        if build != "full" and "error" in builds["full"]:
            builds[build] = {"error": f"needs the full build: {builds['full']['error']}"}
            continue
        try:
            change = scenario_gen.apply_edit(root, edit, batch_pages=1, salt=_SALT)
            if missing:
                result = instructions.build_one_worker(root, mode, change)
                m: dict[str, Any] = {"instructions_error": missing}
            else:
                counted = instructions.count_build(root, mode, change, startup=floor)
                assert counted.result is not None
                result = counted.result
                m = {"instructions": counted.instructions, "counted_seconds": counted.seconds}
            m.update(
                html_pages_written=result.html_written,
                files_written=result.files_written,
                bytes_written=result.bytes_written,
                output_bytes=result.output_bytes,
                cache_bytes=result.cache_bytes,
            )
            builds[build] = m
        except Exception as exc:  # kept, and raised by the benchmarks that read this build
            builds[build] = {"error": f"{type(exc).__name__}: {exc}"}
    return {"site": SITE, "builds": builds, "startup": startup}


measure_instructions.timeout = PROFILE.prepare_timeout


def skip_unprobed(m: dict[str, Any]) -> None:
    """For ``setup``: asv records n/a (not a failure) for a number a bisect probe did not take."""
    if "skip" in m:
        raise NotImplementedError(m["skip"])


def measurement(m: dict[str, Any], key: str) -> int:
    """One number of ``measure_instructions``; raises what went wrong when there is none."""
    if "error" in m:
        raise RuntimeError(m["error"])
    if key == "instructions" and "instructions_error" in m:
        raise RuntimeError(m["instructions_error"])
    return m[key]


class BuildInstructions(SingleMeasurement):
    """Instructions executed by one CLI build with one worker (cachegrind's Ir total).

    Threshold 1%: an A/A run through asv moved counts by at most 0.002%, repeated counts of one
    build by up to 0.013%."""

    regression_threshold = 0.01

    setup_cache = staticmethod(measure_instructions)
    exact = True  # a count the runner's load cannot move: the exact tier's
    params = [[SITE], list(BUILDS)]
    param_names = ("site", "build")
    version = "1"

    def setup(self, cache: dict, site: str, build: str) -> None:
        skip_unprobed(cache["builds"][build])

    def track_build_instructions(self, cache: dict, site: str, build: str) -> int:
        return measurement(cache["builds"][build], "instructions")

    track_build_instructions.unit = "instructions"


class StartupInstructions(SingleMeasurement):
    """Instructions of ``bengal --version``: the interpreter and Bengal's imports, no site.

    Threshold 1%: an A/A run through asv moved counts by at most 0.002%, repeated counts of one
    build by up to 0.013%."""

    regression_threshold = 0.01

    setup_cache = staticmethod(measure_instructions)
    exact = True  # a count the runner's load cannot move: the exact tier's
    version = "1"

    def setup(self, cache: dict) -> None:
        skip_unprobed(cache["startup"])

    def track_startup_instructions(self, cache: dict) -> int:
        return measurement(cache["startup"], "instructions")

    track_startup_instructions.unit = "instructions"


class WorkCounters(SingleMeasurement):
    """What each build wrote and kept, exactly: HTML pages and all files written, bytes written,
    the size of the output tree and of Bengal's cache after the build.

    Threshold 1%: sizes in bytes moved by up to 0.09% A/A (dates; early themes list random
    pages); pages and files written are exact (0)."""

    regression_threshold = 0.01

    setup_cache = staticmethod(measure_instructions)
    exact = True  # a count the runner's load cannot move: the exact tier's
    params = [[SITE], list(BUILDS)]
    param_names = ("site", "build")
    version = "1"

    def setup(self, cache: dict, site: str, build: str) -> None:
        skip_unprobed(cache["builds"][build])

    def track_html_pages_written(self, cache: dict, site: str, build: str) -> int:
        return measurement(cache["builds"][build], "html_pages_written")

    track_html_pages_written.unit = "pages"
    track_html_pages_written.regression_threshold = 0.0

    def track_files_written(self, cache: dict, site: str, build: str) -> int:
        return measurement(cache["builds"][build], "files_written")

    track_files_written.unit = "files"
    track_files_written.regression_threshold = 0.0

    def track_bytes_written(self, cache: dict, site: str, build: str) -> int:
        return measurement(cache["builds"][build], "bytes_written")

    track_bytes_written.unit = "bytes"

    def track_output_bytes(self, cache: dict, site: str, build: str) -> int:
        return measurement(cache["builds"][build], "output_bytes")

    track_output_bytes.unit = "bytes"

    def track_cache_bytes(self, cache: dict, site: str, build: str) -> int:
        return measurement(cache["builds"][build], "cache_bytes")

    track_cache_bytes.unit = "bytes"
