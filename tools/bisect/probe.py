"""One bisect probe: the suite's own measurement of one commit, through asv, kept in asv's results.

Why through asv: a probe is then exactly what the nightly measures (the same benchmark code, site,
one-worker build, date-pinned install via ``driver.install``), and its result lands in the same
results folder, machine and profile, so the published graph gets the points between the nightly's
commits. A stored value is reused only from the same series: the machine name holds the declared
environment (``scope.environment``), so an end measured in another environment is measured
again, and only results of the python probed (asv's ``python`` param, 3.14 or 3.14t) are read.
``$BENGAL_BENCH_PROBE`` asks ``bench_instructions`` to take only the numbers bisected (and
the builds before them); asv records the others of that commit as n/a, not as failures.

One bisect may search several numbers of one range (full, no-op and one-page counts): a probe
then takes all of them from the same builds in one asv run, and every search reuses it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import scope
from benchmarks import profiles
from benchmarks.families.instructions import BUILDS
from benchmarks.sites import site_id
from driver.processes import stop_tree
from scope import machine as machine_id
from tools.report import data as rd

ROOT = Path(__file__).resolve().parents[2]
COUNTERS = ("html_pages_written", "files_written", "bytes_written", "output_bytes", "cache_bytes")
# One asv run of one commit: an install (asv's install_timeout, 20 min) and the counted builds
# up to the one bisected (the profile's setup_cache timeout); beyond this something hangs.
PROBE_TIMEOUT_S = 4 * 3600
_ERROR_LINE = re.compile(r"^\s*(?:[\w.]+(?:Error|Failed|Exception|Missing)|error): .+")


@dataclass(frozen=True)
class Target:
    """A number the bisect can search: one asv benchmark with its parameters."""

    name: str  # what the user types: full, one_page, noop, startup, files_written:full, ...
    key: str  # asv benchmark name
    build: str | None  # the BUILDS parameter; None for start-up
    variant: str  # what tools.flame builds for the call-count diff

    def asv_name(self, site: str) -> str:
        """asv's display name, as in the results and in ``regressions_thresholds``."""
        return f"{self.key}('{site}', '{self.build}')" if self.build else self.key

    @property
    def probe(self) -> str:
        return self.build or "startup"


def targets() -> dict[str, Target]:
    """Every number a probe can take: the build counts, start-up, and the exact work counters."""
    out = {
        b: Target(b, "bench_instructions.BuildInstructions.track_build_instructions", b, b)
        for b in BUILDS
    }
    out["startup"] = Target(
        "startup", "bench_instructions.StartupInstructions.track_startup_instructions", None, "full"
    )
    for counter in COUNTERS:
        for b in BUILDS:
            key = f"bench_instructions.WorkCounters.track_{counter}"
            out[f"{counter}:{b}"] = Target(f"{counter}:{b}", key, b, b)
    return out


def parse_targets(text: str) -> list[Target]:
    """``full,noop,one_page`` → their targets, in that order without repeats; ValueError (one
    line) for an empty list or a name that is not a target."""
    known = targets()
    names = list(dict.fromkeys(n.strip() for n in text.split(",")))
    if unknown := [n for n in names if n not in known]:
        raise ValueError(f"not a benchmark the bisect can search: {', '.join(map(repr, unknown))}")
    return [known[n] for n in names]


@dataclass
class Probe:
    sha: str
    value: float | None  # None: skipped
    reason: str  # why it was skipped ("" when measured)
    seconds: float  # wall time of the asv run (0 when the value was already stored)
    stored: bool  # no run of its own: stored before, or this bisect's run for another target


