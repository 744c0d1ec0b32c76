"""Clone Bengal and resolve the commits a compare job measures (base, head, or a PR's).

Why: in a standalone benchmark repo, ``asv continuous main HEAD`` resolves both names in asv's
clone of Bengal's default branch, so a PR would be compared with itself. This
makes a full clone that also holds ``refs/pull/N/head`` and prints full SHAs; the job then runs
``tools.asv_local --repo <clone> continuous BASE_SHA HEAD_SHA``.

    python -m tools.ci.bengal_refs --dest bengal-src [--url URL] (--pr N | --base REF --head REF)

With ``--pr`` and no ``--base``, the base is the merge base of the PR head and ``main``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from tools.ci import github_output

DEFAULT_URL = "https://github.com/lbliii/bengal.git"
REF_RE = re.compile(r"^[A-Za-z0-9._/@^~-]+$")


class RefsError(Exception):
    """A user-facing failure: one line, exit status 2."""


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RefsError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def ensure_clone(url: str, dest: Path) -> None:
    """A full (non-shallow) clone: asv and the nightly need history, not only two commits."""
    if (dest / ".git").exists():
        git(dest, "fetch", "--quiet", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*")
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        git(dest.parent, "clone", "--quiet", "--no-checkout", url, str(dest))


def resolve(repo: Path, ref: str) -> str:
    if not REF_RE.match(ref):
        raise RefsError(f"refusing suspicious ref {ref!r}")
    for candidate in (ref, f"origin/{ref}"):
        proc = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"],
            capture_output=True,
            text=True,
        )
        if proc.returncode == 0:
            return proc.stdout.strip()
    raise RefsError(f"{ref} is not a commit, branch or tag of {repo}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.bengal_refs", description=__doc__)
    parser.add_argument("--dest", type=Path, required=True)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--pr", default="", help="Bengal pull request number")
    parser.add_argument("--base", default="")
    parser.add_argument("--head", default="")
    parser.add_argument("--github-output", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.pr and not args.pr.isdigit():
            raise RefsError(f"--pr must be a number, got {args.pr!r}")
        if not args.pr and not (args.base and args.head):
            raise RefsError("give --pr N, or both --base and --head")
        ensure_clone(args.url, args.dest)
        if args.pr:
            local = f"refs/remotes/origin/pr/{args.pr}"
            git(args.dest, "fetch", "--quiet", "origin", f"+refs/pull/{args.pr}/head:{local}")
            head = resolve(args.dest, args.head) if args.head else resolve(args.dest, local)
            main_sha = resolve(args.dest, "main")
            base = (
                resolve(args.dest, args.base)
                if args.base
                else git(args.dest, "merge-base", main_sha, head)
            )
        else:
            base, head = resolve(args.dest, args.base), resolve(args.dest, args.head)
        # asv follows "main": keep a local branch so asv's branch logic finds it in the clone.
        git(args.dest, "update-ref", "refs/heads/main", resolve(args.dest, "main"))
    except RefsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"base={base}\nhead={head}")
    if args.github_output and not github_output.write(base=base, head=head, pr=args.pr):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
