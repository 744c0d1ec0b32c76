"""Build a local git repository whose commits are Bengal's PyPI releases.

Why: asv benchmarks *commits of a git repository*, and neither the tests nor CI here can reach
GitHub. Bengal's sdists on PyPI are real snapshots of its history, so one commit per release
(tree = the unpacked sdist, dated with the sdist's PyPI upload time, tagged ``vX.Y.Z``) gives asv
a release-granular history that works offline after one download.

    python -m tools.asv_local.history DEST --versions 0.1.2 0.5.1
    python -m tools.asv_local.history DEST --latest 3

The result is deterministic: a fixed author and the upload dates make the same versions always
produce the same commit hashes, so results recorded against one build of the history stay valid
for the next. Progress goes to stderr; stdout gets one ``<sha> v<version>`` line per commit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import scenario_gen

PYPI_JSON_URL = "https://pypi.org/pypi/bengal/json"
AUTHOR_NAME = "bengal-benchmarks history"
AUTHOR_EMAIL = "history@bengal-benchmarks.invalid"
BRANCH = "main"


class HistoryError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


@dataclass(frozen=True)
class Release:
    """One Bengal release on PyPI that has an sdist."""

    version: str
    filename: str
    url: str
    sha256: str
    upload_time: datetime  # timezone-aware, UTC

    @property
    def tag(self) -> str:
        return f"v{self.version}"


cache_root = scenario_gen.cache_root


def sdist_cache_dir() -> Path:
    return cache_root() / "bengal" / "sdists"


def log(msg: str) -> None:
    print(f"bengal_history: {msg}", file=sys.stderr, flush=True)


def version_key(version: str) -> tuple:
    """Sort key for release versions; numeric parts compare as numbers (0.1.10 > 0.1.9)."""
    try:
        from packaging.version import Version

        return (0, Version(version))
    except Exception:  # packaging missing or a non-PEP 440 string: fall back to digit runs
        return (1, tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.\-+]", version)))


def fetch_releases(cache_dir: Path | None = None, offline: bool = False) -> dict[str, Release]:
    """Bengal's releases with an sdist, from PyPI's JSON API (cached copy when offline)."""
    cache_dir = cache_dir or sdist_cache_dir()
    cached = cache_dir / "pypi-bengal.json"
    data = None
    if not offline:
        try:
            with urllib.request.urlopen(PYPI_JSON_URL, timeout=30) as resp:
                raw = resp.read()
            data = json.loads(raw)
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            tmp.write_bytes(raw)
            tmp.replace(cached)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if not cached.exists():
                msg = f"cannot reach {PYPI_JSON_URL} and no cached copy: {exc}"
                raise HistoryError(msg) from exc
            log(f"PyPI unreachable ({exc}); using cached release list {cached}")
    if data is None:
        if not cached.exists():
            raise HistoryError(f"offline and no cached release list at {cached}")
        data = json.loads(cached.read_text())
    releases: dict[str, Release] = {}
    for version, files in data.get("releases", {}).items():
        for f in files:
            if f.get("packagetype") != "sdist" or f.get("yanked"):
                continue
            stamp = f["upload_time_iso_8601"].replace("Z", "+00:00")
            releases[version] = Release(
                version=version,
                filename=f["filename"],
                url=f["url"],
                sha256=f["digests"]["sha256"],
                upload_time=datetime.fromisoformat(stamp),
            )
            break
    if not releases:
        raise HistoryError("PyPI lists no bengal sdists")
    return releases


def select_versions(
    releases: dict[str, Release], versions: list[str] | None, latest: int | None
) -> list[Release]:
    """The requested releases in version order; an unknown version lists what exists."""
    ordered = sorted(releases, key=version_key)
    if latest is not None:
        if latest < 1:
            raise HistoryError(f"--latest must be >= 1, got {latest}")
        chosen = ordered[-latest:]
    else:
        wanted = [v.removeprefix("v") for v in versions or []]
        unknown = [v for v in wanted if v not in releases]
        if unknown:
            raise HistoryError(
                f"unknown bengal version(s) {', '.join(unknown)}; "
                f"PyPI has sdists for: {', '.join(ordered)}"
            )
        if not wanted:
            raise HistoryError("no versions given (use --versions X.Y.Z ... or --latest N)")
        chosen = sorted(set(wanted), key=version_key)
    return [releases[v] for v in chosen]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_sdist(release: Release, cache_dir: Path | None = None) -> Path:
    """The release's sdist from the cache, or downloaded with ``pip download`` and verified."""
    cache_dir = cache_dir or sdist_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / release.filename
    if target.exists() and _sha256(target) == release.sha256:
        return target
    log(f"downloading {release.filename} with pip")
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        cmd = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--no-binary", ":all:", "--ignore-requires-python", "--disable-pip-version-check",
            "-d", tmp, f"bengal=={release.version}",
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
        got = Path(tmp) / release.filename
        if proc.returncode != 0 or not got.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
            raise HistoryError(f"pip download bengal=={release.version} failed: {tail[0]}")
        digest = _sha256(got)
        if digest != release.sha256:
            raise HistoryError(
                f"{release.filename}: sha256 {digest} does not match PyPI's {release.sha256}"
            )
        got.replace(target)
    return target


