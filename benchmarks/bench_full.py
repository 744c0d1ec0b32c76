"""Full builds: how long does a cold ``bengal build`` take, and how much memory does it need?"""

import driver
from benchmarks.measure import measure_once
from benchmarks.profiles import PROFILE
from benchmarks.sites import fresh_copy, parse_site, site_id
from benchmarks.timing import MultiSecondBuild, SingleMeasurement

SITES = [site_id(kind, pages) for kind, pages in PROFILE.full_sites]


class FullBuild(MultiSecondBuild):
    """A user's cold build through the ``bengal`` CLI (start-up included), output validated."""

    params = SITES
    param_names = ("site",)
    version = "1"

    def setup(self, site: str) -> None:
        self.build = driver.Build(fresh_copy(*parse_site(site)), mode="full", via="cli")

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
    """

    params = SITES
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
    """End-to-end numbers of the validated CLI full build each commit's measurements start from."""

    params = SITES
    param_names = ("site",)
    version = "1"
    setup_cache = staticmethod(measure_once)

    def track_cli_peak_rss(self, cache: dict, site: str) -> float:
        """Peak RSS of the ``bengal`` child process (os.wait4), not of this process."""
        return cache["reference"][site]["peak_rss_mb"]

    track_cli_peak_rss.unit = "MB"

    def track_pages_per_second(self, cache: dict, site: str) -> float:
        """HTML pages written per second of wall time, start-up included (higher is better)."""
        return cache["reference"][site]["pages_per_second"]

    track_pages_per_second.unit = "pages/s"

    def track_cli_cpu_seconds(self, cache: dict, site: str) -> float:
        """User + system time of the ``bengal`` child (os.wait4): the work, without the waiting
        that wall time also holds."""
        return cache["reference"][site]["cpu_s"]

    track_cli_cpu_seconds.unit = "s"
