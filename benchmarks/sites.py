"""Generated sites at fixed paths: pristine copies, validated built states, and restoring them.

Every path is absolute and the same for every sample (Bengal's cache may store absolute paths).
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import driver
import scenario_gen
from benchmarks.profiles import PROFILE


def site_id(kind: str, pages: int) -> str:
    return f"{kind}-{pages}"


def parse_site(site: str) -> tuple[str, int]:
    """Inverse of ``site_id``: ``"api_docs-100"`` → ``("api_docs", 100)``."""
    kind, _, pages = site.rpartition("-")
    return kind, int(pages)


def _site_dir(kind: str, pages: int) -> Path:
    """Where a site is built and restored: always the same absolute path (caches may store it)."""
    return Path.cwd() / "sites" / site_id(kind, pages)


def fresh_copy(kind: str, pages: int, name: str = "fresh") -> Path:
    """A pristine, never-built copy of a site (for full builds)."""
    dest = _site_dir(kind, pages) / name
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    return scenario_gen.working_copy(scenario_gen.Scenario(kind=kind, pages=pages), dest)


def build_state(kind: str, pages: int, via: str = "cli") -> driver.BuildResult:
    """A validated full build of a pristine copy, snapshotted for ``restore``.

    The snapshot is only accepted if a no-op incremental build of a restored copy skips work:
    otherwise restoring would silently turn every incremental sample into a full build.
    """
    work = fresh_copy(kind, pages, name="work")
    full = driver.build(work, mode="full", via=via, timeout=PROFILE.build_timeout)
    state = work.with_name("state")
    shutil.rmtree(state, ignore_errors=True)
    shutil.copytree(work, state, symlinks=True)
    noop = driver.build(restore(kind, pages), mode="incremental", via="api")
    if noop.full_rebuild:
        raise RuntimeError(
            f"{site_id(kind, pages)}: a no-op incremental build of the restored state "
            f"rewrote all {noop.html_written} pages; incremental samples would be full builds"
        )
    return full


def restore(kind: str, pages: int) -> Path:
    """Put the validated built state back at its original path; returns the site root."""
    work = _site_dir(kind, pages) / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(work.with_name("state"), work, symlinks=True)
    return work


_salt = itertools.count()


def apply_edit(root: Path, edit: str) -> scenario_gen.Change | None:
    """Edit a site the way a user would (``scenario_gen.EDITS``), unique in this process."""
    return scenario_gen.apply_edit(
        root, edit, batch_pages=PROFILE.batch_pages, salt=f"{os.getpid()}-{next(_salt)}"
    )


def edit_and_prepare(edit: str, *, mode: str, via: str) -> tuple[driver.Build, scenario_gen.Change]:
    """Restore the edit site's built state, apply ``edit`` and prepare (not run) the rebuild."""
    root = restore(*PROFILE.edit_site)
    change = apply_edit(root, edit)
    return driver.Build(root, mode=mode, via=via), change


_warm = False


def warm_up_in_process(kind: str | None = None, pages: int | None = None) -> None:
    """One untimed in-process no-op build per process before its first measured in-process build.

    Bengal imports much of itself lazily during the first build; without this the first in-process
    sample would also time those imports and every later one would not. Needs the built state
    (``build_state``) of the site it rebuilds (default: the edit site).
    """
    global _warm
    if not _warm:
        site = (kind, pages) if kind and pages else PROFILE.edit_site
        driver.build(restore(*site), mode="incremental", via="api")
        _warm = True
