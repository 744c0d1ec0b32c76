"""One local Bengal history and one sharded asv run, shared by every test module in the session.

Why a module and not fixtures: the asv runs are the expensive part of the suite (an env, a
date-pinned install per commit), so test_ci_scripts and test_asv_site must share them; these
functions are memoised per process and the test modules wrap them in session fixtures. Bengal's
sdists and asv's benchmark envs live in ``$BENGAL_BENCH_CACHE`` and survive between runs.

The smoke run (every benchmark, two releases) is half the suite's time, so it starts in the
background when the session starts (``start_smoke_run``, in its own asv env dir) and the tests
that do not read it run meanwhile on the other core; the tests that read it run last.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from driver.processes import stop_tree
from tools.asv_local import history as bengal_history

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ("0.1.2", "0.5.1")  # two releases from different eras of the CLI
BENCH = r"bench_startup\.ImportTime"  # one cheap benchmark: Bengal's import time
MACHINE = "pytest-bengal-benchmarks"
TESTS_ENV_DIR = "asv-env-tests"  # the shard runs'
SMOKE_ENV_DIR = "asv-env-smoke"  # the background smoke run's: two asv runs never share an env
# From the session's start; measured: 21 min cold beside the other tests, 27.5 min with a nightly
# too. Clearly below pytest's own timeout (pyproject.toml), so this limit fires first, with the log.
SMOKE_LIMIT_S = 2700.0
STOP_GRACE_S = 10.0  # per signal when the background run is stopped as a tree
# The smoke run's log survives the session here (CI uploads it when the tests fail).
LOG_DIR = Path(os.environ.get("BENGAL_BENCH_TEST_LOGS", ROOT / ".asv" / "test-logs"))
SMOKE_LOG = LOG_DIR / "smoke-run.log"


@functools.cache
def workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="bengal-bench-tests-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.setdefault("BENGAL_BENCH_PROFILE", "smoke")
    e["BENGAL_BENCH_MACHINE"] = MACHINE
    return e


def run(argv: list[str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, env=env(), capture_output=True, text=True, **kw)


@dataclass
class History:
    repo: Path
    shas: dict[str, str]  # version -> commit
    seconds: float


@functools.cache
def history() -> History:
    """A release history of VERSIONS, built with the real tool (sdists from PyPI, cached)."""
    repo = workdir() / "bengal-history"
    start = time.monotonic()
    proc = run(
        [sys.executable, "-m", "tools.asv_local.history", str(repo), "--versions", *VERSIONS]
    )
    assert proc.returncode == 0, proc.stderr
    shas = {}
    for line in proc.stdout.split("\n"):
        if line.strip():
            sha, tag = line.split()
            shas[tag.removeprefix("v")] = sha
    return History(repo, shas, time.monotonic() - start)


@dataclass
class ShardRun:
    hashfile: Path
    results: Path
    config: Path
    returncode: int
    log: str
    seconds: float


@dataclass
class Shards:
    files: list[Path]
    runs: list[ShardRun] = field(default_factory=list)


def asv_local_argv(
    config: Path, results: Path, html: Path, *args: str, env_dir: str = TESTS_ENV_DIR
) -> list[str]:
    """tools.asv_local with the test's config/results/html and a cached env dir."""
    return [
        sys.executable, "-m", "tools.asv_local", "--repo", str(history().repo),
        "--config-out", str(config), "--results-dir", str(results), "--html-dir", str(html),
        "--env-dir", str(bengal_history.cache_root() / env_dir), *args,
    ]  # fmt: skip


def asv_local(config: Path, results: Path, html: Path, *args: str) -> subprocess.CompletedProcess:
    return run(asv_local_argv(config, results, html, *args))


