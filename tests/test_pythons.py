"""A second asv environment on free-threaded Python, chosen by configuration.

No 3.14t interpreter exists on these machines, so what is tested is the selection: the default
stays 3.14 alone, ``--pythons`` writes asv's ``pythons`` list, and a python that is not on PATH is
one clear line before asv starts. Whether the parallel benchmark shows a free-threading speedup
needs a machine with ``python3.14t``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.asv_local import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "bengal"
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    return path


def test_default_config_keeps_asv_conf_pythons(repo, tmp_path) -> None:
    conf = cli.write_config(repo, tmp_path / "asv.local.conf.json")
    assert cli.load_asv_json(conf)["pythons"] == ["3.14"]
    assert cli.load_asv_json(cli.BASE_CONF)["pythons"] == ["3.14"]


def test_pythons_reach_the_config(repo, tmp_path) -> None:
    pythons = cli.parse_pythons("3.14 3.14t")
    conf = cli.write_config(repo, tmp_path / "asv.local.conf.json", pythons=pythons)
    assert cli.load_asv_json(conf)["pythons"] == ["3.14", "3.14t"]
    assert cli.parse_pythons("3.14,3.14t") == ["3.14", "3.14t"]


@pytest.mark.parametrize("bad", ["", "3.14 evil", "python3.14t", "3.14;ls", "3"])
def test_malformed_pythons_are_refused(bad: str) -> None:
    with pytest.raises(cli.LocalError, match="--pythons"):
        cli.parse_pythons(bad)


def bin_dir(tmp_path: Path, *names: str) -> Path:
    """A PATH directory where each of ``names`` runs this interpreter."""
    path = tmp_path / "bin"
    path.mkdir(exist_ok=True)
    for name in names:
        (path / name).symlink_to(sys.executable)
    return path


def test_each_python_must_be_on_path(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(bin_dir(tmp_path, "python3.14")))
    assert cli.asv_env(["3.14"])["PIP_CONSTRAINT"]
    with pytest.raises(cli.LocalError, match=r"python3\.14t is not on PATH.*leave 3\.14t out"):
        cli.asv_env(["3.14", "3.14t"])
    (tmp_path / "bin" / "python3.14t").symlink_to(sys.executable)
    assert cli.asv_env(["3.14", "3.14t"])


def test_cli_with_a_missing_free_threaded_python(repo, tmp_path) -> None:
    """The command line writes the list, then stops with one line instead of running asv."""
    conf = tmp_path / "asv.local.conf.json"
    env = {
        **os.environ,
        "HOME": str(tmp_path),  # asv's machine file
        "PATH": f"{bin_dir(tmp_path, 'python3.14')}{os.pathsep}/usr/bin{os.pathsep}/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "tools.asv_local", "--repo", str(repo), "--config-out", str(conf),
         "--pythons", "3.14 3.14t", "run", "main^!"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error: python3.14t is not on PATH")
    assert json.loads(conf.read_text().split("\n", 1)[1])["pythons"] == ["3.14", "3.14t"]
