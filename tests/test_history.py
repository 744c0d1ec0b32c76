"""tools.asv_local.history: a dated, tagged, reproducible git history of Bengal's PyPI releases."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from tests import asv_session
from tools.asv_local import history as bengal_history


@pytest.fixture(scope="session")
def history() -> asv_session.History:
    return asv_session.history()


def git(repo, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_commits_are_the_releases_in_order_with_upload_dates(history) -> None:
    releases = bengal_history.fetch_releases()
    log = git(history.repo, "log", "--reverse", "--format=%H %at %ct %an <%ae> %s", "main")
    lines = log.splitlines()
    assert len(lines) == len(asv_session.VERSIONS)
    for line, version in zip(lines, asv_session.VERSIONS, strict=True):
        sha, author_ts, commit_ts, *_ = line.split()
        expected = int(releases[version].upload_time.timestamp())
        assert int(author_ts) == expected == int(commit_ts), (version, line)
        assert history.shas[version] == sha
        assert f"<{bengal_history.AUTHOR_EMAIL}>" in line and f"bengal {version}" in line
    assert datetime.fromtimestamp(expected, UTC).year >= 2026  # 0.5.1: June 2026


def test_tags_branch_and_tree(history) -> None:
    for version, sha in history.shas.items():
        assert git(history.repo, "rev-parse", f"v{version}^{{commit}}") == sha
        pkg_info = git(history.repo, "show", f"v{version}:PKG-INFO")
        assert f"\nVersion: {version}\n" in pkg_info
    assert git(history.repo, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert git(history.repo, "status", "--porcelain") == ""
    # the tree is the whole sdist: Bengal's package is there
    assert "bengal/__init__.py" in git(history.repo, "ls-tree", "-r", "--name-only", "v0.1.2")


def test_rebuild_gives_the_same_hashes(history, tmp_path) -> None:
    again = tmp_path / "again"
    releases = bengal_history.select_versions(
        bengal_history.fetch_releases(), list(asv_session.VERSIONS), None
    )
    shas = bengal_history.build_history(again, releases)
    assert shas == [history.shas[v] for v in asv_session.VERSIONS]
    # rebuilding over an existing repo with fewer versions resets main and drops stale tags
    shas_one = bengal_history.build_history(again, releases[:1])
    assert shas_one == shas[:1]
    assert git(again, "tag", "--list") == "v0.1.2"


def test_unknown_version_is_a_clear_error(tmp_path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.asv_local.history",
            str(tmp_path / "h"),
            "--versions",
            "9.9.9",
        ],
        capture_output=True,
        text=True,
        cwd=asv_session.ROOT,
    )
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert "9.9.9" in line and "0.1.2" in line and "0.5.1" in line


def test_latest_picks_the_newest_releases() -> None:
    releases = bengal_history.fetch_releases()
    newest = max(releases, key=bengal_history.version_key)
    chosen = bengal_history.select_versions(releases, None, 2)
    assert [r.version for r in chosen][-1] == newest
    assert bengal_history.version_key("0.1.10") > bengal_history.version_key("0.1.9")
