"""Full builds: how long does a cold ``bengal build`` take, and how much memory does it need?

Every site of the profile is built once per commit through the CLI (``measure_once``); that one
build gives its wall and CPU time, the child's peak RSS and pages/s. The sampled sites are also
timed with asv's samples (for paired comparisons) and built in-process for asv's peakmem.
"""

import driver
from benchmarks.measure import measure_once, measurement
from benchmarks.profiles import PROFILE
from benchmarks.sites import fresh_copy, parse_site, site_id
from benchmarks.timing import MultiSecondBuild, SingleMeasurement

SITES = [site_id(kind, pages) for kind, pages in PROFILE.full_sites]
SAMPLED_SITES = [site_id(kind, pages) for kind, pages in PROFILE.sampled_full_sites]


class FullBuild(MultiSecondBuild):
    """A user's cold build through the ``bengal`` CLI (start-up included), output validated.

    Threshold 10%: sampled, and asv's significance test must also find the change (no A/A
    figure: asv's default factor)."""

    regression_threshold = 0.1

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
    (interpreter, Bengal imported, site copied) to read the others against.

    Threshold 5%: one build's peak RSS (no A/A figure yet; kept from the first config)."""

    regression_threshold = 0.05

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
    """The numbers of the one validated CLI full build of each site per commit.

    Threshold 50%: one value per commit, no statistics; an A/A run of the pr profile on 2 shared
    cores moved such values by up to 34%. Peak RSS: 5%."""

    regression_threshold = 0.5

    params = SITES
    param_names = ("site",)
    version = "2"
    setup_cache = staticmethod(measure_once)

    def track_cli_wall_seconds(self, cache: dict, site: str) -> float:
        """Wall time of the build, start-up included (one build: history, not statistics)."""
        return measurement(cache["reference"][site], "wall_s")

    track_cli_wall_seconds.unit = "s"

    def track_cli_cpu_seconds(self, cache: dict, site: str) -> float:
        """User + system CPU time of the ``bengal`` child (os.wait4): what the machine spent."""
        return measurement(cache["reference"][site], "cpu_s")

    track_cli_cpu_seconds.unit = "s"

    def track_cli_peak_rss(self, cache: dict, site: str) -> float:
        """Peak RSS of the ``bengal`` child process (os.wait4), not of this process."""
        return measurement(cache["reference"][site], "peak_rss_mb")

    track_cli_peak_rss.unit = "MB"
    track_cli_peak_rss.regression_threshold = 0.05

    def track_pages_per_second(self, cache: dict, site: str) -> float:
        """HTML pages written per second of wall time, start-up included (higher is better)."""
        return measurement(cache["reference"][site], "pages_per_second")

    track_pages_per_second.unit = "pages/s"
    track_pages_per_second.higher_is_better = True
