"""The part of ``tools.flame`` that runs in a Bengal virtualenv (stdlib, driver, scenario_gen).

Two stages, so that the profiled process does nothing but one build:

    python -m tools.flame.runner prepare --work DIR --kind nested --pages 50 --variant one_page
    python -m tools.flame.runner build --work DIR --variant one_page [--cprofile OUT] --result J

``prepare`` (untimed) makes ``DIR/state``: a pristine site for ``full``, a validated full build for
the incremental variants. ``build`` first runs the same build untimed as a warm-up, then restores
that state at ``DIR/site`` (the path ``prepare`` built it at: Bengal's cache may store absolute
paths), applies the variant's edit, runs one build through ``driver.Build(...).run()`` (under
cProfile if asked) and validates it with ``.verify()``: a build that fails validation exits
non-zero instead of leaving a profile behind.

The warm-up leaves the profiled build nothing to trip on: it runs on its own copy of the state
(``DIR/warm-up``) and in a thread of its own, the profiled build in the main thread. From Bengal
0.5.1 on, a one-worker build keeps its rendering pipeline in a thread-local of the thread that
rendered; the next one-worker build in that thread, on any copy of the site, writes only the
special pages (3 of 15 HTML pages on nested-8) and raises nothing (docs/findings.md). A copy
alone does not avoid it; a thread of its own does, and the warm-up still imports what Bengal
imports lazily during a process's first build.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, is_dataclass
from pathlib import Path

import driver
import scenario_gen

VARIANTS = ("full", *scenario_gen.EDITS)
WARM = "warm: attach now"


SITE, WARM_UP = "site", "warm-up"  # the profiled build's copy of the state, the warm-up's


def _state(work: Path) -> Path:
    return work / "state"


def _restore(work: Path, name: str = SITE) -> Path:
    site = work / name
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(_state(work), site, symlinks=True)
    return site


def prepare(
    work: Path, kind: str, pages: int, seed: int, variant: str, workers: int | None
) -> None:
    """Build the state every profiled build starts from."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    site = scenario_gen.working_copy(
        scenario_gen.Scenario(kind=kind, pages=pages, seed=seed), work / SITE
    )
    if variant != "full":
        result = driver.build(site, mode="full", via="api", workers=workers)
        print(
            f"[tools.flame.runner] prepared: full build of {result.html_total} pages in "
            f"{result.wall_s:.2f} s",
            file=sys.stderr,
            flush=True,
        )
    shutil.copytree(site, _state(work), symlinks=True)


def build(
    work: Path,
    variant: str,
    batch_pages: int,
    workers: int | None,
    cprofile: Path | None,
    result: Path,
    pause: bool = False,
) -> None:
    """Warm up, then restore, edit, run one build (profiled if asked), validate, write the
    result JSON.

    The warm-up is the same build untimed, on its own copy and in its own thread (the module
    docstring says why): Bengal imports much of itself lazily during a process's first build,
    which the in-process benchmarks never time (they warm up too).
    With ``pause`` it prints ``WARM`` after the warm-up and waits for a line on stdin.
    """
    mode = "full" if variant == "full" else "incremental"
    edit = "noop" if variant == "full" else variant

    def prepared(name: str) -> tuple[driver.Build, scenario_gen.Change | None]:
        site = _restore(work, name)
        change = scenario_gen.apply_edit(
            site, edit, batch_pages=batch_pages, salt=f"profile-{os.getpid()}-{name}"
        )
        return driver.Build(site, mode=mode, via="api", workers=workers), change

    def warm_up() -> None:
        runner, change = prepared(WARM_UP)
        runner.run()
        runner.verify(change=change)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=WARM_UP) as own_thread:
        own_thread.submit(warm_up).result()  # raises what the warm-up raised
    shutil.rmtree(work / WARM_UP, ignore_errors=True)
    runner, change = prepared(SITE)
    if pause:  # a profiler attaches now, so that it records the warm build only
        print(WARM, flush=True)
        sys.stdin.readline()
    profiler = cProfile.Profile() if cprofile else None
    if profiler:
        profiler.enable()
    try:
        runner.run()
    finally:
        if profiler:
            profiler.disable()
    outcome = runner.verify(change=change)
    if profiler and cprofile:
        profiler.dump_stats(cprofile)
    data = asdict(outcome) if is_dataclass(outcome) else dict(vars(outcome))
    data.pop("log", None)
    result.write_text(json.dumps(data, default=str, indent=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.flame.runner")
    sub = parser.add_subparsers(dest="stage", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--kind", required=True)
    p.add_argument("--pages", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--variant", choices=VARIANTS, required=True)
    b = sub.add_parser("build")
    b.add_argument("--work", type=Path, required=True)
    b.add_argument("--variant", choices=VARIANTS, required=True)
    b.add_argument("--batch-pages", type=int, default=10)
    b.add_argument("--cprofile", type=Path)
    b.add_argument("--pause-after-warm-up", action="store_true")
    for q in (p, b):
        q.add_argument("--workers", type=int, default=1, help="max_workers; 0: Bengal's default")
    b.add_argument("--result", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        workers = args.workers or None
        if args.stage == "prepare":
            prepare(args.work, args.kind, args.pages, args.seed, args.variant, workers)
        else:
            build(
                args.work,
                args.variant,
                args.batch_pages,
                workers,
                args.cprofile,
                args.result,
                args.pause_after_warm_up,
            )
    except (driver.BuildFailed, scenario_gen.ScenarioError) as exc:
        print(f"tools.flame.runner: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
