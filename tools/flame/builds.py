"""Which Bengal, and running its builds: this venv's side of ``tools.flame``.

A version (0.5.1) gets a date-pinned virtualenv through ``driver.install``, a commit of a local
Bengal repository a cached clone, a checkout directory is installed as it is now. Each build runs
in that env's interpreter (``tools.flame.runner``): one under cProfile, then (unless asked not to)
two under ``py-spy record`` attached once the runner is warm, one per output format.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from driver import compat, install
from tools.flame import ProfileError, log
from tools.flame.runner import WARM

ROOT = Path(__file__).resolve().parents[2]
WARM_UP_TIMEOUT_S = 3600


# --- which Bengal ---------------------------------------------------------------------------------


def _git(*args: str) -> str:
    proc = subprocess.run(["git", *args], text=True, capture_output=True)
    if proc.returncode != 0:
        raise ProfileError(f"git {' '.join(args[:4])}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout.strip()


def default_repo() -> Path | None:
    """A local Bengal git repo: asv.local.conf.json's ``repo`` or asv's clone ``./bengal``."""
    local_conf = ROOT / "asv.local.conf.json"
    if local_conf.exists():
        try:
            repo = Path(json.loads(local_conf.read_text()).get("repo", ""))
            if repo.is_absolute() and repo.exists():
                return repo
        except (ValueError, OSError):
            pass
    return ROOT / "bengal" if (ROOT / "bengal").exists() else None


def is_version(spec: str) -> bool:
    return re.fullmatch(r"\d+(\.\d+)+([a-z]+\d*)?", spec) is not None


def checkout(repo: Path, commit: str) -> Path:
    """A cached clone of ``repo`` at ``commit`` (driver.install reads the commit's date there)."""
    sha = _git("-C", str(repo), "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    dest = install.cache_root().parent / "profile-checkouts" / sha[:12]
    if not (dest / ".git").exists():
        log(f"checking out {commit} ({sha[:12]}) from {repo}")
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        _git("clone", "-q", "--no-checkout", str(repo), str(dest))
        _git("-C", str(dest), "checkout", "-q", "--detach", sha)
    return dest


def bengal_python(spec: str, repo: Path | None) -> Path:
    """The interpreter of a date-pinned virtualenv holding Bengal ``spec``."""
    if Path(spec).is_dir() and not (Path(spec) / "HEAD").exists():
        source = Path(spec).resolve()
        log(f"installing the local checkout {source} (dependencies as of its commit date)")
        python = install.ensure_bengal_env(os.fspath(source))
        # The env is cached by path: reinstall the checkout as it is now, same date pin.
        with tempfile.TemporaryDirectory() as tmp:
            wheel = install.build_wheel(source, Path(tmp), python=os.fspath(python))
            install.install_wheel(python, wheel, install.commit_date(source))
        return python
    if is_version(spec):
        log(f"Bengal {spec}: date-pinned virtualenv (created on first use)")
        return install.ensure_bengal_env(spec)
    if repo is None:
        raise ProfileError(f"{spec!r} is neither a version nor a directory, and no --repo given")
    if not repo.exists():
        raise ProfileError(f"--repo {repo}: no such directory")
    try:
        sha = _git("-C", str(repo), "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    except ProfileError:
        raise ProfileError(f"unknown commit {spec!r} in {repo}") from None
    return install.ensure_bengal_env(os.fspath(checkout(repo, sha)))


# --- running builds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    python: Path
    work: Path
    variant: str
    batch_pages: int
    workers: int

    def runner(self, stage: str, *args: str) -> list[str]:
        return [
            os.fspath(self.python),
            "-m",
            "tools.flame.runner",
            stage,
            "--work",
            os.fspath(self.work),
            "--variant",
            self.variant,
            "--workers",
            str(self.workers),
            *args,
        ]

    def env(self) -> dict[str, str]:
        """The repository on the path; the builds' fixed hash seed, so that two profiles of one
        commit call the same functions as often (set iteration follows the seed)."""
        path = os.environ.get("PYTHONPATH")
        return {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), path])),
            "PYTHONHASHSEED": compat.BUILD_ENV["PYTHONHASHSEED"],
        }


