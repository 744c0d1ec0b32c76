"""Profile one Bengal build at any version, commit or checkout: cProfile, py-spy, a short summary.

    python -m tools.flame --bengal 0.5.1 --kind nested --pages 50 --variant one_page --out DIR
    python -m tools.flame --bengal v0.1.2 --repo bengal-history --compare 0.5.1 --out DIR

Bengal is installed with the dependencies of its day through ``driver.install`` (this module knows
nothing of Bengal's history). The site comes from ``scenario_gen``; incremental variants are
prepared by a full build and the edit (untimed). Each profiled build runs in the Bengal env's
interpreter (``tools.flame.runner``) and is validated by ``driver``; three builds of the same
kind are run: one under cProfile, one under ``py-spy record`` for the flame graph (SVG) and one for
the speedscope JSON (py-spy writes one format per recording).
"""

from __future__ import annotations

import argparse
import os
import pstats
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import scenario_gen
from driver import install
from tools.flame import ProfileError, log
from tools.flame.analysis import diff_markdown, top_markdown
from tools.flame.builds import Job, bengal_python, default_repo, profile_build, run_step

VARIANTS = ("full", *scenario_gen.EDITS)
OUTPUTS = ("build.prof", "top.md", "flame.svg", "profile.speedscope.json")


def profile_spec(spec: str, args: argparse.Namespace, out: Path) -> dict:
    """Install, prepare and profile ``spec`` into ``out``; returns the build result."""
    python = bengal_python(spec, args.repo)
    job = Job(python, out / "work", args.variant, args.batch_pages, args.workers)
    log(f"preparing {args.kind}-{args.pages} (seed {args.seed}) for the {args.variant} variant")
    run_step(
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.flame", description=__doc__.split("\n\n")[0]
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
        print(f"tools.flame: error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


def _slug(spec: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", spec.strip("/")).strip("_")[-40:] or "bengal"


if __name__ == "__main__":
    sys.exit(main())
