"""The commits of a bisect range: first parent only, and which of them can change a measurement.

Why first parent: a merged branch's own commits never were Bengal's ``main``; the merge is the
commit that brought their change, and the published history only has first-parent commits.
Why skip commits that change nothing under the package: their wheel is the same code, so probing
them costs minutes and cannot move a count (their dependency date can: see ``Commit.date``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# What goes into the installed wheel: the package and its build metadata (dependencies).
PACKAGE_PATHS = ("bengal/", "pyproject.toml", "setup.py", "setup.cfg")


class RangeError(Exception):
    """A bad range or repository: one line, exit status 2."""


@dataclass
class Commit:
    sha: str
    subject: str
    date: str  # committer date, ISO 8601: it also pins the dependencies driver.install resolves
    files: list[str] = field(default_factory=list)  # changed files, relative to the first parent

    @property
    def short(self) -> str:
        return self.sha[:8]

    @property
    def probeable(self) -> bool:
        """Whether it changes anything that is installed (the package or its metadata)."""
        return any(f.startswith(PACKAGE_PATHS) or f in PACKAGE_PATHS for f in self.files)


def probeable_flags(commits: list[Commit]) -> list[bool]:
    """Per commit of a range, whether the search may probe it: both ends always (they are
    measured), the others when they change what is installed."""
    return [True, *(c.probeable for c in commits[1:-1]), True]


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RangeError(f"git {' '.join(args[:3])}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout


def resolve(repo: Path, spec: str) -> str:
    """The full hash that ``spec`` (hash prefix, tag, branch) names in ``repo``."""
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}").strip()
    except RangeError:
        raise RangeError(f"{spec!r} is not a commit of {repo}") from None


def first_parent_range(repo: Path, good: str, bad: str) -> list[Commit]:
    """``good`` and every first-parent commit after it up to ``bad``, oldest first."""
    if not (repo / ".git").exists() and not (repo / "objects").is_dir():
        raise RangeError(f"{repo} is not a git repository")
    good_sha, bad_sha = resolve(repo, good), resolve(repo, bad)
    if good_sha == bad_sha:
        raise RangeError(f"good and bad are the same commit ({good_sha[:8]})")
    shas = git(repo, "rev-list", "--first-parent", "--reverse", f"{good_sha}..{bad_sha}").split()
    if not shas:
        raise RangeError(f"{good} is not an ancestor of {bad}: nothing to bisect")
    parents = git(repo, "rev-list", "--first-parent", "--parents", "-n", "1", shas[0]).split()
    if good_sha not in parents[1:]:
        raise RangeError(f"{good} is not on the first-parent line of {bad}")
    return [describe(repo, sha) for sha in [good_sha, *shas]]


def describe(repo: Path, sha: str) -> Commit:
    """Subject, date and the files changed against the first parent (all files for a root)."""
    subject, date = git(repo, "log", "-1", "--format=%s%x00%cI", sha).rstrip("\n").split("\0")
    files = git(
        repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "-m", "--first-parent",
        "--root", sha,
    ).split("\n")  # fmt: skip
    return Commit(sha, subject, date, [f for f in files if f])


def plan(
    commits: list[Commit], tier: str, preset: str = "gha", profile: str | None = None
) -> dict[str, object]:
    """The store's trusted selection for a bisect: every commit of the range on the tier's
    machine (``tools.ci.trusted_results`` keeps results of these and nothing else); at
    ``profile`` (not the tier's own: a rehearsal's smoke sites) the tier's series at it."""
    from catalogue import tiers
    from scope import machine

    t = tiers.tier(tier)
    profile = profile or t.profile
    name = machine.identity(preset, profile=profile, tier=t.name)["machine"]
    tasks = [
        {"tier": t.name, "profile": profile, "machine": name, "commit": c.sha,
         "part": "bisect", "artifact": f"bisect-{c.sha}"}
        for c in commits
    ]  # fmt: skip
    return {"tasks": tasks}


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.bisect.commits --repo R --good G --bad B --tier exact --plan F``: the
    range's trusted plan (for the store job), and its size on stdout."""
    parser = argparse.ArgumentParser(prog="python -m tools.bisect.commits")
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--good", required=True)
    parser.add_argument("--bad", required=True)
    parser.add_argument("--tier", required=True)
    parser.add_argument("--preset", default="gha", choices=["local", "gha"])
    parser.add_argument("--profile", default="", help="not the tier's own (a rehearsal)")
    parser.add_argument("--plan", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        commits = first_parent_range(args.repo, args.good, args.bad)
        found = plan(commits, args.tier, args.preset, args.profile or None)
        args.plan.write_text(json.dumps(found) + "\n")
    except (RangeError, KeyError) as exc:
        print(f"tools.bisect.commits: error: {exc}", file=sys.stderr)
        return 2
    probeable = sum(1 for c in commits[1:] if c.probeable)
    print(
        f"{len(commits) - 1} first-parent commits after {commits[0].short}, {probeable} probe-able"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
