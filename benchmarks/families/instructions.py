"""The instruction-count family: instruction counts and exact work counters, regressions of a
few percent without noise.

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
from benchmarks.results import VOIDED, Measurement, failed, finding, is_value, skip
from benchmarks.sites import fresh_copy, site_id
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
    startup = skip(NOT_PROBED)
    floor: int | None = None
    if PROBED_STARTUP or (PROBED_BUILDS and not missing):
        try:
            counted = instructions.count_startup()
            floor = counted.instructions
            measured = {"instructions": floor, "counted_seconds": counted.seconds}
        except Exception as exc:
            measured = failed(exc)
        if PROBED_STARTUP:
            startup = measured
    builds: dict[str, Measurement] = {b: skip(NOT_PROBED) for b in BUILDS}
    for build in PROBED_BUILDS:
        mode, edit = BUILDS[build]
        if build != "full" and not is_value(builds["full"]):
            builds[build] = finding(f"needs the full build: {builds['full']['error']}")
            continue
        try:
            change = scenario_gen.apply_edit(root, edit, batch_pages=1, salt=_SALT)
            if missing:
                result = instructions.build_one_worker(root, mode, change)
                m: Measurement = {VOIDED: {"instructions": missing}}
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
            builds[build] = failed(exc)
    return {"site": SITE, "builds": builds, "startup": startup}


measure_instructions.timeout = PROFILE.prepare_timeout


# The views: one measurement per benchmark, read with ``benchmarks.results.read``.


def counted_build(cache: dict[str, Any], build: str) -> Measurement:
    """The build ``build`` of ``BUILDS``: its instructions and work counters."""
    return cache["builds"][build]


def counted_startup(cache: dict[str, Any]) -> Measurement:
    """``bengal --version``: its instructions."""
    return cache["startup"]
