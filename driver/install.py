"""Install one Bengal commit or release with the dependencies of its day.

Bengal's sibling packages are not pinned, so an old Bengal with today's dependencies builds broken
sites that exit 0. Every install here builds a wheel of Bengal from source, then resolves its
dependencies with ``pip install --uploaded-prior-to <date>`` (date = the commit's date, or the
sdist's PyPI upload time for a release).

This machine's pip config adds local indexes and find-links that carry no upload dates and so
escape the cutoff: every pip call runs with ``PIP_CONFIG_FILE=/dev/null`` and without index
overrides (see ``pip_env``).

Usage::

    python -m driver.install asv-build BUILD_DIR BUILD_CACHE_DIR   # asv build_command
    python -m driver.install asv-install BUILD_CACHE_DIR           # asv install_command
    python -m driver.install env 0.5.1 [--python python3.14] [--unpinned] [--date ISO]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import scenario_gen

DATE_FILE = "bengal-commit-date.txt"
PYPI_JSON = "https://pypi.org/pypi/bengal/json"
# pip settings that add package sources without upload dates (they would escape the date cutoff).
_SOURCE_OVERRIDES = (
    "PIP_FIND_LINKS",
    "PIP_EXTRA_INDEX_URL",
    "PIP_INDEX_URL",
    "PIP_NO_INDEX",
    "PIP_CONFIG_FILE",
    "PIP_TRUSTED_HOST",
)


class InstallError(RuntimeError):
    """An install step failed; the message says which and why."""


def log(msg: str) -> None:
    print(f"[driver.install] {msg}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    return scenario_gen.cache_root() / "bengal"


def pip_env() -> dict[str, str]:
    """Environment for pip: PyPI only (plus PIP_CERT etc.), no machine-wide config."""
    env = {k: v for k, v in os.environ.items() if k not in _SOURCE_OVERRIDES}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(argv: Sequence[str | os.PathLike[str]], **kw) -> subprocess.CompletedProcess[str]:
    cmd = [os.fspath(a) for a in argv]
    log("$ " + " ".join(cmd))
    proc = subprocess.run(cmd, env=pip_env(), text=True, capture_output=True, **kw)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise InstallError(
            f"{cmd[0]} {' '.join(cmd[1:4])} … failed (rc={proc.returncode}):\n" + "\n".join(tail)
        )
    return proc


def build_wheel(source: Path, dest: Path, python: str = sys.executable) -> Path:
    """Build a wheel of Bengal (no dependencies) from a source tree or sdist into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    before = set(dest.glob("*.whl"))
    _run([python, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dest, source])
    new = sorted(set(dest.glob("*.whl")) - before) or sorted(dest.glob("bengal-*.whl"))
    if not new:
        raise InstallError(f"pip wheel produced no wheel in {dest}")
    return new[-1]


