"""Run one Bengal build of a generated site, time only the build, and refuse broken output.

    b = driver.Build(root, mode="full" | "incremental" | "default", via="api" | "cli")
    b.run()                       # timed: only the Bengal build
    result = b.verify(change)     # untimed: stats, written files, validation (BuildFailed)
    result = driver.build(root, mode=..., via=..., change=None)
    driver.incremental_diff(root) # files an incremental build got wrong vs a clean full build

Bengal-history knowledge lives in ``driver.compat`` only; what a correct build is, in
``driver.validation`` (its public names are re-exported here).
"""

from __future__ import annotations

import dataclasses
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from driver import compat, processes, validation, watchdog
from driver.validation import (
    BuildFailed,
    Snapshot,
    load_manifest,
    missed_edit,
    read_tree,
    snapshot,
    unwritten_stylesheets,
    validate,
)

__all__ = [
    "IMPORT_API_STATEMENT",
    "PHASES",
    "Build",
    "BuildFailed",
    "BuildResult",
    "CleanComparison",
    "Snapshot",
    "build",
    "compare_with_clean_build",
    "incremental_diff",
    "load_manifest",
    "missed_edit",
    "probe",
    "read_tree",
    "snapshot",
    "unwritten_stylesheets",
    "validate",
]

PHASES = compat.PHASES
# Every build of the suite sees the same environment on a runner as on a workstation.
compat.without_deployment_env(os.environ)
IMPORT_API_STATEMENT = compat.IMPORT_API_STATEMENT
VIAS = ("api", "cli")
STOP_GRACE_S = 10.0  # a timed-out CLI build: the wait for its processes after SIGKILL


def probe(cli: bool = True) -> dict[str, Any]:
    """What the Bengal installed in this interpreter supports (``compat.Caps``, and with ``cli``
    ``compat.CliCaps``; raises ``compat.CliBroken`` when the command crashes)."""
    caps = compat.probe().as_dict()
    return {**caps, **compat.probe_cli().as_dict()} if cli else caps