def unpack_sdist(sdist: Path, dest: Path) -> Path:
    """Unpack ``sdist`` into ``dest`` and return its single top-level directory."""
    with tarfile.open(sdist) as tar:
        tar.extractall(dest, filter="data")
    tops = [p for p in dest.iterdir()]
    if len(tops) != 1 or not tops[0].is_dir():
        raise HistoryError(f"{sdist.name}: expected one top-level directory, found {len(tops)}")
    return tops[0]


def _git(repo: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    base = [
        "git", "-c", "core.autocrlf=false", "-c", "core.filemode=true",
        "-c", "core.excludesFile=/dev/null", "-c", "commit.gpgSign=false",
        "-c", "tag.gpgSign=false", "-c", "init.defaultBranch=" + BRANCH,
    ]  # fmt: skip
    full_env = {**os.environ, **(env or {})}
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        if env is None or var not in env:
            full_env.pop(var, None)
    proc = subprocess.run(
        [*base, "-C", str(cwd or repo), *args], capture_output=True, text=True, env=full_env
    )
    if proc.returncode != 0:
        raise HistoryError(f"git {' '.join(args[:2])} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _commit_release(repo: Path, release: Release, tree_dir: Path, parent: str | None) -> str:
    """Write ``tree_dir`` as a commit on top of ``parent``; plumbing only, no work tree touched."""
    git_dir = repo / ".git" if (repo / ".git").exists() else repo
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "GIT_DIR": str(git_dir),
            "GIT_WORK_TREE": str(tree_dir),
            "GIT_INDEX_FILE": str(Path(tmp) / "index"),
        }
        _git(repo, "add", "--all", "--force", ".", env=env, cwd=tree_dir)
        tree = _git(repo, "write-tree", env=env, cwd=tree_dir)
    stamp = f"{int(release.upload_time.timestamp())} +0000"
    commit_env = {
        "GIT_AUTHOR_NAME": AUTHOR_NAME,
        "GIT_AUTHOR_EMAIL": AUTHOR_EMAIL,
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_NAME": AUTHOR_NAME,
        "GIT_COMMITTER_EMAIL": AUTHOR_EMAIL,
        "GIT_COMMITTER_DATE": stamp,
    }
    message = (
        f"bengal {release.version} (PyPI sdist)\n\n"
        f"Tree: the unpacked {release.filename}, uploaded to PyPI "
        f"{release.upload_time.isoformat()}.\nsha256: {release.sha256}\n"
    )
    args = ["commit-tree", tree, "-m", message]
    if parent:
        args += ["-p", parent]
    return _git(repo, *args, env=commit_env)


def build_history(dest: Path, releases: list[Release], cache_dir: Path | None = None) -> list[str]:
    """Create or update the repository at ``dest``; returns the commit hashes in order.

    Existing ``v*`` tags not in ``releases`` are removed and ``main`` is reset, so the repository
    always holds exactly the requested history (asv reads the branch and the tags).
    """
    if dest.exists() and any(dest.iterdir()) and not (dest / ".git").exists():
        raise HistoryError(f"{dest} exists, is not empty and is not a git repository")
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / ".git").exists():
        _git(dest, "init", "--quiet")
    sdists = [fetch_sdist(r, cache_dir) for r in releases]
    shas: list[str] = []
    parent: str | None = None
    for release, sdist in zip(releases, sdists, strict=True):
        with tempfile.TemporaryDirectory() as tmp:
            tree_dir = unpack_sdist(sdist, Path(tmp))
            parent = _commit_release(dest, release, tree_dir, parent)
        log(f"{release.tag} {parent[:10]} {release.upload_time:%Y-%m-%d %H:%M}Z")
        shas.append(parent)
    assert parent is not None
    wanted = {r.tag for r in releases}
    for tag in _git(dest, "tag", "--list", "v*").splitlines():
        if tag not in wanted:
            _git(dest, "tag", "--delete", tag)
    for release, sha in zip(releases, shas, strict=True):
        _git(dest, "tag", "--force", release.tag, sha)
    _git(dest, "symbolic-ref", "HEAD", f"refs/heads/{BRANCH}")
    _git(dest, "update-ref", f"refs/heads/{BRANCH}", parent)
    _git(dest, "reset", "--hard", "--quiet", parent)
    return shas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.asv_local.history",
        description="Build a local git repository of Bengal's PyPI releases (one commit each).",
    )
    parser.add_argument("dest", type=Path, help="repository to create or update")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--versions", nargs="+", metavar="X.Y.Z", help="releases to include")
    group.add_argument("--latest", type=int, metavar="N", help="the N newest releases")
    parser.add_argument(
        "--offline", action="store_true", help="use the cached release list and sdists only"
    )
    args = parser.parse_args(argv)
    try:
        releases = select_versions(fetch_releases(offline=args.offline), args.versions, args.latest)
        log(f"building {args.dest} from {len(releases)} release(s) (cache {sdist_cache_dir()})")
        shas = build_history(args.dest.resolve(), releases)
    except HistoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for release, sha in zip(releases, shas, strict=True):
        print(f"{sha} {release.tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
