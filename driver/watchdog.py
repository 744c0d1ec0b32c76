"""Process groups that die with this process: a watchdog stops them when it ends unannounced.

Why: a CLI build or a dev server runs in its own session (so that it can be stopped with its
workers), and so nothing stops it when asv kills the benchmark process that started it (asv's
timeout kills that process's group only); the build would keep loading the cores while the next
benchmarks are timed. One watchdog per benchmark process, started untimed (``start``), is told
each group (``guard``/``release``) over a pipe; when the pipe closes, because this process ended
for any reason, it stops the groups still guarded with ``driver.processes.stop_tree`` (SIGKILL
at once, or SIGTERM and SIGKILL after the group's grace). Left open: a kill between a group's
start and its ``guard`` line (microseconds).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

# The watchdog is processes.py run as a script: stdlib only, no import of this package.
_SCRIPT = Path(__file__).with_name("processes.py")

_pipe: int | None = None
_proc: subprocess.Popen[bytes] | None = None


def start() -> None:
    """Start this process's watchdog, once (a Python start-up: do it outside timed code)."""
    global _pipe, _proc
    if _proc is not None and _proc.poll() is None:
        return
    read, write = os.pipe()
    try:
        _proc = subprocess.Popen(
            [sys.executable, "-I", "-S", os.fspath(_SCRIPT)],
            stdin=read,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives a kill of this process's group
        )
    except BaseException:
        os.close(write)
        raise
    finally:
        os.close(read)
    _pipe = write


def guard(pgid: int, grace_s: float = 0.0) -> None:
    """Stop process group ``pgid`` if this process ends before ``release(pgid)``: SIGKILL at
    once, or with ``grace_s`` SIGTERM first and SIGKILL after up to ``grace_s``."""
    start()
    _send(f"+{pgid} {grace_s:g}\n")


def release(pgid: int) -> None:
    _send(f"-{pgid}\n")


def _send(line: str) -> None:
    if _pipe is not None:
        with contextlib.suppress(BrokenPipeError):
            os.write(_pipe, line.encode())


def pid() -> int | None:
    """The watchdog's pid (tests), None before ``start``."""
    return _proc.pid if _proc is not None else None
