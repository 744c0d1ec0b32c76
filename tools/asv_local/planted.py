"""A local Bengal history of many small commits on top of one release, with planted steps.

Why: a bisect must be tested on a history where the answer is known. The commits mimic a day of
Bengal's ``main``: most touch only docs or tests, some change Bengal's code without changing its
work (a comment, an unused helper), and a few add a fixed amount of pure-Python work at a
position drawn at random (the seed is printed, so a failure can be replayed). Every commit has
the release's author and date, so every probe installs the same dependencies.

Plants (0.1.2's code by default; ``build(..., release="0.5.1")`` puts them in 0.5.1's):
- ``full``: work once per build, at the top of ``BuildOrchestrator.build`` (not at start-up);
- ``startup``: work at import of ``bengal`` (``bengal --version`` does it, and every build);
- ``broken``: a syntax error in ``bengal/__init__.py`` (the next commit repairs it).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tools.asv_local import history

# CPython 3.14 runs about 540 instructions per iteration of this loop.
WORK = "sum(i % 7 for i in range({n}))  # planted work"
# Where BuildOrchestrator.build is: a module up to 0.1.x, a package later (0.5.1).
BUILD_FILES = ("bengal/orchestration/build.py", "bengal/orchestration/build/__init__.py")
INIT_FILE = "bengal/__init__.py"
DOC_FILES = ("README.md", "docs/notes.md", "tests/test_notes.py", "CHANGELOG.md")


@dataclass
class History:
    repo: Path
    seed: int
    shas: list[str] = field(default_factory=list)  # oldest first; shas[0] is the release
    kinds: list[str] = field(default_factory=list)  # what each commit changed
    sizes: list[int] = field(default_factory=list)  # planted iterations (0 for the others)

    def index(self, kind: str, after: int = 0, size: int | None = None) -> int:
        """Index of the first commit of ``kind`` (and ``size``, if given) after ``after``."""
        return next(
            i
            for i, k in enumerate(self.kinds)
            if k == kind and i > after and size in (None, self.sizes[i])
        )


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, **_identity(repo)} if args[0] == "commit" else os.environ
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "commit.gpgSign=false", *args],
        capture_output=True, text=True, check=True, env=env,
    ).stdout.strip()  # fmt: skip


def _identity(repo: Path) -> dict[str, str]:
    """The release commit's (the root's) author and date, for every commit on top."""
    stamp = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--max-parents=0", "--format=%ct +0000", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    who = {"NAME": history.AUTHOR_NAME, "EMAIL": history.AUTHOR_EMAIL, "DATE": stamp}
    return {f"GIT_{role}_{k}": v for role in ("AUTHOR", "COMMITTER") for k, v in who.items()}


def build(
    dest: Path, segments: list[list[tuple[str, int]]], seed: int, release: str = "0.1.2"
) -> History:
    """The ``release`` (a PyPI version), then each segment's commits in an order drawn from
    ``seed``.

    A segment is a list of ``(kind, iterations)``: ``docs``, ``code``, ``full`` / ``startup``
    (planted work of that many iterations) or ``broken`` (always followed by the commit after
    it in the list, which repairs it). Segments keep their order; within one the commits are
    shuffled, except that ``broken`` stays right before its successor."""
    releases = history.select_versions(history.fetch_releases(), [release], None)
    (base,) = history.build_history(dest, releases)
    out = History(dest, seed, [base], ["release"], [0])
    rng = random.Random(seed)
    for segment in segments:
        units: list[list[tuple[str, int]]] = []
        items = iter(segment)
        for item in items:
            units.append([item, next(items)] if item[0] == "broken" else [item])
        rng.shuffle(units)
        for kind, n in (item for unit in units for item in unit):
            append(out, kind, n, rng)
    return out


def append(out: History, kind: str, n: int, rng: random.Random) -> str:
    """One more commit of ``kind`` on the checked-out branch of ``out.repo``: its hash."""
    _change(out.repo, kind, n, rng, len(out.shas))
    _git(out.repo, "add", "--all", "--force", ".")
    _git(out.repo, "commit", "-q", "--allow-empty", "-m", f"{kind} change {len(out.shas)}")
    out.shas.append(_git(out.repo, "rev-parse", "HEAD"))
    out.kinds.append(kind)
    out.sizes.append(n if kind in ("full", "startup") else 0)
    return out.shas[-1]


def _change(repo: Path, kind: str, n: int, rng: random.Random, serial: int) -> None:
    init = repo / INIT_FILE
    if kind == "docs":
        doc = repo / rng.choice(DOC_FILES)
        doc.parent.mkdir(parents=True, exist_ok=True)
        with doc.open("a") as f:
            f.write(f"\n# note {serial}: reworded\n")
    elif kind == "code":
        modules = sorted((repo / "bengal").rglob("*.py"))
        module = rng.choice(modules)
        with module.open("a") as f:
            f.write(f"\n\ndef _unused_{serial}() -> int:  # refactor: no work\n    return {n}\n")
    elif kind == "full":
        build_py = next(repo / f for f in BUILD_FILES if (repo / f).exists())
        text = build_py.read_text()
        body = re.compile(r'(\n    def build\(.*?""".*?"""\n)( +)', re.S)
        assert body.search(text), f"no documented build() in {build_py}"
        work = WORK.format(n=n)
        build_py.write_text(body.sub(lambda m: f"{m[1]}{m[2]}{work}\n{m[2]}", text, count=1))
    elif kind == "startup":
        text = init.read_text().replace("def (:  # broken\n", "")
        init.write_text(text + f"\n_PLANTED_{serial} = " + WORK.format(n=n) + "\n")
    elif kind == "broken":
        init.write_text(init.read_text() + "def (:  # broken\n")
    else:
        raise ValueError(f"unknown commit kind {kind!r}")
