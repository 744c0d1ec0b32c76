"""On-disk scenario cache and cheap pristine working copies (hard links).

Why hard links are safe here: Bengal only reads sources and writes new files (`public/`,
`.bengal/`), and `Mutator` only ever replaces files (write a new file, then `os.replace`), which
swaps the directory entry of the working copy and never touches the cached inode. Nothing in
this package opens a working-copy source for writing in place.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import scope

from .generate import (
    TMP_MARK,
    check_target,
    generate,
    is_scenario_dir,
    load_manifest,
    move_into_place,
)
from .spec import Scenario, ScenarioError


def cache_root() -> Path:
    """``scope.cache_base()``: every cache of this suite (scenarios, Bengal installs, probes,
    histories) lives below it; safe to delete."""
    return scope.cache_base()


def cache_dir() -> Path:
    """`cache_root()/scenarios`: the generated sites."""
    return cache_root() / "scenarios"


def cached_scenario(spec: Scenario) -> Path:
    """Path of the cached pristine tree for `spec`, generating it once (atomic, race-safe)."""
    spec = spec.resolved()
    root = cache_dir()
    final = root / spec.cache_key()
    if is_scenario_dir(final):
        return final
    root.mkdir(parents=True, exist_ok=True)
    # Generate under a private name, then rename: concurrent generators each build their own
    # copy and the first rename wins; a crash leaves only a hidden temp dir.
    private = root / f".{spec.cache_key()}{TMP_MARK}{os.getpid()}-{time.monotonic_ns()}"
    generate(spec, private, load=False)
    try:
        os.rename(private, final)
    except OSError:
        if not is_scenario_dir(final):
            raise
        shutil.rmtree(private, ignore_errors=True)
    return final


def _link_tree(src: Path, dst: Path) -> None:
    """Recreate `src` at `dst` with directories made and files hard-linked."""
    os.mkdir(dst)
    src_s, dst_s = str(src), str(dst)
    cut = len(src_s)
    link, mkdir = os.link, os.mkdir
    for dirpath, dirnames, filenames in os.walk(src_s):
        out = dst_s + dirpath[cut:]
        for d in dirnames:
            mkdir(f"{out}/{d}")
        for f in filenames:
            link(f"{dirpath}/{f}", f"{out}/{f}")


def working_copy(spec: Scenario, dest: Path | str) -> Path:
    """A pristine copy of `spec` at `dest` (replacing an earlier scenario there); returns `dest`.

    Files are hard links into the cache; falls back to copying when linking is impossible
    (another filesystem).
    """
    dest = Path(dest).absolute()
    check_target(dest)
    linked_copy(cached_scenario(spec), dest)
    if not is_scenario_dir(dest):
        raise ScenarioError(f"working copy at {dest} has no manifest")
    return dest


__all__ = ["cache_dir", "cached_scenario", "load_manifest", "working_copy"]


def linked_copy(src: Path, dest: Path) -> None:
    """``src`` at ``dest`` as hard links (a copy across filesystems), replacing what was there:
    readers see the old tree or the new one, never a half-written one."""
    tmp = dest.parent / f".{dest.name}{TMP_MARK}{os.getpid()}-{time.monotonic_ns()}"
    try:
        try:
            _link_tree(src, tmp)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(src, tmp)
        move_into_place(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
