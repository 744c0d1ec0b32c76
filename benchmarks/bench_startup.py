"""Start-up: what does a user wait for before Bengal does any site work?"""

import driver
from benchmarks.sites import fresh_copy
from benchmarks.timing import SAMPLED, MultiSecondBuild


class Startup(MultiSecondBuild):
    """A one-page site built through the CLI: start-up dominates."""

    regression_threshold = SAMPLED
    version = "1"

    def setup(self) -> None:
        self.build = driver.Build(fresh_copy("flat", 1, name="tiny"), mode="full", via="cli")

    def time_cli_tiny_site(self) -> None:
        """End to end: interpreter start, imports, a one-page site (and the theme's assets)."""
        self.build.run()

    def teardown(self) -> None:
        if hasattr(self, "build"):
            self.build.verify()
            del self.build


class ImportTime:
    """Seconds to import Bengal's build API in a fresh interpreter."""

    regression_threshold = SAMPLED
    version = "1"
    repeat = (6, 10, 30.0)

    def timeraw_import_bengal(self) -> str:
        return driver.IMPORT_API_STATEMENT