@functools.cache
def shards() -> Shards:
    """Split the history into 2 shard files and run each with real asv (one commit each)."""
    out = workdir() / "shards"
    proc = run(
        [sys.executable, "-m", "tools.ci.commits", "shard", "--repo", str(history().repo),
         "--range", "main", "--shards", "2", "--out-dir", str(out)]
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = Shards(files=sorted(out.glob("shard-*.txt")))
    for i, hashfile in enumerate(result.files):
        base = workdir() / f"shard-{i}"
        start = time.monotonic()
        proc = asv_local(
            base / "asv.conf.json", base / "results", base / "html",
            "run", f"HASHFILE:{hashfile}", "--bench", BENCH, "--show-stderr",
        )  # fmt: skip
        log = proc.stdout + proc.stderr
        seconds = time.monotonic() - start
        conf = base / "asv.conf.json"
        result.runs.append(
            ShardRun(hashfile, base / "results", conf, proc.returncode, log, seconds)
        )
    return result


@dataclass
class Site:
    results: Path
    html: Path
    publish_log: str
    returncode: int
    seconds: float


def publish(results: Path, html: Path, config: Path) -> Site:
    start = time.monotonic()
    proc = asv_local(config, results, html, "publish")
    return Site(results, html, proc.stdout + proc.stderr, proc.returncode, time.monotonic() - start)


@functools.cache
def merged_site() -> Site:
    """Both shards merged with tools.ci.merge_results, then published by asv."""
    merged = workdir() / "merged" / "results"
    runs = shards().runs
    inputs = [str(r.results) for r in runs]
    proc = run([sys.executable, "-m", "tools.ci.merge_results", str(merged), *inputs])
    assert proc.returncode == 0, proc.stderr
    return publish(merged, workdir() / "merged" / "html", workdir() / "merged" / "asv.conf.json")


@functools.cache
def first_shard_site() -> Site:
    """The site of the oldest commit alone: the 'previous night' for regression detection."""
    first = shards().runs[0]
    return publish(first.results, workdir() / "shard-0" / "html", first.config)


@dataclass(frozen=True)
class AsvRun:
    """A real ``asv run`` of every benchmark of the suite (smoke profile) over ``history()``."""

    results: Path  # asv results_dir
    conf: Path  # the asv config the run used (repo = the local release history)
    repo: Path  # the release history: tags v0.1.2, v0.5.1
    base: str  # full sha of v0.1.2
    head: str  # full sha of v0.5.1
    returncode: int  # asv run's (2 when some benchmark failed)


@functools.cache
def start_smoke_run() -> subprocess.Popen | None:
    """Start ``asv run`` of every benchmark on both releases in the background (once per
    session; None when ``BENGAL_BENCH_ASV_RESULTS`` names an earlier run to reuse). It is
    stopped as a tree at exit, also when the session is ended by SIGTERM."""
    if os.environ.get("BENGAL_BENCH_ASV_RESULTS"):
        return None
    work = workdir() / "smoke"
    work.mkdir(parents=True, exist_ok=True)
    argv = asv_local_argv(
        work / "asv.conf.json", work / "results", work / "html",
        "run", "ALL", "--record-samples", "--show-stderr", env_dir=SMOKE_ENV_DIR,
    )  # fmt: skip
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with open(SMOKE_LOG, "w") as log:
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    _started[proc.pid] = time.monotonic()
    atexit.register(stop_tree, proc, STOP_GRACE_S)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # let atexit run on SIGTERM too
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    return proc


_started: dict[int, float] = {}


def smoke_failure(what: str) -> AssertionError:
    """What went wrong with the smoke run, with the end of its log (kept at SMOKE_LOG)."""
    tail = SMOKE_LOG.read_text(errors="replace")[-3000:] if SMOKE_LOG.is_file() else "(no log)"
    return AssertionError(f"the smoke asv run {what}; its log ({SMOKE_LOG}) ends:\n{tail}")


@functools.cache
def smoke_run() -> AsvRun:
    """Every benchmark on both releases, once per session (started by ``start_smoke_run``).

    ``BENGAL_BENCH_ASV_RESULTS=DIR`` reuses an earlier run's DIR (``results/``, ``asv.conf.json``
    and ``returncode`` as written here) instead of running asv again; the run's history is the
    same (deterministic hashes). A crash (an exit status other than asv's 0 and 2), the time
    limit or a missing results file fails with the log's tail.
    """
    reuse = os.environ.get("BENGAL_BENCH_ASV_RESULTS")
    work = Path(reuse) if reuse else workdir() / "smoke"
    rc_file = work / "returncode"
    proc = start_smoke_run()
    if proc is not None:
        left = SMOKE_LIMIT_S - (time.monotonic() - _started[proc.pid])
        try:
            proc.wait(timeout=max(left, 0.0))
        except subprocess.TimeoutExpired:
            stop_tree(proc, STOP_GRACE_S)
            raise smoke_failure(f"did not finish in {SMOKE_LIMIT_S:.0f} s") from None
        if proc.returncode not in (0, 2):  # 2: some benchmark failed, by design on old eras
            raise smoke_failure(f"crashed: exit status {proc.returncode}")
        rc_file.write_text(str(proc.returncode))
    found = [p for p in (work / "results").glob("*/*.json") if p.name != "machine.json"]
    if len(found) < len(VERSIONS):
        raise smoke_failure(f"wrote {len(found)} results files, not one per release")
    shas = history().shas
    return AsvRun(
        work / "results",
        work / "asv.conf.json",
        history().repo,
        shas[VERSIONS[0]],
        shas[VERSIONS[-1]],
        int(rc_file.read_text()),
    )