def commit_date(source: Path) -> str:
    """The committer date (ISO 8601) of the checkout at ``source``."""
    proc = subprocess.run(
        ["git", "-C", os.fspath(source), "log", "-1", "--format=%cI"],
        text=True,
        capture_output=True,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise InstallError(f"cannot read the commit date of {source}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def install_wheel(python: str | os.PathLike[str], wheel: Path, date: str | None) -> None:
    """Install ``wheel`` into ``python``'s env with dependencies as of ``date`` (None: today).

    The env may hold another commit's dependencies (asv reuses one env for every commit), so the
    dependency set is resolved from scratch first and then installed as exact pins: pip then
    up- or downgrades exactly what differs. Bengal itself is force-reinstalled from the wheel,
    because commits between releases share a version number.
    """
    cutoff = ["--uploaded-prior-to", date] if date else []
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        _run(
            [
                python,
                "-m",
                "pip",
                "install",
                "-q",
                "--dry-run",
                "--ignore-installed",
                "--report",
                report,
                *cutoff,
                wheel,
            ]
        )
        resolved = json.loads(report.read_text())["install"]
    pins = [
        f"{item['metadata']['name']}=={item['metadata']['version']}"
        for item in resolved
        if item["metadata"]["name"].lower() != "bengal"
    ]
    if pins:
        _run([python, "-m", "pip", "install", "-q", *cutoff, *pins])
    _run([python, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", wheel])
    log(f"installed {wheel.name} with dependencies as of {date or 'today'}: {' '.join(pins)}")


# --- asv ---


def asv_build(build_dir: Path, build_cache_dir: Path) -> Path:
    """asv build_command: wheel of the checkout into the cache dir, plus its commit date."""
    date = commit_date(build_dir)
    for old in build_cache_dir.glob("bengal-*.whl"):
        old.unlink()
    wheel = build_wheel(build_dir, build_cache_dir)
    (build_cache_dir / DATE_FILE).write_text(date + "\n")
    return wheel


def asv_install(build_cache_dir: Path) -> None:
    """asv install_command: the wheel from asv_build, with date-pinned dependencies."""
    wheels = sorted(build_cache_dir.glob("bengal-*.whl"))
    date_file = build_cache_dir / DATE_FILE
    if not wheels or not date_file.exists():
        raise InstallError(f"no bengal wheel + {DATE_FILE} in {build_cache_dir}: run asv-build")
    install_wheel(sys.executable, wheels[-1], date_file.read_text().strip())


# --- cached virtualenvs for tools and tests ---


def pypi_sdist_date(version: str) -> str:
    """Upload time of the sdist of ``bengal==version`` on PyPI."""
    with urllib.request.urlopen(PYPI_JSON, timeout=60) as resp:
        releases = json.load(resp)["releases"]
    if version not in releases:
        raise InstallError(f"unknown Bengal version {version!r} (not on PyPI)")
    for f in releases[version]:
        if f["packagetype"] == "sdist":
            return f["upload_time_iso_8601"]
    raise InstallError(f"bengal {version} has no sdist on PyPI")


def _looks_like_version(spec: str) -> bool:
    return bool(spec) and spec[0].isdigit() and not Path(spec).exists()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _env_key(spec: str, python: str, pinned: bool, date: str | None) -> str:
    if _looks_like_version(spec):
        name = spec
    else:
        src = Path(spec).resolve()
        name = src.name + "-" + hashlib.sha256(os.fsencode(src)).hexdigest()[:8]
    pyver = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    tag = "pinned" if pinned else "unpinned"
    if date:
        tag += "-" + hashlib.sha256(date.encode()).hexdigest()[:6]
    return f"{name}-py{pyver}-{tag}"


def ensure_bengal_env(
    spec: str,
    *,
    python: str = "python3.14",
    pin_dependencies: bool = True,
    date: str | None = None,
) -> Path:
    """Return the python of a cached virtualenv holding Bengal ``spec``.

    ``spec`` is a PyPI version ("0.5.1"), a source checkout or an sdist path. Dependencies are
    resolved as of ``date`` (default: the sdist's PyPI upload time, or the checkout's commit
    date) unless ``pin_dependencies`` is False (today's dependencies). A venv cannot be renamed
    (its scripts hold absolute paths), so it is built in place and only counts once its
    ``.complete`` marker exists; a half-finished one is deleted and rebuilt.
    """
    if shutil.which(python) is None and not Path(python).exists():
        raise InstallError(f"python interpreter {python!r} not found")
    root = cache_root()
    key = _env_key(spec, python, pin_dependencies, date)
    env_dir = root / "envs" / key
    env_python = env_dir / "bin" / "python"
    marker = env_dir / ".complete"
    if marker.exists():
        return env_python
    with _locked(root / "locks" / f"{key}.lock"):
        if marker.exists():
            return env_python
        if env_dir.exists():
            log(f"removing half-finished env {env_dir}")
            shutil.rmtree(env_dir)
        log(f"creating Bengal env {key} in {env_dir}")
        if _looks_like_version(spec):
            when = date or pypi_sdist_date(spec)  # also rejects unknown versions early
            _run([python, "-m", "venv", env_dir])
            source = _download_sdist(spec, root / "sdists", python=os.fspath(env_python))
        else:
            source = Path(spec).resolve()
            if not source.exists():
                raise InstallError(f"no such Bengal source: {source}")
            when = date or (commit_date(source) if source.is_dir() else None)
            if when is None and pin_dependencies:
                raise InstallError(f"{source}: give date= to pin the dependencies of an sdist")
            _run([python, "-m", "venv", env_dir])
        with tempfile.TemporaryDirectory() as tmp:
            wheel = build_wheel(source, Path(tmp), python=os.fspath(env_python))
            install_wheel(env_python, wheel, when if pin_dependencies else None)
        _run([env_python, "-c", "import bengal"])
        marker.write_text(json.dumps({"spec": spec, "date": when, "pinned": pin_dependencies}))
        log(f"ready: {env_python}")
    return env_python


def _download_sdist(version: str, dest: Path, python: str) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(dest.glob(f"bengal-{version}.tar.gz"))
    if found:
        return found[0]
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        _run(
            [
                python,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                tmp,
                f"bengal=={version}",
            ]
        )
        files = list(Path(tmp).glob("bengal-*"))
        if not files:
            raise InstallError(f"pip download of bengal=={version} gave no sdist")
        target = dest / files[0].name
        os.replace(files[0], target)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m driver.install", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("asv-build", help="asv build_command: wheel + commit date into the cache")
    p.add_argument("build_dir", type=Path)
    p.add_argument("build_cache_dir", type=Path)
    p = sub.add_parser("asv-install", help="asv install_command: date-pinned install of the wheel")
    p.add_argument("build_cache_dir", type=Path)
    p = sub.add_parser("env", help="create/reuse a cached Bengal venv; prints its python")
    p.add_argument("spec", help="PyPI version (0.5.1), source checkout or sdist path")
    p.add_argument("--python", default="python3.14")
    p.add_argument("--unpinned", action="store_true", help="today's dependencies")
    p.add_argument("--date", help="dependency cutoff (ISO 8601) instead of the default")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "asv-build":
            print(asv_build(args.build_dir, args.build_cache_dir))
        elif args.cmd == "asv-install":
            asv_install(args.build_cache_dir)
        else:
            print(
                ensure_bengal_env(
                    args.spec,
                    python=args.python,
                    pin_dependencies=not args.unpinned,
                    date=args.date,
                )
            )
    except InstallError as exc:
        print(f"driver.install: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
