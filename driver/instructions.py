"""Count the instructions of one Bengal CLI build, or of Bengal's start-up, under cachegrind.

Why: wall time on a shared machine moves by tens of percent; the number of instructions a
one-worker build executes moves by hundredths of a percent, so a 2% step is visible per commit.

    counted = driver.instructions.count_build(root, "full")          # then "incremental" ...
    counted.instructions, counted.result                             # result: validated
    driver.instructions.count_startup()                              # `bengal --version`

    PYTHONPATH=<repo> <env python> -m driver.instructions build ROOT --mode full [--startup N]
    PYTHONPATH=<repo> <env python> -m driver.instructions startup --json

Every counted build runs ``valgrind --tool=cachegrind --cache-sim=no`` around the ``bengal``
command (``driver.Build`` with a wrapper: same argv, environment and fixed hash seed), with one
worker (``compat.single_worker``), and is validated by ``driver`` afterwards: a broken build
raises ``driver.BuildFailed``, never returns a count. Bengal's CLI builds in its own process
(it does not re-exec), so ``--trace-children`` stays off; children a build may start (``git``
for page dates) are not counted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import driver
from driver import compat

INSTALL_HINT = (
    "valgrind is not on PATH: install it to count instructions "
    "(Debian/Ubuntu: apt-get install valgrind)"
)
_LOG_TAIL = 6
_PID_PREFIX = re.compile(r"^(==|--)\d+(==|--)")


class InstructionsFailed(RuntimeError):
    """valgrind could not count (missing, failed, or the counted command exited non-zero)."""


class ValgrindMissing(InstructionsFailed):
    """No valgrind on PATH; the message says how to install it."""


@dataclasses.dataclass
class Counted:
    instructions: int  # Ir: instructions executed by the counted process
    seconds: float  # wall time under cachegrind (a budget figure, not a benchmark)
    result: driver.BuildResult | None = None  # the validated build (None for start-up)

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        if out["result"]:
            out["result"].pop("log", None)
        return out


def valgrind() -> str:
    """The valgrind executable; ValgrindMissing (one line: how to install it) if there is none."""
    found = shutil.which("valgrind")
    if found is None:
        raise ValgrindMissing(INSTALL_HINT)
    return found


def cachegrind_argv(valgrind_exe: str, out_file: Path, log_file: Path) -> list[str]:
    """valgrind's part of the command line: instruction counts only, no cache simulation."""
    return [
        valgrind_exe,
        "--tool=cachegrind",
        "--cache-sim=no",
        f"--cachegrind-out-file={out_file}",
        f"--log-file={log_file}",
    ]


def read_instructions(out_file: Path) -> int:
    """Total Ir of a cachegrind output file (its ``events:`` and ``summary:`` lines)."""
    events: list[str] = []
    for line in out_file.read_text(errors="replace").splitlines():
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("summary:") and "Ir" in events:
            return int(line.split()[1:][events.index("Ir")])
    raise InstructionsFailed(f"{out_file}: no Ir summary line")


def _failure(what: str, returncode: int, log_file: Path, output: str) -> InstructionsFailed:
    """A failure naming the exit status, the command's own last error and valgrind's log tail."""
    lines = log_file.read_text(errors="replace").splitlines() if log_file.exists() else []
    lines += [ln for ln in output.splitlines() if ln.startswith("valgrind:")]  # before its log
    tail = [t for t in (_PID_PREFIX.sub("", ln).strip() for ln in lines) if t][-_LOG_TAIL:]
    return InstructionsFailed(
        f"{what} under valgrind exited {returncode}: {compat.last_error(output)}; "
        f"valgrind log tail: {' | '.join(tail) or '(empty)'}"
    )


