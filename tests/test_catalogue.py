"""The catalogue is derived from the classes, and a new class needs no other file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import catalogue
from catalogue import __main__ as generated
from catalogue import tiers

ROOT = catalogue.ROOT

THROWAWAY = '''

class Throwaway(SingleMeasurement):
    """A benchmark added by writing one class (tests/test_catalogue.py)."""

    setup_cache = staticmethod(measure_edits)
    exact = True
    regression_threshold = 0.2
    version = "1"

    def track_widgets(self, cache: dict) -> int:
        return 1

    track_widgets.unit = "widgets"
'''


def test_the_generated_files_are_what_the_classes_give() -> None:
    assert generated.stale() == []
    names = {e.name for e in catalogue.load()}
    assert names == {e.name for e in catalogue.build()}
    asv_names = json.loads((ROOT / "tests/data/asv-benchmarks.json").read_text())["pr"]
    assert names == set(asv_names)  # exactly asv's own discovery


def test_every_benchmark_runs_in_exactly_one_part_of_the_scale_tier() -> None:
    for entry in catalogue.load():
        scale = [p for p in tiers.parts_of(entry) if p.startswith("scale/")]
        assert len(scale) == 1, (entry.name, scale)
        exact = [p for p in tiers.parts_of(entry) if p.startswith("exact/")]
        assert len(exact) == (1 if entry.exact else 0), (entry.name, exact)


def test_a_new_class_lands_in_its_part_family_comment_and_thresholds(tmp_path: Path) -> None:
    """A copy of the suite with one more class: the catalogue built from that copy puts it in
    the exact tier's counters and the scale tier's edits (its setup_cache), in its module's
    family with its unit, and asv.conf.json's generated thresholds give it its 20%."""
    shutil.copytree(ROOT / "benchmarks", tmp_path / "benchmarks")
    with (tmp_path / "benchmarks" / "bench_config.py").open("a") as fh:
        fh.write(THROWAWAY)
    code = (
        "import sys; from pathlib import Path; import catalogue; "
        "sys.stdout.write(catalogue.to_json(catalogue.build(Path('benchmarks').resolve())))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120,
    ).stdout  # fmt: skip
    (tmp_path / "catalogue.json").write_text(out)
    entries = {e.name: e for e in catalogue.load(tmp_path / "catalogue.json")}
    new = entries["bench_config.Throwaway.track_widgets"]
    assert (new.family, new.unit, new.threshold, new.setup_cache) == (
        "config", "widgets", 0.2, "measure_edits"
    )  # fmt: skip
    assert tiers.parts_of(new) == ["exact/counters", "scale/edits"]
    from catalogue import thresholds
    from tools.ci import comment_body

    allowed = comment_body.allowed_benchmarks(tmp_path / "catalogue.json")
    assert allowed[new.name] == comment_body.Known("widgets", "config", False)
    _, table = thresholds.tables(list(entries.values()))
    assert thresholds.threshold_of(table, new.name) == 0.2
    assert len(entries) == len(catalogue.load()) + 1
