"""The real-site loader (scenario_gen.real) on a tiny docs site in a git repository made here.

The repository has the layout of Bengal's: ``site/`` (split config, content, snippets) and the
package its autodoc documents beside it, a tagged commit and a later one. Builds use real
releases: 0.1.2 (cheap; it has no autodoc, so it drops the API pages) and 0.5.1.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import driver
import scope
from scenario_gen import real
from tests.test_driver import run_driver

TAG = "v9.9.9"
FILES = {
    "site/config/_default/site.yaml": 'site:\n  title: "Tiny docs"\n  baseurl: ""\n',
    "site/config/_default/build.yaml": 'build:\n  output_dir: "public"\n',
    "site/config/_default/autodoc.yaml": (
        "autodoc:\n  python:\n    enabled: true\n    source_dirs:\n"
        "      - ../tinypkg  # the package documented\n"
        '    exclude:\n      - "*/tests/*"\n    include_private: false\n'
        "  cli:\n    enabled: false\n"
    ),
    "site/content/_index.md": "---\ntitle: Home\n---\n\nWelcome to the gizmometer handbook.\n",
    "site/content/docs/_index.md": "---\ntitle: Docs\n---\n\nEverything about calibrating.\n",
    "site/content/docs/install.md": (
        "---\ntitle: Install\n---\n\n## Steps\n\nInstall the flibbertigibbet first.\n\n"
        "```bash\npip install zzzcodeword\n```\n"
    ),
    "site/content/docs/draft.md": "---\ntitle: Later\ndraft: true\n---\n\nNot yet written.\n",
    "site/content/_snippets/note.md": "---\ntitle: Snippet\n---\n\nIncluded elsewhere.\n",
    "tinypkg/__init__.py": '"""Tinypkg measures sprockets."""\n',
    "tinypkg/widgets.py": '"""Widgets rotate marmalade."""\n\n\ndef spin(n: int) -> int:\n'
    '    """Spin n times."""\n    return n\n',
    "tinypkg/_private.py": '"""Hidden helpers."""\n',
    "tinypkg/tests/test_x.py": '"""Tests."""\n',
    "README.md": "not part of the site\n",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z"}
    env |= {"GIT_COMMITTER_DATE": env["GIT_AUTHOR_DATE"]}
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout


@pytest.fixture
def pythons(bengal_env) -> dict[str, Path]:
    """The two releases' pythons, resolved before ``repo`` points the cache elsewhere."""
    return {v: bengal_env(v) for v in ("0.1.2", "0.5.1")}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Bengal-shaped repository: the site at TAG, and a later commit that changes a page."""
    monkeypatch.setenv("BENGAL_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(scope.REPO_ENV, raising=False)
    monkeypatch.delenv("ASV_CONF_DIR", raising=False)
    repo = tmp_path / "bengal"
    for rel, text in FILES.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "docs")
    git(repo, "tag", TAG)
    (repo / "site/content/docs/install.md").write_text("---\ntitle: Install\n---\n\nAfter.\n")
    (repo / "site/content/docs/new.md").write_text("---\ntitle: New\n---\n\nNewer.\n")
    git(repo, "commit", "-qam", "after the tag")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a page after the tag")
    return repo


def test_site_is_taken_at_the_tag_with_pages_and_api_from_the_site(repo: Path) -> None:
    site = real.real_site(repo, TAG)
    commit = git(repo, "rev-parse", TAG).strip()
    assert site == Path(os.environ["BENGAL_BENCH_CACHE"]) / "real" / f"{TAG}-{commit[:12]}" / "site"
    assert "flibbertigibbet" in (site / "content/docs/install.md").read_text()  # the tag's
    assert not (site / "content/docs/new.md").exists()
    assert (site.parent / "tinypkg/widgets.py").is_file()  # the autodoc input, beside site/
    assert not (site.parent / "README.md").exists()  # nothing else of the repository
    manifest = json.loads((site / "scenario.json").read_text())
    assert manifest["params"] == {"kind": "real", "pages": 3, "tag": TAG, "commit": commit}
    pages = {p["output"]: p["token"] for p in manifest["pages"]}
    # No draft, no snippet; tokens are prose words, never code or headings.
    assert pages == {
        "index.html": "gizmometer",
        "docs/index.html": "calibrating",
        "docs/install/index.html": "flibbertigibbet",
    }
    modules = {m["module"]: m["token"] for m in manifest["autodoc"]["python"]}
    assert modules == {"tinypkg": "measures", "tinypkg.widgets": "rotate"}


def test_site_is_cached_by_tag(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = real.real_site(repo, TAG)
    stamp = (site / "scenario.json").stat().st_mtime_ns

    def no_second_extract(*args: object) -> None:
        raise AssertionError("the cached site was extracted again")

    monkeypatch.setattr(real, "_extract", no_second_extract)
    assert real.real_site(repo, TAG) == site
    assert (site / "scenario.json").stat().st_mtime_ns == stamp
    copy = real.working_copy(repo.parent / "work", repo, TAG)
    assert copy == repo.parent / "work" / "site"
    assert (copy / "scenario.json").read_bytes() == (site / "scenario.json").read_bytes()
    # A working copy is hard links: an edit replaces its file and never writes into the cache.
    change = real.edit_page(copy, "salt")
    assert change.rebuilt_outputs == ["docs/install/index.html"]
    assert change.token in (copy / "content/docs/install.md").read_text()
    assert change.token not in (site / "content/docs/install.md").read_text()


def test_skipped_with_one_line_without_a_repository(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(real.RealSiteUnavailable) as no_repo:
        real.real_site(None, TAG)
    with pytest.raises(real.RealSiteUnavailable) as no_tag:
        real.real_site(repo, "v0.0.0")
    history = tmp_path / "history"  # like a release history from sdists: a tag, no site/
    (history / "bengal").mkdir(parents=True)
    (history / "bengal/__init__.py").write_text("")
    git(history, "init", "-q")
    git(history, "add", "-A")
    git(history, "commit", "-qm", "release")
    git(history, "tag", TAG)
    with pytest.raises(real.RealSiteUnavailable) as no_site:
        real.real_site(history, TAG)
    for exc, why in ((no_repo, "no Bengal git repository"), (no_tag, "no tag v0.0.0")):
        assert why in str(exc.value)
    assert "has no site/" in str(no_site.value)
    for exc in (no_repo, no_tag, no_site):
        line = str(exc.value)
        assert "\n" not in line and "--repo PATH" in line and scope.REPO_ENV in line, line
    assert not (tmp_path / "cache" / "real").exists() or not any(
        (tmp_path / "cache/real").iterdir()
    )


def test_benchmarks_skip_with_that_line(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import bench_real
    from benchmarks.families import real as family
    from benchmarks.profiles import PROFILES

    monkeypatch.setattr(family, "PROFILE", PROFILES["nightly"])
    cache = family.measure_real()
    assert set(cache) == {"skip"} and "--repo PATH" in cache["skip"]
    with pytest.raises(NotImplementedError, match="--repo PATH"):
        bench_real.RealSiteBuild().track_build_seconds(cache)
    with pytest.raises(NotImplementedError, match="--repo PATH"):
        bench_real.RealSiteOnePage().track_missed_edit(cache)
    monkeypatch.setattr(family, "PROFILE", PROFILES["pr"])
    assert "leaves the real site out" in family.measure_real()["skip"]


def test_a_build_that_drops_pages_is_refused(pythons: dict[str, Path], repo: Path) -> None:
    """0.1.2 renders the authored pages but has no autodoc: refused, naming an API page. 0.5.1
    renders them all: accepted."""
    site = real.working_copy(repo.parent / "work", repo, TAG)
    old = run_driver(
        pythons["0.1.2"], "build", str(site), "--mode", "full", "--via", "cli", check=False
    )
    assert not old["ok"]
    assert old["error"] == "api/tinypkg/index.html: expected page missing (source autodoc:tinypkg)"

    new = real.working_copy(repo.parent / "work-new", repo, TAG)
    python = pythons["0.5.1"]
    ok = run_driver(python, "build", str(new), "--mode", "full", "--via", "cli", check=False)
    assert ok["ok"], ok["error"]
    assert (new / "public/api/tinypkg/widgets/index.html").is_file()

    # The same output without one authored page is refused too (validated in-process).
    (new / "public/docs/install/index.html").unlink()
    with pytest.raises(
        driver.BuildFailed, match=r"docs/install/index\.html: expected page missing"
    ):
        driver.validate(new, new / "public", ok["log"], {}, set())
