"""Stop every process a bench job started that is still running, before its upload step.

Why: the upload step holds the job's artifact token, and a process that Bengal's code left behind
(a dev server, a daemonised child that escaped ``tools.ci.bench_commits``' tree kill) could still
write into the run directory or upload under another name while it runs. Every process of a bench
job inherits ``BENCH_JOB_MARKER`` (set for the whole job); this finds those processes by their
environment, except itself and its ancestors, and kills them.

    python -m tools.ci.leftovers --marker "$BENCH_JOB_MARKER"
"""

from __future__ import annotations

import argparse
import contextlib
import sys

import psutil

VARIABLE = "BENCH_JOB_MARKER"


def marked(marker: str) -> list[psutil.Process]:
    """Processes whose environment carries ``VARIABLE=marker``, but this one and its ancestors."""
    me = psutil.Process()
    spared = {me.pid, *(p.pid for p in me.parents())}
    found = []
    for proc in psutil.process_iter():
        if proc.pid in spared:
            continue
        with contextlib.suppress(psutil.Error):
            if proc.environ().get(VARIABLE) == marker:
                found.append(proc)
    return found


def stop(marker: str, grace: float = 5.0) -> list[str]:
    """Terminate, then kill, the marked processes; one line per process stopped."""
    procs = marked(marker)
    lines = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            lines.append(f"stopped {proc.pid}: {' '.join(proc.cmdline())[:120]}")
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=grace)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.leftovers", description=__doc__)
    parser.add_argument("--marker", required=True)
    args = parser.parse_args(argv)
    if len(args.marker) < 8:
        print("error: --marker is too short to be this job's own", file=sys.stderr)
        return 2
    lines = stop(args.marker)
    for line in lines:
        print(f"leftovers: {line}")
    print(f"leftovers: {len(lines)} process(es) stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