@dataclasses.dataclass
class BuildResult:
    wall_s: float
    mode: str
    via: str
    html_total: int
    html_written: int
    files_written: int
    full_rebuild: bool
    stats: dict[str, Any]
    peak_rss_mb: float
    log: str
    returncode: int = 0
    warnings: list[str] = dataclasses.field(default_factory=list)
    # What the machine spent, without the waiting: the CLI child's user + system time
    # (os.wait4), or this process's for an in-process build.
    cpu_s: float = 0.0
    # Exact work counters: sizes of the output tree, of the files this build wrote, and of
    # Bengal's cache after the build.
    output_bytes: int = 0
    bytes_written: int = 0
    cache_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Build:
    """One build of the site at ``root``. Preparation happens here, untimed."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        mode: str = "default",
        via: str = "api",
        *,
        workers: int | None = None,
        timeout: float | None = None,
        wrapper: Sequence[str] = (),
    ) -> None:
        """``wrapper``: argv a CLI build runs under (e.g. valgrind's), prepended to Bengal's."""
        if mode not in compat.MODES:
            raise ValueError(f"mode must be one of {compat.MODES}, not {mode!r}")
        if via not in VIAS:
            raise ValueError(f"via must be one of {VIAS}, not {via!r}")
        self.root = Path(root).resolve()
        if not compat.is_site(self.root):
            raise BuildFailed(f"{self.root}: not a Bengal site (no bengal.toml, no config/)")
        self.mode, self.via = mode, via
        self.caps = compat.probe()
        try:
            self.cli_caps = compat.probe_cli() if via == "cli" else None
        except compat.CliBroken as exc:
            raise BuildFailed(f"the bengal command is broken: {exc}") from exc
        caps = self.cli_caps or self.caps
        if mode == "incremental" and not compat.incremental_supported(caps):
            raise BuildFailed(f"this Bengal has no explicit incremental build via {via}")
        compat.set_workers(self.root, workers)
        if compat.needs_clean(caps, mode):
            compat.clean(self.root)
        self.out = compat.output_dir(self.root)
        self.before = snapshot(self.out)
        self.argv = compat.cli_argv(self.cli_caps, self.root, mode) if self.cli_caps else []
        if self.argv:
            watchdog.start()  # untimed: the first guarded build must not wait for it
        if self.argv and wrapper:
            self.argv = [*wrapper, *interpreted(self.argv)]
        self.env = {**os.environ, **compat.BUILD_ENV}
        self._log_fd, self._log_path = tempfile.mkstemp(prefix="bengal-build-", suffix=".log")
        if via == "api":
            compat.import_api()  # imports are not part of an in-process build
        self.started_ns = 0  # wall clock of the last run(), for Bengal's own build log
        self.timeout = timeout  # CLI builds only: killed after this many seconds
        self.timed_out = False
        self.wall_s: float | None = None
        self.returncode = 0
        self.peak_rss_mb = 0.0
        self.cpu_s = 0.0
        self.raw_stats: Any = None
        self.error: BaseException | None = None
        self._log_mark: dict[str, int] = {}

    def run(self) -> None:
        """The timed part: only the Bengal build."""
        os.lseek(self._log_fd, 0, os.SEEK_SET)
        os.ftruncate(self._log_fd, 0)
        self.started_ns = time.time_ns()
        if self.via == "cli":
            self._run_cli()
        else:
            self._run_api()

    def _run_cli(self) -> None:
        self.timed_out = False
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            self.argv,
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_fd,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout kills its workers too
        )
        watchdog.guard(proc.pid)  # and it dies with this process (asv's timeout kills it)
        timer = None
        if self.timeout:
            timer = threading.Timer(self.timeout, self._stop_timed_out, (proc.pid,))
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if timer:
                timer.cancel()
            watchdog.release(proc.pid)
        self.wall_s = time.perf_counter() - t0
        proc.returncode = self.returncode = os.waitstatus_to_exitcode(status)
        self.peak_rss_mb = usage.ru_maxrss / 1024  # Linux: KiB
        self.cpu_s = usage.ru_utime + usage.ru_stime

    def _stop_timed_out(self, pid: int) -> None:
        """The timeout: SIGKILL the build and its workers (``run`` reaps the build itself)."""
        self.timed_out = True
        processes.stop_tree(pid, STOP_GRACE_S, signals=())

    def _run_api(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        saved_env = {k: os.environ.get(k) for k in compat.BUILD_ENV}
        os.environ.update(compat.BUILD_ENV)
        os.dup2(self._log_fd, 1)
        os.dup2(self._log_fd, 2)
        self.error = None
        self._log_mark = compat.logged_events_mark()  # before the clock: not the build's work
        c0 = time.process_time()
        t0 = time.perf_counter()
        try:
            self.raw_stats = compat.api_build(self.caps, self.root, self.mode)
        except Exception as exc:  # reported by verify(), with the log
            self.error = exc
        finally:
            self.wall_s = time.perf_counter() - t0
            self.cpu_s = time.process_time() - c0
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def read_log(self) -> str:
        return Path(self._log_path).read_text(errors="replace")

    def verify(self, change: Any = None, *, judge_edit: bool = True) -> BuildResult:
        """Untimed: collect stats and written files, validate, raise BuildFailed if broken.

        With ``judge_edit=False`` a rebuild that did not carry ``change`` (not even a page the
        edit added) still passes: the caller counts the miss itself (against a clean build).
        """
        if self.wall_s is None:
            raise BuildFailed("verify() before run()")
        log = self.read_log()
        if self.error is not None:
            raise BuildFailed(
                f"Site.build raised {type(self.error).__name__}: {self.error}"
            ) from self.error
        if self.timed_out:
            pages = len(load_manifest(self.root).get("pages", []))
            raise BuildFailed(f"did not finish in {self.timeout:.0f} s at {pages} pages")
        if self.returncode != 0:
            raise BuildFailed(f"bengal exited with {self.returncode}: {compat.last_error(log)}")
        manifest = load_manifest(self.root)
        pages = [p["output"] for p in manifest.get("pages", [])]
        after = snapshot(self.out)
        written = {rel for rel, sig in after.items() if self.before.get(rel) != sig}
        html = [rel for rel in after if rel.endswith(".html")]
        html_written = sum(1 for rel in html if rel in written)
        if self.via == "api":
            stats = compat.normalise_stats(self.raw_stats)
        else:
            stats = compat.stats_from_log(log)
        result = BuildResult(
            wall_s=self.wall_s,
            mode=self.mode,
            via=self.via,
            html_total=len(html),
            html_written=html_written,
            files_written=len(written),
            # Every content page rewritten (some eras skip identical special pages like 404).
            full_rebuild=bool(pages) and all(rel in written for rel in pages),
            stats=stats,
            peak_rss_mb=round(self.peak_rss_mb, 1),
            log=log,
            returncode=self.returncode,
            cpu_s=round(self.cpu_s, 3),
            output_bytes=sum(size for _, size in after.values()),
            bytes_written=sum(after[rel][1] for rel in written),
            cache_bytes=compat.cache_bytes(self.root),
        )
        # The same rule for both: what Bengal logged as a problem (the CLI's build log, or the
        # in-process build's events), e.g. pages dropped at a deadline or a special page that
        # failed: exit 0, and only the log says so.
        if self.via == "api":
            problems = compat.logged_problems_since(self._log_mark)
        else:
            problems = compat.structured_log_problems(self.root, self.started_ns)
        if problems:
            raise BuildFailed(f"{problems[0]} ({len(problems)} problem(s) in Bengal's build log)")
        result.warnings = validate(self.root, self.out, log, stats, written, change, judge_edit)
        return result

    def __del__(self) -> None:
        try:
            os.close(self._log_fd)
            os.unlink(self._log_path)
        except (AttributeError, OSError):
            pass


def interpreted(argv: list[str]) -> list[str]:
    """``argv`` with its console script run by the script's own interpreter.

    Why: pip writes a ``#!/bin/sh`` trampoline (a line ``'''exec' PYTHON "$0" "$@"``) instead of
    a ``#!PYTHON`` line when the interpreter's path is too long for a shebang, as an asv env deep
    under a runner's work folder is; under a wrapper such as valgrind (which does not follow
    exec) the build then runs unwatched and uncounted, and exits 0. The same script, run by the
    same interpreter, does the same work."""
    script = Path(argv[0])
    try:
        with script.open("rb") as fh:
            head = fh.read(4096).decode(errors="replace")
    except OSError:
        return argv
    if not head.startswith("#!/bin/sh"):
        return argv
    found = re.search(r"^'''exec' \"?(.+?)\"? \"\$0\" \"\$@\"$", head, re.MULTILINE)
    python = found.group(1) if found else str(script.with_name("python"))
    return [python, str(script), *argv[1:]]


def build(
    root: str | os.PathLike[str],
    mode: str = "default",
    via: str = "api",
    change: Any = None,
    *,
    workers: int | None = None,
    timeout: float | None = None,
) -> BuildResult:
    """Run and verify one build."""
    b = Build(root, mode=mode, via=via, workers=workers, timeout=timeout)
    b.run()
    return b.verify(change=change)


@dataclasses.dataclass
class CleanComparison:
    """An incremental build's output against a clean full build of the same sources."""

    differing: list[str]  # outputs that differ (or exist in only one of the two)
    missed_edit: list[str]  # outputs where the clean build shows the edit and the rebuild not
    clean: BuildResult  # the clean build (its wall time is the fair "full build" to compare)


