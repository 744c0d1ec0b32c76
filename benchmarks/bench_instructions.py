"""Instruction counts and exact work counters: regressions of a few percent, without noise.

Wall time on a shared machine moves by tens of percent between identical runs; the instructions
a one-worker build executes (valgrind's cachegrind) move by hundredths of a percent, and the
files and bytes a build writes do not move at all. What is measured, and how, is
``benchmarks.families.instructions`` (``measure_instructions``): start-up alone, then a full CLI
build, a no-op and a one-page incremental rebuild of the profile's ``instruction_site``, each
validated.

What instruction counts miss (I/O, waiting, the worker pool, memory bandwidth) the wall-time,
memory and parallel benchmarks still see.
"""

from __future__ import annotations

from benchmarks.families import instructions
from benchmarks.families.instructions import BUILDS, SITE, measure_instructions
from benchmarks.results import read
from benchmarks.timing import BYTES_WRITTEN, EXACT, INSTRUCTIONS, SingleMeasurement


class BuildInstructions(SingleMeasurement):
    """Instructions executed by one CLI build with one worker (cachegrind's Ir total)."""

    regression_threshold = INSTRUCTIONS

    setup_cache = staticmethod(measure_instructions)
    exact = True  # a count the runner's load cannot move: the exact tier's
    params = [[SITE], list(BUILDS)]
    param_names = ("site", "build")
    version = "1"

    def track_build_instructions(self, cache: dict, site: str, build: str) -> int:
        return read(instructions.counted_build(cache, build), "instructions")

    track_build_instructions.unit = "instructions"


class StartupInstructions(SingleMeasurement):
    """Instructions of ``bengal --version``: the interpreter and Bengal's imports, no site."""

    regression_threshold = INSTRUCTIONS

    setup_cache = staticmethod(measure_instructions)
    exact = True  # a count the runner's load cannot move: the exact tier's
    version = "1"

    def track_startup_instructions(self, cache: dict) -> int:
        return read(instructions.counted_startup(cache), "instructions")

    track_startup_instructions.unit = "instructions"


class WorkCounters(SingleMeasurement):
    """What each build wrote and kept, exactly: HTML pages and all files written, bytes written,
    the size of the output tree and of Bengal's cache after the build. Sizes in bytes:
    ``BYTES_WRITTEN``; pages and files written are exact."""

    regression_threshold = BYTES_WRITTEN

    setup_cache = staticmethod(measure_instructions)
    exact = True  # a count the runner's load cannot move: the exact tier's
    params = [[SITE], list(BUILDS)]
    param_names = ("site", "build")
    version = "1"

    def track_html_pages_written(self, cache: dict, site: str, build: str) -> int:
        return read(instructions.counted_build(cache, build), "html_pages_written")

    track_html_pages_written.unit = "pages"
    track_html_pages_written.regression_threshold = EXACT

    def track_files_written(self, cache: dict, site: str, build: str) -> int:
        return read(instructions.counted_build(cache, build), "files_written")

    track_files_written.unit = "files"
    track_files_written.regression_threshold = EXACT

    def track_bytes_written(self, cache: dict, site: str, build: str) -> int:
        return read(instructions.counted_build(cache, build), "bytes_written")

    track_bytes_written.unit = "bytes"

    def track_output_bytes(self, cache: dict, site: str, build: str) -> int:
        return read(instructions.counted_build(cache, build), "output_bytes")

    track_output_bytes.unit = "bytes"

    def track_cache_bytes(self, cache: dict, site: str, build: str) -> int:
        return read(instructions.counted_build(cache, build), "cache_bytes")

    track_cache_bytes.unit = "bytes"
