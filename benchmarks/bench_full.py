"""Full builds: how long does a cold ``bengal build`` take, and how much memory does it need?

Every site of the profile is built once per commit through the CLI (``measure_once``); that one
build gives its wall and CPU time, the child's peak RSS and pages/s. The sampled sites are also
timed with asv's samples (for paired comparisons) and built in-process for asv's peakmem.
"""

import driver
from benchmarks.families import builds
from benchmarks.families.builds import measure_once
from benchmarks.profiles import PROFILE
from benchmarks.results import read
from benchmarks.sites import fresh_copy, parse_site, site_id
from benchmarks.timing import (
    PEAK_RSS,
    SAMPLED,
    SINGLE_MEASUREMENT,
    MultiSecondBuild,
    SingleMeasurement,
)

SITES = [site_id(kind, pages) for kind, pages in PROFILE.full_sites]
SAMPLED_SITES = [site_id(kind, pages) for kind, pages in PROFILE.sampled_full_sites]


class FullBuild(MultiSecondBuild):
    """A user's cold build through the ``bengal`` CLI (start-up included), output validated."""

    regression_threshold = SAMPLED

    params = SAMPLED_SITES
    param_names = ("site",)
    version = "1"

    def setup(self, site: str) -> None:
        self.build = driver.Build(
            fresh_copy(*parse_site(site)), mode="full", via="cli", timeout=PROFILE.build_timeout
        )

    def time_full_build(self, site: str) -> None:
        self.build.run()

    def teardown(self, site: str) -> None:
        if hasattr(self, "build"):
            self.build.verify()
            del self.build


class FullBuildMemory(SingleMeasurement):
    """Peak memory of a full build run in-process through Bengal's Python API.

    asv's peakmem is the whole benchmark process's peak RSS: ``peakmem_reference`` is the floor
    (interpreter, Bengal imported, site copied) to read the others against."""

    regression_threshold = PEAK_RSS

    params = SAMPLED_SITES
    param_names = ("site",)
    version = "1"

    def setup(self, site: str) -> None:
        self.build = driver.Build(fresh_copy(*parse_site(site)), mode="full", via="api")

    def peakmem_full_build(self, site: str) -> None:
        self.build.run()
        self.build.verify()

    def peakmem_reference(self, site: str) -> None:
        """Same setup, no build."""


class FullBuildReference(SingleMeasurement):
    """The numbers of the one validated CLI full build of each site per commit."""

    regression_threshold = SINGLE_MEASUREMENT

    params = SITES
    param_names = ("site",)
    version = "2"
    setup_cache = staticmethod(measure_once)

    def track_cli_wall_seconds(self, cache: dict, site: str) -> float:
        """Wall time of the build, start-up included (one build: history, not statistics)."""
        return read(builds.cli_build(cache, site), "wall_s")

    track_cli_wall_seconds.unit = "s"

    def track_cli_cpu_seconds(self, cache: dict, site: str) -> float:
        """User + system CPU time of the ``bengal`` child (os.wait4): what the machine spent."""
        return read(builds.cli_build(cache, site), "cpu_s")

    track_cli_cpu_seconds.unit = "s"

    def track_cli_peak_rss(self, cache: dict, site: str) -> float:
        """Peak RSS of the ``bengal`` child process (os.wait4), not of this process."""
        return read(builds.cli_build(cache, site), "peak_rss_mb")

    track_cli_peak_rss.unit = "MB"
    track_cli_peak_rss.regression_threshold = PEAK_RSS

    def track_pages_per_second(self, cache: dict, site: str) -> float:
        """HTML pages written per second of wall time, start-up included (higher is better)."""
        return read(builds.cli_build(cache, site), "pages_per_second")

    track_pages_per_second.unit = "pages/s"
    track_pages_per_second.higher_is_better = True