def count_build(
    root: str | os.PathLike[str],
    mode: str = "full",
    change: Any = None,
    *,
    startup: int | None = None,
) -> Counted:
    """Count one CLI build of ``root`` in ``mode`` with one worker, then validate it.

    An incremental build must start from a state built with one worker: switching a built site
    to one worker is a config change, which would make the counted build a full rebuild.
    ``startup``: the instructions of ``count_startup`` (counted here when not given); a build
    that counts fewer did its work outside the counted process (a Bengal that re-executes
    itself or builds in a child), so its count is refused, not reported as a big improvement.
    """
    exe = valgrind()
    root = _one_worker(root, mode)
    with tempfile.TemporaryDirectory(prefix="bengal-cachegrind-") as tmp:
        out_file, log_file = Path(tmp) / "cachegrind.out", Path(tmp) / "valgrind.log"
        build = driver.Build(
            root, mode=mode, via="cli", wrapper=cachegrind_argv(exe, out_file, log_file)
        )
        build.run()
        if build.returncode != 0 or not out_file.exists():
            raise _failure(f"bengal ({mode} build)", build.returncode, log_file, build.read_log())
        instructions = read_instructions(out_file)
    assert build.wall_s is not None
    result = build.verify(change=change)  # a broken build fails as such, before any comparison
    if startup is None:
        startup = count_startup().instructions
    if instructions < startup:
        raise InstructionsFailed(
            f"bengal ({mode} build) counted {instructions:,} instructions, fewer than start-up "
            f"alone ({startup:,}, `bengal {' '.join(compat.STARTUP_ARGS)}`): the build ran "
            "outside the counted process"
        )
    return Counted(instructions, build.wall_s, result)


def build_one_worker(
    root: str | os.PathLike[str], mode: str = "full", change: Any = None
) -> driver.BuildResult:
    """The same build as ``count_build``, not counted (the work counters of a machine without
    valgrind)."""
    return driver.build(_one_worker(root, mode), mode=mode, via="cli", change=change)


def _one_worker(root: str | os.PathLike[str], mode: str) -> Path:
    """Ask for one worker; refuse an incremental build of a site built with other settings."""
    root = Path(root).resolve()
    if compat.single_worker(root) and mode != "full" and compat.output_dir(root).is_dir():
        raise InstructionsFailed(
            f"{root} was built with other worker settings; a {mode} build after switching to "
            "one worker would rebuild everything (build it fully first)"
        )
    return root


def count_startup() -> Counted:
    """Count Bengal's start-up alone: ``bengal --version`` (interpreter, imports, no site)."""
    exe = valgrind()
    try:
        cli = compat.probe_cli().cli
    except compat.CliBroken as exc:
        raise InstructionsFailed(f"the bengal command is broken: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="bengal-cachegrind-") as tmp:
        out_file, log_file = Path(tmp) / "cachegrind.out", Path(tmp) / "valgrind.log"
        t0 = time.perf_counter()
        proc = subprocess.run(
            [
                *cachegrind_argv(exe, out_file, log_file),
                *driver.interpreted([str(cli), *compat.STARTUP_ARGS]),
            ],
            env={**os.environ, **compat.BUILD_ENV},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - t0
        if proc.returncode != 0 or not out_file.exists():
            what = f"bengal {' '.join(compat.STARTUP_ARGS)}"
            raise _failure(what, proc.returncode, log_file, proc.stdout + proc.stderr)
        return Counted(read_instructions(out_file), seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m driver.instructions", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("build", help="count one validated CLI build (one worker)")
    p.add_argument("root")
    p.add_argument("--mode", choices=compat.MODES, default="full")
    p.add_argument(
        "--startup",
        type=int,
        metavar="INSTRUCTIONS",
        help="start-up's count to compare the build with (counted when omitted)",
    )
    sub.add_parser("startup", help="count `bengal --version`")
    for q in sub.choices.values():
        q.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "build":
            counted = count_build(args.root, args.mode, startup=args.startup)
        else:
            counted = count_startup()
    except (
        InstructionsFailed,
        driver.BuildFailed,
        compat.NoSingleWorker,
        compat.BengalMissing,
    ) as exc:
        print(f"driver.instructions: error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(counted.as_dict(), indent=2) if args.json else counted.instructions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
