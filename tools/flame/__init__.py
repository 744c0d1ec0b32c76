"""Profiles of one Bengal build at any commit, with flame graphs: which Bengal and running the
builds (builds, in this venv), the build itself (runner, in the Bengal virtualenv), reading the
profiles (analysis) and the command line (cli)."""

import sys


class ProfileError(Exception):
    """A user-facing failure: printed as one line, non-zero exit."""


def log(msg: str) -> None:
    print(f"[tools.flame] {msg}", file=sys.stderr, flush=True)
