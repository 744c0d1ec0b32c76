"""Stop a process and everything it started: the one process-tree killer of this repository.

Why both the group and the tree: a CLI build or a dev server runs in a session of its own (so
that its workers stop with it), asv puts each benchmark process in a group of its own (a kill of
asv's group misses it), and a process whose parent died leaves the tree but keeps its group. So
``stop_tree`` signals every process of the target's group (``killpg``: also those started while
it stops) and every descendant, wherever its group, and waits a bounded time.

Stdlib only (descendants from Linux's ``/proc``; elsewhere the group alone): the driver runs in
asv's benchmark environments, which hold Bengal and asv_runner only.

Run as a script (``python -I -S processes.py``, no import of the package) it is the watchdog
process of ``driver.watchdog``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

POLL_S = 0.05
_PROC = "/proc"


def _stat(pid: int | str) -> tuple[str, int, int, int] | None:
    """``(state, ppid, pgrp, start time)`` of a process (``/proc/PID/stat``), None if gone."""
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2 :].split()  # the command name may hold spaces
    return fields[0].decode(), int(fields[1]), int(fields[2]), int(fields[19])


def _table() -> dict[int, tuple[str, int, int, int]]:
    """Every process: ``{pid: _stat(pid)}``; {} without ``/proc``."""
    try:
        names = os.listdir(_PROC)
    except OSError:
        return {}
    table = {}
    for name in names:
        if name.isdigit() and (st := _stat(name)) is not None:
            table[int(name)] = st
    return table


def _members(root: int, seen: dict[int, int]) -> dict[int, int]:
    """The processes left to stop, ``{pid: start time}``: ``root``, its group, their descendants
    and the descendants of every process ``seen`` before (an orphan's children are no longer
    ``root``'s); a pid reused by a process started later is not ours. A zombie is left until it
    is reaped (a group with a zombie still exists), here when it is this process's child."""
    table = _table()
    if not table:  # no /proc: the root alone (its group is signalled as a whole)
        with contextlib.suppress(OSError):
            os.kill(root, 0)
            return {root: 0}
        return {}
    children: dict[int, list[int]] = {}
    for pid, (_, ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    stack = [root, *seen, *(pid for pid, st in table.items() if st[2] == root)]
    found: dict[int, int] = {}
    while stack:
        pid = stack.pop()
        st = table.get(pid)
        if pid in found or st is None or seen.get(pid, st[3]) != st[3]:
            continue
        found[pid] = st[3]
        stack += children.get(pid, [])
    me = os.getpid()
    found.pop(me, None)
    seen.update(found)
    left = {}
    for pid, start in found.items():
        state, ppid = table[pid][0], table[pid][1]
        if state in "ZX" and ppid == me:  # dead, and this process is the one to reap it
            if pid != root:  # inherited (a subreaper); the root is its owner's (Popen: poll)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
            continue
        left[pid] = start  # a zombie counts until its parent (or init) reaps it
    return left


def _send(root: int, members: dict[int, int], sig: int) -> None:
    if root != os.getpgrp():  # the target's group, never this process's own
        with contextlib.suppress(OSError):
            os.killpg(root, sig)
    for pid in members:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def _gone(root: int, seen: dict[int, int], proc: subprocess.Popen | None, grace_s: float) -> bool:
    """Wait up to ``grace_s`` for every process to stop; True when none is left."""
    deadline = time.monotonic() + grace_s
    while True:
        if proc is not None:
            proc.poll()  # reap the root: a child of this process
        if not _members(root, seen):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)


def stop_tree(
    target: int | subprocess.Popen,
    grace_s: float,
    *,
    signals: Sequence[int] = (signal.SIGTERM,),
) -> bool:
    """Stop ``target`` (a pid, or a Popen, which is then reaped), its process group when it leads
    one, and all their descendants: each of ``signals`` (SIGTERM; () for SIGKILL at once), then
    SIGKILL, waiting up to ``grace_s`` after each. Returns True when nothing is left.

    A Popen that has ended already is left alone (its pid may be reused); a pid is never reaped
    here (its owner may be waiting for it); stopped processes this process inherited are.
    Bounded: at most ``(len(signals) + 1) * grace_s`` plus the polls.
    """
    proc = target if isinstance(target, subprocess.Popen) else None
    if proc is not None and proc.poll() is not None:
        return True  # reaped already: its pid may be another process's by now
    root = proc.pid if proc is not None else int(target)
    seen: dict[int, int] = {}
    gone = False
    for sig in (*signals, signal.SIGKILL):
        members = _members(root, seen)
        if not members:
            gone = True
            break
        _send(root, members, sig)
        if _gone(root, seen, proc, grace_s):
            gone = True
            break
    if proc is not None:
        proc.poll()
    return gone


def _watch() -> None:
    """The watchdog (``driver.watchdog``): read ``+PGID GRACE`` / ``-PGID`` lines until stdin
    closes, then stop the groups still guarded (those with no grace first, by SIGKILL)."""
    guarded: dict[int, float] = {}
    for line in sys.stdin:
        sign, pgid, *grace = line[0], *line[1:].split()
        if sign == "+":
            guarded[int(pgid)] = float(grace[0]) if grace else 0.0
        else:
            guarded.pop(int(pgid), None)
    for pgid, grace in sorted(guarded.items(), key=lambda item: item[1]):
        stop_tree(pgid, grace, signals=(signal.SIGTERM,) if grace else ())


if __name__ == "__main__":
    _watch()
