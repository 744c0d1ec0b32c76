"""The site settings each era reads, and how this repository writes them.

Why: no era has CLI flags for workers or parallelism, and early dev servers need a key that
``bengal new site`` writes; so these go into bengal.toml, replaced (never written in place:
generated sites are hard links into the scenario cache) and only when the value changes.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from driver.compat.probes import probe


def is_site(root: Path) -> bool:
    """A Bengal site root: ``bengal.toml``, or a split config directory (``config/_default``)."""
    return (root / "bengal.toml").exists() or (root / "config" / "_default").is_dir()


def read_config(root: Path) -> dict[str, Any]:
    path = root / "bengal.toml"
    if not path.exists():
        return {}
    return tomllib.loads(path.read_text())


def set_workers(root: Path, workers: int | None) -> bool:
    """Set ``[build] max_workers`` in bengal.toml (no CLI flag exists in any era).

    Rewrites the file only when the value changes (a config edit invalidates incremental caches).
    Returns True when the file changed.
    """
    if workers is None:
        return False
    return _set_build_setting(root, "max_workers", int(workers))


def _set_build_setting(root: Path, key: str, value: int | bool) -> bool:
    """Set ``[build] key = value`` in bengal.toml; True when the file changed."""
    path = root / "bengal.toml"
    text = path.read_text() if path.exists() else ""
    current = read_config(root).get("build", {}).get(key)
    if current == value and type(current) is type(value):  # TOML `1` is not `true`
        return False
    line = f"{key} = {str(value).lower() if isinstance(value, bool) else value}"
    lines = text.splitlines()
    out: list[str] = []
    section = ""
    done = False
    for ln in lines:
        stripped = ln.strip()
        if stripped.startswith("[") and not done and section == "build":
            out.append(line)
            done = True
        if stripped.startswith("["):
            section = stripped.strip("[]").strip()
        if section == "build" and re.match(rf"{re.escape(key)}\s*=", stripped):
            if not done:
                out.append(line)
                done = True
            continue
        out.append(ln)
    if not done:
        if section == "build":
            out.append(line)
        else:
            out += ["", "[build]", line]
    # Replace, never write in place: generated sites are hard links into the scenario cache.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(out) + "\n")
    os.replace(tmp, path)
    return True


class NoSingleWorker(RuntimeError):
    """This Bengal has no setting that limits a build to one worker."""


@functools.cache
def _reads_worker_setting() -> bool:
    """Whether the installed Bengal reads a ``max_workers`` config key anywhere (a string key,
    not the ``ThreadPoolExecutor(max_workers=...)`` argument)."""
    key = re.compile(r"""["']max_workers["']""")
    package = Path(probe().bengal_file).parent
    return any(key.search(p.read_text(errors="replace")) for p in package.rglob("*.py"))


def single_worker(root: Path) -> bool:
    """Ask this Bengal for a build with one worker: ``[build] max_workers = 1`` and
    ``parallel = false`` (no era has a CLI flag for the worker count; ``[build]`` is flattened
    into the config from v0.1.0 on). With several workers, thread scheduling changes the work
    from run to run (instruction counts spread by ~3% instead of ~0.01%).

    Raises NoSingleWorker when this Bengal reads no worker setting. Returns True when bengal.toml
    changed (a config edit invalidates incremental caches: call this before the first build).
    """
    if not _reads_worker_setting():
        raise NoSingleWorker(
            f"Bengal {probe().version} reads no `max_workers` setting: its builds cannot be "
            "limited to one worker, so their instruction counts would follow thread scheduling"
        )
    changed = set_workers(root, 1)
    return _set_build_setting(root, "parallel", False) or changed


def prepare_serve_site(root: Path) -> bool:
    """Give the site the ``baseurl = ""`` that ``bengal new site`` writes in every era.

    Early dev servers render templates strictly and the default theme reads
    ``site.config.baseurl``: without the key every page fails and the server lists a directory
    instead. Returns True when bengal.toml changed (replaced, never written in place).
    """
    path = root / "bengal.toml"
    try:
        cfg = read_config(root)
    except tomllib.TOMLDecodeError:
        return False  # the server reports it
    if "baseurl" in cfg or "baseurl" in cfg.get("site", {}):
        return False
    lines = path.read_text().splitlines()
    if "[site]" in (ln.strip() for ln in lines):
        i = [ln.strip() for ln in lines].index("[site]")
        lines.insert(i + 1, 'baseurl = ""')
    else:
        lines = ['baseurl = ""', *lines]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return True
