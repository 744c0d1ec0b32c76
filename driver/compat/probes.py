"""The installed Bengal's capabilities, probed, never looked up by version number.

Why probing: benchmarks also run on the commits between releases. The Python API is read from
``inspect.signature`` and dataclass fields, the CLI from its ``--help`` (cached on disk per
install, never when it crashes).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import scenario_gen
from driver.compat.logs import last_error

# Environment for every build: no PyPI update check, and let the CLI run on GIL Python in
# non-interactive mode (later commits refuse otherwise). A fixed hash seed for CLI children:
# some eras write hash()-derived ids and set-ordered keys into their JSON outputs, so two clean
# builds in two processes differ unless the seed is the same (in-process builds share theirs).
BUILD_ENV = {
    "CI": "1",
    "BENGAL_NO_UPDATE_CHECK": "1",
    "BENGAL_ALLOW_GIL": "1",
    "PYTHONHASHSEED": "0",
}


# The import a user's script does to build in-process; valid in every era.
IMPORT_API_STATEMENT = "from bengal.core.site import Site"


class BengalMissing(RuntimeError):
    """No usable Bengal in this interpreter."""


@dataclasses.dataclass(frozen=True)
class Caps:
    """What the installed Bengal's Python API supports (JSON-serialisable)."""

    version: str
    bengal_file: str
    api: str  # "options" (Site.build(BuildOptions)) or "kwargs" (Site.build(**kw))
    api_fields: tuple[str, ...]  # BuildOptions fields or Site.build keyword names
    api_incremental_default: Any  # None = auto, False = full by default

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class CliCaps:
    """What the installed ``bengal`` command supports; probed only when a CLI build is asked for,
    so that a commit whose CLI crashes still gets its in-process numbers."""

    cli: str  # path of the `bengal` script
    cli_build: tuple[str, ...]  # argv after `bengal` that starts a build
    cli_source: str  # "option" (--source DIR) or "positional"
    cli_incremental: str  # "both" (--incremental/--no-incremental), "opt-in", or "none"
    cli_quiet: str  # "--quiet" / "-q" / ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class CliBroken(RuntimeError):
    """The ``bengal`` command cannot start; the message is the CLI's own last error line."""


def _bengal_script() -> Path:
    """The `bengal` console script of the running interpreter's environment."""
    here = Path(sys.executable).parent / "bengal"
    if here.exists():
        return here
    found = shutil.which("bengal")
    if found is None:
        raise CliBroken(f"no `bengal` script next to {sys.executable} or on PATH")
    return Path(found)


def _help(script: Path, *args: str) -> str:
    """``bengal ARGS --help``; raises CliBroken with the CLI's last error line if it crashes."""
    argv = [os.fspath(script), *args, "--help"]
    try:
        proc = subprocess.run(
            argv,
            env={**os.environ, **BUILD_ENV, "COLUMNS": "200", "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        raise CliBroken(f"`{' '.join(argv[1:])}` did not answer within 300 s") from None
    text = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Traceback (most recent call last)" in text:
        raise CliBroken(
            f"`bengal {' '.join(argv[1:])}` exited {proc.returncode}: {last_error(text)}"
        )
    return text


def _probe_cli(script: Path) -> dict[str, Any]:
    argv, text = _command_help(script, "build")
    source = "option" if re.search(r"(^|\s)--source\b", text) else "positional"
    if "--no-incremental" in text:
        incr = "both"
    elif "--incremental" in text:
        incr = "opt-in"
    else:
        incr = "none"
    quiet = "--quiet" if "--quiet" in text else ("-q" if re.search(r"\s-q\b", text) else "")
    return {"cli_build": argv, "cli_source": source, "cli_incremental": incr, "cli_quiet": quiet}


def _probe_api() -> dict[str, Any]:
    from bengal.core.site import Site

    params = list(inspect.signature(Site.build).parameters)
    options_cls = _build_options_class()
    if options_cls is not None and len(params) > 1 and params[1] == "options":
        fields = tuple(f.name for f in dataclasses.fields(options_cls))
        by_name = {f.name: f for f in dataclasses.fields(options_cls)}
        default = by_name["incremental"].default if "incremental" in by_name else False
        return {"api": "options", "api_fields": fields, "api_incremental_default": default}
    sig = inspect.signature(Site.build)
    names = tuple(n for n in params[1:] if n != "options")
    incr = sig.parameters.get("incremental")
    default = incr.default if incr is not None else False
    return {"api": "kwargs", "api_fields": names, "api_incremental_default": default}


def _build_options_class() -> type | None:
    try:
        from bengal.orchestration.build.options import BuildOptions
    except ImportError:
        return None
    return BuildOptions


def _cache_file(key: str) -> Path:
    return scenario_gen.cache_root() / "probe" / f"{key}.json"


@functools.cache
def probe() -> Caps:
    """Probe the Python API of the Bengal installed in this interpreter (cached per process)."""
    try:
        import bengal
    except ImportError as exc:
        raise BengalMissing(f"Bengal is not installed in {sys.executable}: {exc}") from exc
    init = Path(bengal.__file__ or "")
    return Caps(
        version=str(getattr(bengal, "__version__", "unknown")),
        bengal_file=os.fspath(init),
        **_probe_api(),
    )


@functools.cache
def probe_cli() -> CliCaps:
    """Probe the ``bengal`` command (cached per process and on disk); raises CliBroken."""
    script, cli = _cached_probe("build", _probe_cli)
    return CliCaps(cli=os.fspath(script), **cli)


def _cached_probe(kind: str, probe_script: Any) -> tuple[Path, dict[str, Any]]:
    """``probe_script(script)`` of the ``bengal`` command, cached on disk per ``kind``.

    The key covers the interpreter, Bengal's package file and the script's mtimes, so a
    reinstall (asv installs every commit into the same env) probes again. A crash (CliBroken) is
    never cached. JSON lists come back as tuples.
    """
    init = Path(probe().bengal_file)
    script = _bengal_script()
    stamp = f"{kind}|{sys.executable}|{init}|{init.stat().st_mtime_ns}|{script.stat().st_mtime_ns}"
    cache = _cache_file(hashlib.sha256(stamp.encode()).hexdigest()[:20])
    try:
        found = json.loads(cache.read_text())
        return script, {k: tuple(v) if isinstance(v, list) else v for k, v in found.items()}
    except (OSError, ValueError, AttributeError):
        found = probe_script(script)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(found))
        os.replace(tmp, cache)
    except OSError:
        pass
    return script, found


def _command_help(script: Path, name: str) -> tuple[tuple[str, ...], str]:
    """The argv after ``bengal`` that runs ``name`` (``name`` or ``site name``) and its help."""
    top = _help(script)
    # A command listing line looks like "  build  🔨 Build…" (click) or "  build (b)  Build…".
    commands = set(re.findall(r"^\s{2,}([a-z][\w-]*)\b", top, re.M))
    if name in commands:
        argv: tuple[str, ...] = (name,)
    elif "site" in commands:
        argv = ("site", name)
    else:
        raise CliBroken(f"{script} --help lists neither `{name}` nor `site`")
    return argv, _help(script, *argv)