def compare_with_clean_build(
    root: str | os.PathLike[str], via: str = "cli", change: Any = None
) -> CleanComparison:
    """After an incremental build: compare its output with a clean full build in place (same
    absolute paths), which leaves the site fully built.

    Volatile strings (build timestamps, durations) are normalised; nothing else is. The missed
    edit is judged against the clean build, so a theme that never shows a token on some page
    does not count as a miss: an output misses ``change`` when the clean build's copy carries the
    edit's token and the incremental one does not (for a stylesheet edit: a copy of the
    stylesheet without the new rule that the clean build does not write so, see
    ``validation._stale_stylesheet``), when the edit removed it and
    only the incremental build still has it, or when an output still links to or lists a deleted
    page and its clean copy does not.
    """
    root = Path(root).resolve()
    out = compat.output_dir(root)
    incremental = read_tree(out)
    compat.clean(root)
    clean_build = build(root, mode="full", via=via)
    clean = read_tree(out)
    differing = {rel for rel in incremental.keys() & clean.keys() if incremental[rel] != clean[rel]}
    missed = [] if change is None else validation.missed_against_clean(incremental, clean, change)
    return CleanComparison(
        sorted(differing | (incremental.keys() ^ clean.keys())), missed, clean_build
    )


def incremental_diff(root: str | os.PathLike[str], via: str = "cli") -> list[str]:
    """After an incremental build: paths that differ from a clean full build of the same sources."""
    return compare_with_clean_build(root, via).differing
