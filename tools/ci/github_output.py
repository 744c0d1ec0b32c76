"""Step outputs for GitHub Actions: ``name=value`` lines appended to ``$GITHUB_OUTPUT``."""

from __future__ import annotations

import os
import sys


def write(**outputs: object) -> bool:
    """Append ``outputs``; False (with one line on stderr) when ``$GITHUB_OUTPUT`` is not set."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        print("error: --github-output but $GITHUB_OUTPUT is not set", file=sys.stderr)
        return False
    with open(target, "a") as fh:
        fh.writelines(f"{name}={value}\n" for name, value in outputs.items())
    return True
