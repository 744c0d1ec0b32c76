"""The stand-ins a rehearsal needs: this repository and Bengal as local git repositories.

- ``origin.git``: a bare repository holding this working tree as ``main`` (tracked and untracked
  files, ignored ones left out), where the workflows push and read the ``results`` branch;
- ``bengal.git``: Bengal 0.1.2 from PyPI and a few commits on top (``tools.asv_local.planted``), a
  pull request (``refs/pull/1/head``) with a planted step of work in every build;
- ``gitconfig``: git's ``url.<local>.insteadOf`` sends both GitHub URLs to them, so the workflows
  clone "GitHub" unchanged; only processes started with this file as ``GIT_CONFIG_GLOBAL`` see it;
- ``checkout/``: the clone act runs in, whose ``origin`` names this repository on GitHub.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tools.asv_local import planted

ROOT = Path(__file__).resolve().parents[1]
OWNER = "bengal-bench"
REPOSITORY = f"{OWNER}/bengal-benchmarks"
BENGAL = "lbliii/bengal"
PR = 1
PLANTED_ITERATIONS = 2_000_000  # ~1 G instructions more in every build of the PR's head


class WorldError(Exception):
    """A stand-in could not be built: one line."""


@dataclass(frozen=True)
class World:
    root: Path

    @property
    def origin(self) -> Path:
        return self.root / "origin.git"

    @property
    def bengal(self) -> Path:
        return self.root / "bengal.git"

    @property
    def gitconfig(self) -> Path:
        return self.root / "gitconfig"

    @property
    def checkout(self) -> Path:
        return self.root / "checkout"

    def env(self) -> dict[str, str]:
        """The environment every process of the rehearsal gets (act passes it to the jobs)."""
        return {**os.environ, "GIT_CONFIG_GLOBAL": str(self.gitconfig), "GIT_TERMINAL_PROMPT": "0"}

    def bengal_commits(self, ref: str = "main") -> list[str]:
        """Bengal's first-parent commits on ``ref``, oldest first."""
        return git(self.bengal, "rev-list", "--first-parent", "--reverse", ref).split()


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), "-c", "commit.gpgSign=false", *args],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    if proc.returncode != 0:
        raise WorldError(f"git {' '.join(args)} in {repo}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def snapshot(dest: Path) -> None:
    """This working tree as one commit on ``main`` of the bare repository ``dest``."""
    files = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    work = dest.parent / "snapshot"
    shutil.rmtree(work, ignore_errors=True)
    for name in filter(None, files.split("\0")):
        src = ROOT / name
        if src.is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, work / name)
    git(work.parent, "init", "-q", "-b", "main", str(work))
    git(work, "add", "-A")
    who = {"GIT_AUTHOR_NAME": "rehearsal", "GIT_AUTHOR_EMAIL": "rehearsal@invalid"}
    who |= {"GIT_COMMITTER_NAME": "rehearsal", "GIT_COMMITTER_EMAIL": "rehearsal@invalid"}
    git(work, "commit", "-q", "-m", "the working tree under rehearsal", env={**os.environ, **who})
    git(dest.parent, "clone", "-q", "--bare", str(work), str(dest))
    shutil.rmtree(work)


def bengal_history(dest: Path, commits: int, seed: int) -> None:
    """Bengal 0.1.2 and ``commits`` docs/code commits on ``main``; PR 1 plants work on top."""
    work = dest.parent / "bengal-work"
    shutil.rmtree(work, ignore_errors=True)
    kinds = [("docs" if i % 2 == 0 else "code", 0) for i in range(commits)]
    history = planted.build(work, [kinds], seed)
    git(work, "checkout", "-q", "-b", "pr-1")
    planted.append(history, "full", PLANTED_ITERATIONS, random.Random(seed))
    git(work, "checkout", "-q", "main")
    git(dest.parent, "clone", "-q", "--bare", str(work), str(dest))
    git(dest, "update-ref", f"refs/pull/{PR}/head", history.shas[-1])
    git(dest, "branch", "-D", "pr-1")


def advance(world: World, kinds: list[str], seed: int = 2) -> list[str]:
    """A day of Bengal: commits of ``kinds`` (docs, code, full: planted work) pushed to main."""
    work = world.root / "bengal-work"
    history = planted.History(work, seed, world.bengal_commits(), [], [])
    history.kinds = ["?"] * len(history.shas)
    history.sizes = [0] * len(history.shas)
    rng = random.Random(seed)
    new = [planted.append(history, kind, PLANTED_ITERATIONS, rng) for kind in kinds]
    git(work, "push", "-q", str(world.bengal), "main")
    return new


def create(root: Path, *, bengal_commits: int = 3, seed: int = 1) -> World:
    """A new world under ``root`` (emptied first); ``root`` must have no dot-directory (Bengal
    <= 0.1.7 writes no theme under one)."""
    if any(part.startswith(".") for part in root.resolve().parts):
        raise WorldError(f"{root}: a rehearsal's path must have no dot-directory")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    world = World(root)
    snapshot(world.origin)
    bengal_history(world.bengal, bengal_commits, seed)
    # actions/checkout fetches https://github.com/OWNER/NAME (no .git): both forms are mapped
    world.gitconfig.write_text(
        f'[url "{world.origin}"]\n\tinsteadOf = https://github.com/{REPOSITORY}.git\n'
        f"\tinsteadOf = https://github.com/{REPOSITORY}\n"
        f'[url "{world.bengal}"]\n\tinsteadOf = https://github.com/{BENGAL}.git\n'
        f"\tinsteadOf = https://github.com/{BENGAL}\n"
        "[user]\n\tname = rehearsal\n\temail = rehearsal@invalid\n"
        "[safe]\n\tdirectory = *\n"
        "[init]\n\tdefaultBranch = main\n"
    )
    env = world.env()
    git(root, "clone", "-q", f"https://github.com/{REPOSITORY}.git", str(world.checkout), env=env)
    return world
