"""The PR comment's trust boundary, fed as data: the compare run's record (compare-meta), the
workflow_run event, the asv results of the artifact and GitHub's API answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.ci import compare_meta

ROOT = Path(__file__).resolve().parents[1]
BASE, HEAD = "a" * 40, "b" * 40
REPO = "bengal-bench/bengal-benchmarks"


def meta_record(**over: object) -> dict:
    record = {
        "repository": REPO,
        "run_id": 4242,
        "pr": 123,
        "base": BASE,
        "head": HEAD,
        "profile": "pr",
        "factor": "",
        "pythons": ["3.14"],
        "machine": "gha-ubuntu-x64",
    }
    return {**record, **over}


def write_meta(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.ci.compare_meta", "--out", str(tmp_path / "meta.json"),
         "--repository", REPO, "--run-id", "4242", "--base", BASE, "--head", HEAD,
         "--profile", "pr", "--machine", "gha-ubuntu-x64", *args],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip


def test_trusted_inputs_round_trip(tmp_path) -> None:
    proc = write_meta(tmp_path, "--pr", "123", "--pythons", "3.14 3.14t", "--factor", "1.2")
    assert proc.returncode == 0, proc.stderr
    meta = compare_meta.load(tmp_path / "meta.json")
    assert (meta.pr, meta.base, meta.head, meta.factor) == (123, BASE, HEAD, "1.2")
    assert meta.pythons == ("3.14", "3.14t") and meta.run_id == 4242
    assert write_meta(tmp_path).returncode == 0
    assert compare_meta.load(tmp_path / "meta.json").pr is None  # a plain base..head run


@pytest.mark.parametrize(
    "args,words",
    [
        (["--pr", "12; rm -rf /"], "pr '12; rm -rf /' is not a pull request number"),
        (["--pr", "0"], "pr '0' is not a pull request number"),
        (["--factor", "1.2 --bench x"], "factor '1.2 --bench x' is malformed"),
        (["--pythons", "3.14 pypy"], "python 'pypy' is not a version like 3.14 or 3.14t"),
    ],
)
def test_trusted_inputs_refuse_malformed_input(tmp_path, args: list[str], words: str) -> None:
    proc = write_meta(tmp_path, *args)
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: {words}", proc.stderr
    assert not (tmp_path / "meta.json").exists()


@pytest.mark.parametrize(
    "over,words",
    [
        ({"pr": "123"}, "pr '123' is malformed"),
        ({"head": "b" * 39}, "head"),
        ({"run_id": True}, "run_id True is malformed"),
        ({"extra": 1}, "fields"),
        ({"pythons": []}, "pythons [] is malformed"),
    ],
)
def test_a_tampered_record_is_refused(tmp_path, over: dict, words: str) -> None:
    path = tmp_path / "meta.json"
    path.write_text(json.dumps(meta_record(**over)))
    with pytest.raises(compare_meta.MetaError, match=words.replace("[", r"\[").replace("]", r"\]")):
        compare_meta.load(path)
