"""Profile one Bengal build at any version, commit or checkout: cProfile, py-spy, a short summary.

    python -m tools.profile --bengal 0.5.1 --kind nested --pages 50 --variant one_page --out DIR
    python -m tools.profile --bengal v0.1.2 --repo bengal-history --compare 0.5.1 --out DIR

Bengal is installed with the dependencies of its day through ``driver.install`` (this module knows
nothing of Bengal's history). The site comes from ``scenario_gen``; incremental variants are
prepared by a full build and the edit (untimed). Each profiled build runs in the Bengal env's
interpreter (``tools.profile.runner``) and is validated by ``driver``; three builds of the same
kind are run: one under cProfile, one under ``py-spy record`` for the flame graph (SVG) and one for
the speedscope JSON (py-spy writes one format per recording).
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import scenario_gen
from driver import compat, install
from tools.profile.runner import WARM

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ("full", *scenario_gen.EDITS)
WARM_UP_TIMEOUT_S = 3600
TOP_N = 30
BENGAL_FRAME = re.compile(r"[/\\]site-packages[/\\]bengal[/\\]")
# pstats key: (filename, line, function name)
Func = tuple[str, int, str]


class ProfileError(Exception):
    """A user-facing failure: printed as one line, non-zero exit."""


def log(msg: str) -> None:
    print(f"[tools.profile] {msg}", file=sys.stderr, flush=True)


# --- which Bengal -----------------------------------------------------------------------------


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
            "tools.profile.runner",
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


def _run(argv: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
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
    _run(
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


def profile_spec(spec: str, args: argparse.Namespace, out: Path) -> dict:
    """Install, prepare and profile ``spec`` into ``out``; returns the build result."""
    python = bengal_python(spec, args.repo)
    job = Job(python, out / "work", args.variant, args.batch_pages, args.workers)
    log(f"preparing {args.kind}-{args.pages} (seed {args.seed}) for the {args.variant} variant")
    _run(
        job.runner(
            "prepare", "--kind", args.kind, "--pages", str(args.pages), "--seed", str(args.seed)
        ),
        job.env(),
        "preparing the site",
    )
    result = profile_build(job, out, args.rate, args.cprofile_only)
    stats = pstats.Stats(os.fspath(out / "build.prof"))
    (out / "top.md").write_text(top_markdown(stats, spec, args, result))
    shutil.rmtree(job.work, ignore_errors=True)
    return result


# --- reading a profile --------------------------------------------------------------------------


def short_path(filename: str) -> str:
    """Drop the env/interpreter prefix: ``bengal/rendering/x.py``, ``json/decoder.py``."""
    for marker in ("site-packages/", "/lib/python3.", f"{ROOT}/"):
        if marker in filename:
            rest = filename.split(marker, 1)[1]
            return rest.split("/", 1)[1] if marker == "/lib/python3." else rest
    return filename


def func_label(func: Func) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    return f"{short_path(filename)}:{line} {name}"


def is_bengal(func: Func) -> bool:
    return BENGAL_FRAME.search(func[0]) is not None and func[2] != "<module>"


def bengal_bottlenecks(stats: pstats.Stats, n: int = 5) -> list[tuple[Func, float, float, float]]:
    """Bengal functions ranked by own time plus time in the non-Bengal code they call directly.

    Rendering, parsing and I/O happen in libraries (templates, markdown, stdlib) called from
    Bengal; charging that time to the Bengal caller names the Bengal code responsible, while a
    Bengal frame that only calls other Bengal frames (an orchestrator) ranks low.
    Returns ``(func, charged_s, own_s, cumulative_s)``.
    """
    raw = stats.stats  # type: ignore[attr-defined]
    charged = {f: v[2] for f, v in raw.items() if is_bengal(f)}
    for callee, (_cc, _nc, _tt, _ct, callers) in raw.items():
        if is_bengal(callee):
            continue
        for caller, timing in callers.items():
            if caller in charged:
                charged[caller] += timing[3]
    ranked = sorted(charged.items(), key=lambda item: item[1], reverse=True)[:n]
    return [(f, c, raw[f][2], raw[f][3]) for f, c in ranked]


def _table(stats: pstats.Stats, key: int, n: int) -> str:
    """``key``: 2 = own time, 3 = cumulative (pstats' tuple layout)."""
    raw = stats.stats  # type: ignore[attr-defined]
    rows = sorted(raw.items(), key=lambda item: item[1][key], reverse=True)[:n]
    lines = ["| # | function | calls | own s | cumulative s |", "|---:|---|---:|---:|---:|"]
    for i, (func, (cc, nc, tt, ct, _)) in enumerate(rows, 1):
        calls = f"{nc}/{cc}" if nc != cc else str(nc)
        lines.append(f"| {i} | `{func_label(func)}` | {calls} | {tt:.3f} | {ct:.3f} |")
    return "\n".join(lines)


def top_markdown(stats: pstats.Stats, spec: str, args: argparse.Namespace, result: dict) -> str:
    bottlenecks = bengal_bottlenecks(stats)
    if not bottlenecks:
        raise ProfileError("the profile holds no frames from the bengal package")
    total = stats.total_tt  # type: ignore[attr-defined]
    lines = [
        f"# Profile: Bengal {spec}, {args.kind}-{args.pages} (seed {args.seed}), "
        f"variant `{args.variant}`",
        "",
        f"One validated build: {result.get('wall_s', 0):.2f} s wall, "
        f"{result.get('html_written')} of {result.get('html_total')} HTML pages written, "
        f"full rebuild: {result.get('full_rebuild')}; max_workers "
        f"{args.workers or 'Bengal default'}. cProfile total: {total:.2f} s"
        + (
            ""
            if args.workers == 1
            else " (several worker threads: cProfile mixes their call "
            "stacks, so cumulative times and callers are unreliable; trust own times and py-spy)"
        )
        + ". An in-process build's first run also pays for Bengal's lazy imports.",
        "",
        "## Top 5 bottlenecks in Bengal's own code",
        "",
        "Ranked by own time plus the time of the non-Bengal code (templates, markdown, stdlib) "
        "each function calls directly.",
        "",
    ]
    for i, (func, charged, own, cum) in enumerate(bottlenecks, 1):
        lines.append(
            f"{i}. `{func_label(func)}`: {charged:.3f} s "
            f"({100 * charged / total:.0f}% of profiled time; own {own:.3f} s, "
            f"cumulative {cum:.3f} s)"
        )
    lines += [
        "",
        f"## Top {TOP_N} by cumulative time",
        "",
        _table(stats, 3, TOP_N),
        "",
        f"## Top {TOP_N} by own time",
        "",
        _table(stats, 2, TOP_N),
        "",
    ]
    return "\n".join(lines)


def _by_label(stats: pstats.Stats) -> dict[str, tuple[float, float]]:
    """Own and cumulative seconds per function, keyed without line numbers (they move)."""
    merged: dict[str, tuple[float, float]] = {}
    for (filename, _line, name), (_cc, _nc, tt, ct, _) in stats.stats.items():  # type: ignore
        label = name if filename == "~" else f"{short_path(filename)} {name}"
        own, cum = merged.get(label, (0.0, 0.0))
        merged[label] = (own + tt, cum + ct)
    return merged


def diff_markdown(
    base: pstats.Stats,
    head: pstats.Stats,
    base_spec: str,
    head_spec: str,
    base_wall: float,
    head_wall: float,
    n: int = 25,
) -> str:
    """Functions that got slower from ``base`` to ``head`` (one build each: deltas per build)."""
    a, b = _by_label(base), _by_label(head)
    rows = []
    for label in set(a) | set(b):
        own_a, cum_a = a.get(label, (0.0, 0.0))
        own_b, cum_b = b.get(label, (0.0, 0.0))
        rows.append((label, own_b - own_a, cum_b - cum_a, own_a, own_b, cum_a, cum_b))

    def table(key: int, title: str) -> list[str]:
        slower = sorted((r for r in rows if r[key] > 0.0005), key=lambda r: r[key], reverse=True)[
            :n
        ]
        out = [
            f"## {title}",
            "",
            "| function | Δ own ms | Δ cumulative ms | own ms "
            f"{base_spec} → {head_spec} | cumulative ms |",
            "|---|---:|---:|---:|---:|",
        ]
        out += [
            f"| `{r[0]}` | {1000 * r[1]:+.1f} | {1000 * r[2]:+.1f} | {1000 * r[3]:.1f} → "
            f"{1000 * r[4]:.1f} | {1000 * r[5]:.1f} → {1000 * r[6]:.1f} |"
            for r in slower
        ]
        return [*out, ""] if slower else [*out, "(nothing got slower)", ""]

    return "\n".join(
        [
            f"# What got slower: Bengal {base_spec} → {head_spec}",
            "",
            f"One build each (deltas per build). Build wall time: {base_wall:.2f} s → "
            f"{head_wall:.2f} s ({head_wall / base_wall:.2f}x). Functions are matched by module "
            "and name; a function only in one version counts as 0 in the other.",
            "",
            *table(2, "Slower by cumulative time"),
            *table(1, "Slower by own time"),
            *calls_table(base, head, base_spec, head_spec),
        ]
    )


CALLS_TOP_N = 20
OUTPUTS = ("build.prof", "top.md", "flame.svg", "profile.speedscope.json")


def _calls_by_label(stats: pstats.Stats) -> dict[str, int]:
    """Calls (primitive and recursive) per Bengal function, keyed without line numbers."""
    calls: dict[str, int] = {}
    for func, (_cc, nc, _tt, _ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        if is_bengal(func):
            label = f"{short_path(func[0])} {func[2]}"
            calls[label] = calls.get(label, 0) + nc
    return calls


def calls_diff(
    base: pstats.Stats, head: pstats.Stats, n: int = CALLS_TOP_N
) -> list[tuple[str, int, int]]:
    """``(function, base calls, head calls)`` of the Bengal functions whose call count changed
    most (by absolute change; ties by name). Call counts are what a one-worker build did, not
    how long it took, so they do not follow the machine's load."""
    a, b = _calls_by_label(base), _calls_by_label(head)
    changed = [(f, a.get(f, 0), b.get(f, 0)) for f in set(a) | set(b) if a.get(f, 0) != b.get(f, 0)]
    return sorted(changed, key=lambda r: (-abs(r[2] - r[1]), r[0]))[:n]


def calls_table(
    base: pstats.Stats, head: pstats.Stats, base_spec: str, head_spec: str
) -> list[str]:
    rows = calls_diff(base, head)
    out = [
        f"## Call counts: top {CALLS_TOP_N} Bengal functions by absolute change",
        "",
        "`ncalls` from cProfile: how often each function ran, not how fast, so the machine's "
        "load does not move it. With one worker (`--workers 1`) identical builds differ only "
        "where Bengal uses time-based caches or random choices, by a few calls: a large change "
        "here is a change in the work done, whatever the timings above say.",
        "",
        f"| function | Δ calls | calls {base_spec} → {head_spec} |",
        "|---|---:|---:|",
    ]
    out += [f"| `{f}` | {h - b:+d} | {b} → {h} |" for f, b, h in rows]
    return [*out, ""] if rows else [*out, "(no Bengal function changed its call count)", ""]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.profile", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--bengal",
        required=True,
        help="a version (0.5.1), a commit of --repo, or a local checkout path",
    )
    parser.add_argument("--compare", metavar="SPEC2", help="also profile SPEC2 and write diff.md")
    parser.add_argument(
        "--repo",
        type=Path,
        default=default_repo(),
        help="local Bengal git repo for commits (default: asv's clone)",
    )
    parser.add_argument(
        "--kind", default="nested", help="scenario kind (flat|nested|api_docs|blog)"
    )
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variant", choices=VARIANTS, default="full")
    parser.add_argument("--batch-pages", type=int, default=10, help="pages edited by `batch`")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Bengal max_workers for every build (default 1: cProfile cannot attribute time "
        "between concurrent threads; py-spy records all threads either way); 0: Bengal's default",
    )
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument(
        "--cprofile-only",
        action="store_true",
        help="skip the two py-spy recordings (call counts and cProfile times only: faster)",
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    outputs = ("build.prof", "top.md") if args.cprofile_only else OUTPUTS
    try:
        if args.compare is None:
            profile_spec(args.bengal, args, args.out)
            written = [args.out / f for f in outputs]
        else:
            dirs = [args.out / _slug(s) for s in (args.bengal, args.compare)]
            if dirs[0] == dirs[1]:
                dirs = [args.out / "base", args.out / "head"]
            base = profile_spec(args.bengal, args, dirs[0])
            head = profile_spec(args.compare, args, dirs[1])
            diff = diff_markdown(
                pstats.Stats(os.fspath(dirs[0] / "build.prof")),
                pstats.Stats(os.fspath(dirs[1] / "build.prof")),
                args.bengal,
                args.compare,
                base["wall_s"],
                head["wall_s"],
            )
            (args.out / "diff.md").write_text(diff)
            written = [d / f for d in dirs for f in outputs]
            written.append(args.out / "diff.md")
    except (ProfileError, install.InstallError) as exc:
        print(f"tools.profile: error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


def _slug(spec: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", spec.strip("/")).strip("_")[-40:] or "bengal"


if __name__ == "__main__":
    sys.exit(main())