def run_step(argv: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, env=env, cwd=ROOT, text=True, capture_output=True)
    if proc.returncode != 0:
        tail = [line for line in proc.stderr.strip().splitlines() if line.strip()][-1:] or ["?"]
        raise ProfileError(f"{what} failed (rc={proc.returncode}): {tail[0]}")
    return proc


def py_spy() -> str:
    found = Path(sys.executable).parent / "py-spy"
    exe = os.fspath(found) if found.exists() else shutil.which("py-spy")
    if exe is None:
        raise ProfileError("py-spy not found (pip install -r requirements-dev.txt)")
    return exe


def profile_build(job: Job, out: Path, rate: int, cprofile_only: bool = False) -> dict:
    """cProfile one build, then (unless ``cprofile_only``) py-spy two more of the same kind.
    Returns the build's result."""
    out.mkdir(parents=True, exist_ok=True)
    env = job.env()
    result_json = out / "build-result.json"
    log(f"profiling one {job.variant} build under cProfile")
    run_step(
        job.runner(
            "build",
            "--batch-pages",
            str(job.batch_pages),
            "--cprofile",
            os.fspath(out / "build.prof"),
            "--result",
            os.fspath(result_json),
        ),
        env,
        "the cProfile build",
    )
    result = json.loads(result_json.read_text())
    log(f"build ok: {result.get('wall_s', 0):.2f} s, {result.get('html_written')} HTML written")
    recordings = () if cprofile_only else RECORDINGS
    for fmt, name in recordings:
        log(f"recording a warm {job.variant} build with py-spy ({fmt})")
        target = out / name
        target.unlink(missing_ok=True)
        spy_result = out / f"py-spy-{fmt}-result.json"
        argv = job.runner(
            "build",
            "--batch-pages",
            str(job.batch_pages),
            "--result",
            os.fspath(spy_result),
            "--pause-after-warm-up",
        )
        record = [py_spy(), "record", "--subprocesses", "--rate", str(rate), "--format", fmt]
        spy_log = record_warm_build(argv, env, [*record, "-o", os.fspath(target)])
        spy_result.unlink(missing_ok=True)
        if not target.exists() or target.stat().st_size == 0:
            raise ProfileError(f"py-spy could not record the build: {spy_log}")
    return result


RECORDINGS = (("flamegraph", "flame.svg"), ("speedscope", "profile.speedscope.json"))


def _read_line(stream, deadline: float) -> str:
    """One line of ``stream`` before ``deadline`` (monotonic), or "" at the deadline / EOF."""
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([stream], [], [], min(left, 1.0))
        if ready:
            return stream.readline()
    return ""


def record_warm_build(argv: list[str], env: dict[str, str], record: list[str]) -> str:
    """Run the runner until it is warm, attach ``record`` (py-spy) to it, let it build, and
    return py-spy's last output line. Every wait is bounded and says what it waited for."""
    runner = subprocess.Popen(
        argv, env=env, cwd=ROOT, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    spy = None
    try:
        line = _read_line(runner.stdout, time.monotonic() + WARM_UP_TIMEOUT_S)
        if line.strip() != WARM:
            runner.kill()
            err = [ln for ln in runner.stderr.read().splitlines() if ln.strip()][-1:] or [line]
            raise ProfileError(f"the runner did not warm up in {WARM_UP_TIMEOUT_S} s: {err[0]}")
        spy = subprocess.Popen(
            [*record, "--pid", str(runner.pid)], text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        if "Sampling process" not in _read_line(spy.stdout, time.monotonic() + 30):
            raise ProfileError("py-spy did not start sampling within 30 s")
        runner.stdin.write("go\n")
        runner.stdin.close()
        rc = runner.wait(timeout=WARM_UP_TIMEOUT_S)
        if rc != 0:
            tail = [ln for ln in runner.stderr.read().splitlines() if ln.strip()][-1:] or ["?"]
            raise ProfileError(f"the build under py-spy failed (rc={rc}): {tail[0]}")
        out, _ = spy.communicate(timeout=120)
        lines = [ln for ln in out.splitlines() if ln.strip()]
        return lines[-1] if lines else "no output"
    except subprocess.TimeoutExpired as exc:
        raise ProfileError(f"{exc.cmd[0]} did not finish within {exc.timeout} s") from None
    finally:
        for proc in (spy, runner):
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()