class Prober:
    """Measures ``targets`` at commits of ``repo`` with asv, one run per commit for all of them,
    reusing values already stored."""

    def __init__(
        self,
        repo: Path,
        targets: Sequence[Target],
        profile: str,
        results_dir: Path,
        work_dir: Path,
        machine_preset: str = "local",
        env_dir: Path | None = None,
        tier: str = "",
        stored_dir: Path | None = None,
        python: str = "3.14",
    ) -> None:
        self.repo, self.targets, self.profile, self.tier = repo, list(targets), profile, tier
        self.results_dir, self.work_dir = results_dir.resolve(), work_dir.resolve()
        self.preset, self.env_dir = machine_preset, env_dir
        self.site = site_id(*profiles.PROFILES[profile].instruction_site)
        self.machine = machine_id.identity(machine_preset, profile, tier)["machine"]
        # earlier results, read only (CI: the results branch)
        self.stored_dir = stored_dir.resolve() if stored_dir else None
        self.python = python  # asv.conf.json's default: the probes' asv runs use it
        self.probes: dict[str, list[Probe]] = {t.name: [] for t in self.targets}
        self.runs: dict[str, Run] = {}  # sha → this bisect's asv run of it
        self._stored: dict[Path, rd.ResultSet | None] = {}

    def name(self, target: Target) -> str:
        return target.asv_name(self.site)

    def threshold(self, target: Target) -> float:
        """The benchmark's own threshold: ``regressions_thresholds`` by asv's rule (largest
        matching pattern), as ``tools.report`` reads it."""
        return rd.threshold_of(rd.load_thresholds(ROOT / "asv.conf.json"), self.name(target))

    def higher_is_better(self, target: Target) -> bool:
        return rd.higher_is_better(self.name(target))

    def stored(self, sha: str, target: Target) -> float | None:
        """The value already in the results (or the read-only stored results) for ``sha``; None
        when absent, failed or n/a."""
        for results in filter(None, (self.results_dir, self.stored_dir)):
            rs = self._load(results)
            if rs is None:
                continue
            commit = next((c for c in rs.commits if c.sha == sha), None)
            m = commit.measurements.get(self.name(target)) if commit else None
            if m is not None and not m.failed and not m.skipped:
                return float(m.value)  # type: ignore[arg-type]
        return None

    def _load(self, results: Path) -> rd.ResultSet | None:
        """The machine's results in ``results`` (None: none yet); the read-only stored results
        are loaded once (a large results branch takes seconds, and every target asks)."""
        fixed = results == self.stored_dir and results != self.results_dir
        if fixed and results in self._stored:
            return self._stored[results]
        try:
            rs: rd.ResultSet | None = rd.load(results, machine=self.machine, python=self.python)
        except rd.ReportError:
            rs = None
        if fixed:
            self._stored[results] = rs
        return rs

    def measure(self, sha: str, target: Target, label: str = "") -> Probe:
        """The value of ``target`` at ``sha``: stored, or one asv run of that commit for every
        target (its log kept); a commit is run at most once."""
        value = self.stored(sha, target)
        if value is not None:
            probe = Probe(sha, value, "", 0.0, True)
        elif sha in self.runs:  # run for another target: its value (if any) was read above
            probe = Probe(sha, None, self.runs[sha].reason, 0.0, True)
        else:
            run = self._run(sha, label)
            value = self.stored(sha, target)
            reason = "" if value is not None else run.reason
            probe = Probe(sha, value, reason, run.seconds, False)
        if not probe.stored:
            what = f"{probe.value:,.0f}" if probe.value is not None else f"skipped: {reason}"
            log(f"  {sha[:8]}: {target.name} {what} ({probe.seconds:.0f} s)")
        self.probes[target.name].append(probe)
        return probe

    @property
    def probe_env(self) -> str:
        """``$BENGAL_BENCH_PROBE``: every number the targets need, from the same builds."""
        return ",".join(sorted({t.probe for t in self.targets}))

    @property
    def bench_regex(self) -> str:
        keys = sorted({re.escape(t.key) for t in self.targets})
        return f"^({'|'.join(keys)})(\\(|$)"

    def _run(self, sha: str, label: str) -> Run:
        log_file = self.work_dir / "probes" / f"{sha[:12]}.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable, "-m", "tools.asv_local", "--repo", str(self.repo),
            "--config-out", str(self.work_dir / "asv.conf.json"),
            "--results-dir", str(self.results_dir), "--machine-preset", self.preset,
            *(["--env-dir", str(self.env_dir)] if self.env_dir else []),
            "run", f"{sha}^!", "--bench", self.bench_regex, "--show-stderr",
        ]  # fmt: skip
        env = {
            **os.environ,
            scope.PROFILE_ENV: self.profile,
            scope.PROBE_ENV: self.probe_env,
            scope.TIER_ENV: self.tier,
        }
        names = ", ".join(t.name for t in self.targets)
        log(f"probing {sha[:8]} {label}(asv run, {names} at {self.site})")
        t0 = time.monotonic()
        with log_file.open("w") as out:
            proc = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            try:
                returncode = proc.wait(timeout=PROBE_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                stop_tree(proc, 10.0)
                out.write(f"\nerror: the probe did not finish in {PROBE_TIMEOUT_S} s\n")
                returncode = proc.returncode
            except BaseException:  # interrupted: no asv or Bengal build of this probe lives on
                stop_tree(proc, 10.0)
                raise
        reason = failure_reason(log_file.read_text(errors="replace"), returncode)
        run = Run(time.monotonic() - t0, reason, log_file)
        log(f"  {sha[:8]}: asv run done in {run.seconds:.0f} s (log {log_file})")
        self.runs[sha] = run
        return run


@dataclass(frozen=True)
class Run:
    """One asv run of one commit for every target of the bisect."""

    seconds: float
    reason: str  # why a target has no value after it: asv's last error line, or its exit status
    log: Path


def failure_reason(output: str, returncode: int) -> str:
    """The last error line asv printed for the commit (the benchmark's exception, or the failed
    install step), else the exit status."""
    lines = [ln.strip() for ln in output.splitlines() if _ERROR_LINE.match(ln)]
    if lines:
        return lines[-1][:400]
    if "Error running" in output or "Failed to build" in output:
        failed = [ln.strip() for ln in output.splitlines() if "Error running" in ln]
        return (failed[-1] if failed else "the install failed")[:400]
    return f"no value recorded (asv run exited {returncode})"


def log(msg: str) -> None:
    print(f"[tools.bisect] {msg}", file=sys.stderr, flush=True)
