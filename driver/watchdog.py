"""Process groups that die with this process: a watchdog kills them when it ends unannounced.

Why: a CLI build runs in its own session (so a timeout can kill Bengal's workers with it), and
so nothing kills it when asv kills the benchmark process that started it (asv's timeout kills
that process's group only); the build would keep loading the cores while the next benchmarks are
timed. One watchdog per benchmark process, started untimed (``start``), is told each group
(``guard``/``release``) over a pipe; when the pipe closes, because this process ended for any
reason, it SIGKILLs the groups still guarded. Left open: a kill between a build's start and its
``guard`` line (microseconds).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

_SCRIPT = """
import os, signal, sys
guarded = set()
for line in sys.stdin:
    sign, pgid = line[0], int(line[1:])
    (guarded.add if sign == "+" else guarded.discard)(pgid)
for pgid in guarded:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
"""

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
            [sys.executable, "-S", "-c", _SCRIPT],
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


def guard(pgid: int) -> None:
    """Kill process group ``pgid`` if this process ends before ``release(pgid)``."""
    start()
    _send(f"+{pgid}\n")


def release(pgid: int) -> None:
    _send(f"-{pgid}\n")


def _send(line: str) -> None:
    if _pipe is not None:
        with contextlib.suppress(BrokenPipeError):
            os.write(_pipe, line.encode())


def pid() -> int | None:
    """The watchdog's pid (tests), None before ``start``."""
    return _proc.pid if _proc is not None else None
