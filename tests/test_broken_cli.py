"""A Bengal whose ``bengal`` command crashes at start: the in-process families still produce
numbers, and the CLI families fail with the CLI's own error (its last traceback line).

The Bengal is a local commit of the 0.5.1 sdist whose console script points at a function that
raises, installed with the dependencies of 0.5.1's day.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

from driver import install

ROOT = Path(__file__).resolve().parents[1]
PLANTED = "RuntimeError: planted: the bengal command is broken"

PROBE = r"""
import json
from benchmarks import sites
from benchmarks.families import builds
from benchmarks.bench_full import FullBuildReference
from benchmarks.bench_incremental import DefaultCommandWork, IncrementalWork

out = {"reference": builds._reference_build("nested", 8)}
sites.build_state("nested", 8, via="api")
sites.warm_up_in_process()
cache = {"edits": {
    ("incremental", "one_page"): builds._measure_edit("one_page", mode="incremental", via="api"),
    ("default", "one_page"): builds._measure_edit("one_page", mode="default", via="cli"),
}, "reference": {"nested-8": out["reference"]}}
out["incremental_pages"] = IncrementalWork().track_rebuilt_pages(cache, "one_page")
out["incremental_speedup"] = IncrementalWork().track_speedup_over_full(cache, "one_page")
for name, call in {
    "default_pages": lambda: DefaultCommandWork().track_rebuilt_pages(cache, "one_page"),
    "cli_wall": lambda: FullBuildReference().track_cli_wall_seconds(cache, "nested-8"),
}.items():
    try:
        out[name] = call()
    except RuntimeError as exc:
        out[name] = "error: " + str(exc)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def broken_cli_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv of 0.5.1 with a planted crash in its console script."""
    install.ensure_bengal_env("0.5.1")  # caches the sdist
    src = tmp_path_factory.mktemp("broken-cli")
    with tarfile.open(install.cache_root() / "sdists" / "bengal-0.5.1.tar.gz") as tar:
        tar.extractall(src, filter="data")
    tree = src / "bengal-0.5.1"
    pyproject = tree / "pyproject.toml"
    text = pyproject.read_text()
    script = re.search(r'^bengal = "([^"]+)"$', text, re.MULTILINE)
    assert script, "the sdist's pyproject.toml declares no bengal console script"
    pyproject.write_text(text.replace(script.group(1), "bengal._planted_crash:run"))
    (tree / "bengal" / "_planted_crash.py").write_text(
        "def run():\n    raise RuntimeError('planted: the bengal command is broken')\n"
    )
    return install.ensure_bengal_env(os.fspath(tree), date=install.pypi_sdist_date("0.5.1"))


def test_in_process_numbers_survive_a_crashing_cli(broken_cli_python: Path, tmp_path: Path):
    proc = subprocess.run(
        [os.fspath(broken_cli_python), "-c", PROBE],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.fspath(ROOT), "BENGAL_BENCH_PROFILE": "smoke"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # In-process: the one-page rebuild of 0.5.1 rewrites the edited page and its neighbours.
    assert out["incremental_pages"] == 3
    assert out["incremental_speedup"] > 1
    # CLI: every CLI number fails with the CLI's own last error line.
    for name in ("default_pages", "cli_wall"):
        assert out[name].startswith("error: "), out[name]
        assert "the bengal command is broken" in out[name] and PLANTED in out[name], out[name]
