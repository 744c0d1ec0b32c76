"""Name the commit: bisect a step in an instruction count (or an exact work counter) between a
known-good and a known-bad Bengal commit, one asv run per probe, every probe kept.

    python -m tools.bisect --repo ~/src/bengal --good v0.4.3 --bad v0.5.0
    python -m tools.bisect --repo REPO --good A --bad B --benchmark one_page --profile pr \\
        --results-dir .asv/results --out bisect/        # answer.md, answer.json, probes/*.log
    python -m tools.bisect --repo REPO --good A --bad B --benchmark full,noop,one_page --thorough
    python -m tools.bisect --repo REPO --good A --bad B --benchmark cpu [--samples 5:12]

Several benchmarks of one range are one bisect: each probe is one asv run that takes all of their
numbers from the same builds, and each benchmark's search reuses every probe.

Why a plain single-run bisection: these numbers repeat to within hundredths of a percent (A/A),
so one probe decides a commit's side of a 1% step; asv's ``find`` (wall time, three-point
heuristic, no significance test) can name the wrong commit on shared cores. Wall and CPU time of
a CLI build (``--benchmark wall`` / ``cpu``) are bisected by ``tools.bisect.timing`` with
interleaved samples and a significance test per probe (an undecided probe is the answer), peak
RSS (``--benchmark peak_rss``) with one build per probe; the dev loop is not bisected.

The answer names each step beyond the benchmark's threshold (``regressions_thresholds`` in
``asv.conf.json``), its share of the range's change, the changed files and the call-count diff of
one build at the culprit's parent and at the culprit (``tools.flame --compare``), and the quiet
sub-ranges long enough to hide a step and its reversal (``--thorough N`` probes inside them). Exit
status: 0 with an answer, 2 for bad input or an end of the range that cannot be measured.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from benchmarks import profiles
from catalogue import tiers
from tools.bisect import noisy, timing
from tools.bisect import probe as probing
from tools.bisect.answer import Answer, Report
from tools.bisect.commits import RangeError, first_parent_range, probeable_flags
from tools.bisect.search import Skipped, bisect
from tools.flame.builds import default_repo

ROOT = Path(__file__).resolve().parents[2]
CALLS_HEADING = "## Call counts"
THOROUGH = 8  # --thorough without a number: probes inside quiet sub-ranges, at most


class BisectError(Exception):
    """A user-facing failure: one line, exit status 2."""


def benchmarks(text: str) -> list[probing.Target] | str:
    """argparse type of ``--benchmark``: a comma-separated list of targets, or one noisy number
    of a CLI build (wall, cpu, peak_rss: ``tools.bisect.timing``)."""
    names = [n.strip() for n in text.split(",")]
    if noisy_names := [n for n in names if n in timing.METRICS]:
        if len(names) > 1:
            raise argparse.ArgumentTypeError(
                f"{noisy_names[0]} is bisected alone, not with other benchmarks"
            )
        return names[0]
    try:
        return probing.parse_targets(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    targets = probing.targets()
    parser = argparse.ArgumentParser(
        prog="python -m tools.bisect", description=" ".join(__doc__.split("\n\n")[0].split())
    )
    parser.add_argument("--repo", type=Path, default=default_repo(), help="a Bengal git repository")
    parser.add_argument("--good", required=True, help="a commit (hash, tag) measured as good")
    parser.add_argument("--bad", required=True, help="a later commit on its first-parent line")
    parser.add_argument(
        "--benchmark",
        default=benchmarks("full"),
        type=benchmarks,
        metavar="BENCHMARK[,BENCHMARK...]",
        help="the numbers to bisect, comma-separated: a build's instruction count (full, noop, "
        "one_page), start-up's, or an exact work counter COUNTER:BUILD (default: full); or "
        "alone one number of a one-worker CLI build, sampled: wall, cpu (interleaved samples, "
        "Mann-Whitney U) or peak_rss (one build per probe); one of " + ", ".join(sorted(targets)),
    )
    parser.add_argument(
        "--thorough",
        type=int,
        nargs="?",
        const=THOROUGH,
        default=0,
        metavar="N",
        help="after the search, probe inside quiet sub-ranges that could hide a step and its "
        f"reversal, at most N probes per benchmark (N defaults to {THOROUGH}; without the "
        "option, none)",
    )
    parser.add_argument(
        "--samples",
        type=samples_budget,
        default=(noisy.MIN_SAMPLES, noisy.MAX_SAMPLES),
        metavar="MIN:MAX",
        help="wall and cpu: samples per commit and probe, to start and at most (default "
        f"{noisy.MIN_SAMPLES}:{noisy.MAX_SAMPLES})",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=noisy.ALPHA,
        help=f"wall and cpu: the Mann-Whitney U test's level (default {noisy.ALPHA})",
    )
    parser.add_argument(
        "--profile",
        choices=sorted(profiles.PROFILES),
        help="default: the tier's, else $BENGAL_BENCH_PROFILE's; with --tier, another profile "
        "is the tier's series at those sites (a rehearsal's smoke)",
    )
    parser.add_argument(
        "--tier",
        choices=list(tiers.TIERS),
        help="a tier of the history (its machine gets the probes; its profile is used)",
    )
    parser.add_argument("--results-dir", type=Path, default=ROOT / ".asv" / "results")
    parser.add_argument(
        "--stored-results",
        type=Path,
        help="earlier asv results to reuse, read only (probes go to --results-dir)",
    )
    parser.add_argument("--env-dir", type=Path, help="asv's environments (default asv.conf.json's)")
    parser.add_argument("--machine-preset", default="local", choices=["local", "gha"])
    parser.add_argument("--out", type=Path, default=ROOT / "bisect")
    parser.add_argument(
        "--no-call-diff", action="store_true", help="skip the culprits' call-count diffs"
    )
    args = parser.parse_args(argv)
    if args.thorough < 0:
        parser.error("--thorough must be at least 0")
    if not 0 < args.alpha < 0.5:
        parser.error("--alpha must be between 0 and 0.5")
    if isinstance(args.benchmark, str) and args.thorough:
        parser.error(f"--thorough is for counts, not {args.benchmark}")
    # Stopped from outside (a CI step's limit, a test's timeout): unwind, so the probe in
    # progress stops its asv run and builds instead of leaving them behind.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if not args.profile and args.tier:
        args.profile = tiers.tier(args.tier).profile
    args.profile = args.profile or profiles.active_profile().name
    if isinstance(args.benchmark, str):
        return run_timing(args)
    try:
        report = run(args, args.benchmark)
    except (BisectError, RangeError) as exc:
        print(f"tools.bisect: error: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "answer.json").write_text(json.dumps(report.to_json(), indent=2) + "\n")
    text = report.markdown()
    (args.out / "answer.md").write_text(text)
    print(text)
    return 0


def samples_budget(text: str) -> tuple[int, int]:
    """argparse type of ``--samples MIN:MAX``."""
    try:
        lo, hi = (int(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not MIN:MAX: {text!r}") from None
    if not 3 <= lo <= hi <= 20:
        raise argparse.ArgumentTypeError(f"need 3 <= MIN <= MAX <= 20, not {text!r}")
    return lo, hi


def run_timing(args: argparse.Namespace) -> int:
    """A bisect of wall time, CPU time or peak RSS of a CLI build (``tools.bisect.timing``)."""
    try:
        if args.repo is None:
            raise BisectError("no Bengal repository: give --repo PATH")
        repo = args.repo.expanduser().resolve()
        commits = first_parent_range(repo, args.good, args.bad)
        answer = timing.run(
            repo, commits, args.benchmark, args.profile, args.out.resolve(), args.alpha,
            *args.samples,
        )  # fmt: skip
    except (BisectError, RangeError, timing.RangeEndError) as exc:
        print(f"tools.bisect: error: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "answer.json").write_text(json.dumps(answer, indent=2) + "\n")
    text = timing.markdown(answer)
    (args.out / "answer.md").write_text(text)
    print(text)
    return 0


def run(args: argparse.Namespace, targets: list[probing.Target]) -> Report:
    """One search per target over the same range, sharing the prober: a commit is run once."""
    if args.repo is None:
        raise BisectError("no Bengal repository: give --repo PATH")
    repo = args.repo.expanduser().resolve()
    commits = first_parent_range(repo, args.good, args.bad)
    prober = probing.Prober(
        repo, targets, args.profile, args.results_dir, args.out, args.machine_preset,
        args.env_dir, args.tier or "", args.stored_results,
    )  # fmt: skip
    probeable = probeable_flags(commits)
    site = profiles.PROFILES[args.profile].instruction_site
    diffs: dict[tuple[int, str], str] = {}  # (culprit, variant) → its call-count diff
    answers = []
    for target in targets:
        threshold = prober.threshold(target)
        probing.log(
            f"{prober.name(target)}: {len(commits) - 1} commits after {commits[0].short}, "
            f"{sum(probeable) - 1} probe-able; threshold {threshold:.2%}"
        )

        def measure(i: int, target: probing.Target = target) -> float:
            where = f"(commit {i} of {len(commits) - 1}) "
            p = prober.measure(commits[i].sha, target, where)
            if p.value is None:
                if i in (0, len(commits) - 1):
                    end = "good" if i == 0 else "bad"
                    raise BisectError(
                        f"the {end} commit {commits[i].short} cannot be measured for "
                        f"{target.name}: {p.reason}"
                    )
                raise Skipped(p.reason)
            return p.value

        def free(i: int) -> bool:
            return commits[i].sha in prober.runs

        outcome = bisect(probeable, measure, threshold, args.thorough, free)
        answer = Answer(
            prober.name(target), target.name, args.profile, prober.machine, threshold,
            prober.higher_is_better(target), commits, outcome, prober.probes[target.name],
        )  # fmt: skip
        for step in outcome.steps if not args.no_call_diff else []:
            if step.exact:
                key = (step.suspects[0], target.variant)
                if key not in diffs:
                    culprit = commits[step.suspects[0]].sha
                    diffs[key] = call_count_diff(repo, culprit, target.variant, site, args.out)
                answer.call_diffs[step.suspects[0]] = diffs[key]
        answers.append(answer)
    return Report(answers)


def call_count_diff(
    repo: Path, culprit: str, variant: str, site: tuple[str, int], out: Path
) -> str:
    """The call-count table of ``tools.flame --compare`` (one cProfiled one-worker build at the
    culprit's first parent and at the culprit), or a line saying why there is none."""
    dest = out / f"profile-{culprit[:8]}"
    argv = [
        sys.executable, "-m", "tools.flame", "--repo", str(repo),
        "--bengal", f"{culprit}^", "--compare", culprit, "--kind", site[0],
        "--pages", str(site[1]), "--variant", variant, "--workers", "1",
        "--cprofile-only", "--out", str(dest),
    ]  # fmt: skip
    probing.log(f"call-count diff {culprit[:8]}^ → {culprit[:8]} (tools.flame --compare)")
    proc = subprocess.run(argv, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True)
    diff = dest / "diff.md"
    if proc.returncode != 0 or not diff.exists():
        why = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"(no call-count diff: {why})"
    text = diff.read_text()
    section = text[text.find(CALLS_HEADING) :] if CALLS_HEADING in text else ""
    section = section.replace(culprit, culprit[:8])
    return re.sub(r"^## ", "#### ", section.strip(), flags=re.M)


if __name__ == "__main__":
    sys.exit(main())
