"""Debian packages some tests need (chromium, GNU time, shellcheck), installed on demand.

CI may run on a fresh machine whose apt lists are empty: on a failed install, refresh them once
and try again.
"""

from __future__ import annotations

import os
import shutil
import subprocess


def ensure(executable: str, package: str) -> str | None:
    """The path of ``executable``, installing ``package`` with apt-get if it is missing."""
    found = shutil.which(executable)
    if found or shutil.which("apt-get") is None or os.geteuid() != 0:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", package]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        subprocess.run(install, env=env, capture_output=True)
    return shutil.which(executable)
