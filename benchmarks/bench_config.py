"""Config-change detection: does changing the resolved config rebuild everything, once?"""

import driver
from benchmarks.common import (
    PROFILE,
    SingleMeasurement,
    edit_and_prepare,
    prepare_sites,
    warm_up_in_process,
)


class ConfigChange(SingleMeasurement):
    """A site-title change must rewrite every page (1 = it did); the no-op build after it must
    rewrite none (Bengal 0.1.0 kept doing full rebuilds after any config change)."""

    setup_cache = staticmethod(prepare_sites)
    version = "1"

    def setup(self, reference: dict) -> None:
        warm_up_in_process(*PROFILE.edit_site)
        self.build, edit = edit_and_prepare("config", mode="incremental", via="api")
        self.build.run()
        self.config_build = self.build.verify(change=edit)

    def track_config_change_rebuilt_all(self, reference: dict) -> int:
        return int(self.config_build.full_rebuild)

    track_config_change_rebuilt_all.unit = "bool"

    def track_noop_after_config_change_rebuilt_pages(self, reference: dict) -> int:
        return driver.build(self.build.root, mode="incremental", via="api").html_written

    track_noop_after_config_change_rebuilt_pages.unit = "pages"
