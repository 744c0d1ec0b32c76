"""Incremental correctness: after each kind of edit, does the incremental output equal a clean
full build of the same sources? Every number here should be 0 (Bengal 0.1.x's is not: it keeps
linking the old fingerprinted stylesheet after a CSS edit)."""

import driver
from benchmarks.common import (
    SingleMeasurement,
    edit_and_prepare,
    prepare_sites,
)


class IncrementalCorrectness(SingleMeasurement):
    setup_cache = staticmethod(prepare_sites)
    params = ["one_page", "batch", "asset", "config", "add_page", "delete_page"]
    param_names = ("change",)
    version = "1"

    def track_outputs_differing_from_clean_build(self, reference: dict, change: str) -> int:
        build, _ = edit_and_prepare(change, mode="incremental", via="api")
        build.run()
        build.verify()  # valid output; whether the edit reached every page is the diff's job
        return len(driver.incremental_diff(build.root))

    track_outputs_differing_from_clean_build.unit = "files"
