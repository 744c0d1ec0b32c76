"""The suite's asv names, types, units, versions and parameters stay what the published history
holds (a snapshot taken before the catalogue and the family modules were introduced)."""

from __future__ import annotations

import json

from tests.asv_names import ROOT, snapshot


def test_the_suite_is_the_one_the_history_knows() -> None:
    expected = json.loads((ROOT / "tests/data/asv-benchmarks.json").read_text())
    found = snapshot()
    assert sorted(expected) == ["nightly", "pr", "smoke"] and len(expected["pr"]) > 50
    for profile, benchmarks in expected.items():
        assert sorted(found[profile]) == sorted(benchmarks), profile
        for name, fields in benchmarks.items():
            assert found[profile][name] == fields, (profile, name)
