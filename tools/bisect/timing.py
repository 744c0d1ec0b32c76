"""Bisect a build's wall time, CPU time or peak RSS: samples are one-worker CLI full builds of a
fresh copy of the profile's instruction site, in each commit's own Bengal env.

Why not through asv like the counts (``probe.py``): a sample is one build, and the noisy search
needs dozens of them interleaved between three commits; an asv run per sample would cost its
start-up and environment check each time, and asv's ``FullBuildReference`` takes its numbers from
a setup of many builds. A sample here is what ``tools.bisect.noise`` measures for the A/A spread:
``python -m driver build --via cli --workers 1`` (validated; ``wall_s``, the child's CPU time
``cpu_s`` from ``os.wait4``, ``peak_rss_mb``). A commit's env is ``driver.install``'s for a source
tree: the commit exported with ``git archive``, dependencies as of its committer date (as the
asv probes pin them), cached by commit. These samples are not stored in asv's results.

- ``wall``, ``cpu``: ``noisy.bisect_noisy`` (interleaved samples, Mann-Whitney U per probe, an
  undecided probe is the answer);
- ``peak_rss``: its A/A spread is 0.3–0.5% against a 5% threshold, so one build per probe
  decides, as for counts (``search.bisect`` with the threshold of ``track_cli_peak_rss``).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import profiles
from benchmarks.sites import site_id
from driver import install
from tools.bisect import noisy
from tools.bisect.commits import Commit, probeable_flags
from tools.bisect.noise import NUMBERS, BuildError, build_once
from tools.bisect.search import Skipped, bisect
from tools.report import data as rd

ROOT = Path(__file__).resolve().parents[2]
# what the user types → the number of a CLI build
METRICS = {"wall": "wall_s", "cpu": "cpu_s", "peak_rss": "peak_rss_mb"}
UNITS = {"wall_s": "s", "cpu_s": "s", "peak_rss_mb": "MB"}


class Builds:
    """One sample of a commit = one validated CLI build in its env; envs made once per commit."""

    def __init__(self, repo: Path, commits: list[Commit], profile: str, work: Path) -> None:
        self.repo, self.commits, self.work = repo, commits, work
        work.mkdir(parents=True, exist_ok=True)
        self.kind, self.pages = profiles.PROFILES[profile].instruction_site
        self.site = site_id(self.kind, self.pages)
        self.pythons: dict[int, Path] = {}
        self.failed: dict[int, str] = {}
        self.builds = 0
        self.install_s = 0.0

    def python(self, i: int) -> Path:
        """The env of commit ``i`` (``Skipped`` when it cannot be installed)."""
        if i in self.failed:
            raise Skipped(self.failed[i])
        if i not in self.pythons:
            c = self.commits[i]
            src = install.cache_root() / "bisect-src" / c.sha[:16]
            t0 = time.monotonic()
            try:
                if not (src / ".exported").exists():
                    src.mkdir(parents=True, exist_ok=True)
                    archive = subprocess.run(
                        ["git", "-C", str(self.repo), "archive", c.sha],
                        capture_output=True, check=True,
                    )  # fmt: skip
                    subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
                    (src / ".exported").touch()
                self.pythons[i] = install.ensure_bengal_env(str(src), date=c.date)
            except (install.InstallError, subprocess.CalledProcessError) as exc:
                self.failed[i] = f"install failed: {str(exc).splitlines()[0][:300]}"
                raise Skipped(self.failed[i]) from None
            finally:
                self.install_s += time.monotonic() - t0
        return self.pythons[i]

    def sample(self, i: int, number: str) -> float:
        """One build of commit ``i``: its ``number`` (``Skipped`` when it fails)."""
        python = self.python(i)
        try:
            result = build_once(python, self.kind, self.pages, self.work, 0)
        except BuildError as exc:
            self.failed[i] = str(exc)
            raise Skipped(str(exc)) from None
        self.builds += 1
        value = float(result[number])
        noisy_log(f"  {self.commits[i].short} ({i}): {value:.3f} {UNITS[number]}")
        return value


def run(
    repo: Path,
    commits: list[Commit],
    metric: str,
    profile: str,
    out: Path,
    alpha: float = noisy.ALPHA,
    min_samples: int = noisy.MIN_SAMPLES,
    max_samples: int = noisy.MAX_SAMPLES,
) -> dict:
    """The bisect of ``metric`` over ``commits``: its answer as JSON (``markdown`` renders it)."""
    number = METRICS[metric]
    builds = Builds(repo, commits, profile, out / "samples")
    probeable = probeable_flags(commits)
    load_before = uptime()
    t0 = time.monotonic()
    last = len(commits) - 1

    def sample(i: int) -> float:
        try:
            return builds.sample(i, number)
        except Skipped as exc:
            if i in (0, last):
                end = "good" if i == 0 else "bad"
                raise RangeEndError(f"the {end} commit {commits[i].short}: {exc}") from None
            raise

    answer: dict = {
        "metric": metric, "number": number, "profile": profile, "site": builds.site,
        "good": commits[0].sha, "bad": commits[-1].sha, "commits": len(commits) - 1,
        "probeable": sum(probeable) - 1,
        "not_probed": [c.sha for c, p in zip(commits, probeable, strict=True) if not p],
    }  # fmt: skip
    if metric == "peak_rss":
        key = f"{NUMBERS[number]}('{builds.site}')"
        threshold = rd.threshold_of(rd.load_thresholds(ROOT / "asv.conf.json"), key)
        noisy_log(f"peak RSS: one build per probe, threshold {threshold:.0%}")
        outcome = bisect(probeable, sample, threshold)
        answer.update(
            method="one build per probe", threshold=threshold,
            values={commits[i].sha: v for i, v in sorted(outcome.values.items())},
            steps=[{"suspects": [commits[j].sha for j in s.suspects], "before": s.value_before,
                    "after": s.value_after, "relative": s.relative} for s in outcome.steps],
            skipped={commits[i].sha: r for i, r in outcome.skipped.items()},
        )  # fmt: skip
    else:
        noisy_log(
            f"{metric}: interleaved samples, {min_samples} to {max_samples} per commit and "
            f"probe, Mann-Whitney U at alpha {alpha}"
        )

        def show(v: noisy.Verdict) -> None:
            if v.mid is None:
                differ = "differ" if v.decision == noisy.LIKE_BAD else "do not differ (undecided)"
                noisy_log(f"ends: {differ} after {v.n} samples a side (p {v.p_lo:.4f})")
                return
            noisy_log(f"probe {commits[v.mid].short}: {v.decision} after {v.n} samples a side "
                      f"(p vs good side {v.p_lo:.4f}, vs bad side {v.p_hi:.4f})")  # fmt: skip

        outcome = noisy.bisect_noisy(probeable, sample, alpha, min_samples, max_samples, show)
        assert outcome.ends is not None
        ends = outcome.ends.samples
        good, bad = statistics.median(ends[0]), statistics.median(ends[last])
        aa = max(noisy.spread(ends[0]), noisy.spread(ends[last]))
        answer.update(
            method="interleaved samples, Mann-Whitney U",
            alpha=alpha, min_samples=min_samples, max_samples=max_samples,
            decision="named" if outcome.culprit is not None else noisy.UNDECIDED,
            suspects=[commits[j].sha for j in outcome.suspects],
            step={"good_median": good, "bad_median": bad, "relative": bad / good - 1,
                  "good_spread": noisy.spread(ends[0]), "bad_spread": noisy.spread(ends[last]),
                  "p": outcome.ends.p_lo, "n": outcome.ends.n,
                  "multiple_of_spread": abs(bad / good - 1) / aa if aa else None},
            ends=_shas(outcome.ends.to_json(), commits),
            probes=[_shas(v.to_json(), commits) for v in outcome.probes],
            undecided=_shas(outcome.undecided.to_json(), commits) if outcome.undecided else None,
            skipped={commits[i].sha: r for i, r in outcome.skipped.items()},
        )  # fmt: skip
    taken = outcome.samples_taken if isinstance(outcome, noisy.Outcome) else len(outcome.values)
    answer["cost"] = {
        "samples": taken, "builds": builds.builds, "envs": len(builds.pythons),
        "install_seconds": round(builds.install_s), "seconds": round(time.monotonic() - t0),
        "load_before": load_before, "load_after": uptime(),
    }  # fmt: skip
    answer["subjects"] = {c.sha: c.subject for c in commits}
    return answer


class RangeEndError(Exception):
    """An end of the range cannot be measured: one line, exit status 2."""


def _shas(v: dict, commits: list[Commit]) -> dict:
    """A verdict's JSON with commit indices as hashes."""
    sha = {str(i): commits[i].sha for i in range(len(commits))}
    out = dict(v)
    for key in ("lo", "mid", "hi"):
        out[key] = commits[v[key]].sha if v[key] is not None else None
    for key in ("median", "spread", "samples"):
        out[key] = {sha[i]: x for i, x in v[key].items()}
    return out


def markdown(a: dict) -> str:
    """The answer for an issue comment."""
    unit = UNITS[a["number"]]
    short = lambda s: f"`{s[:8]}`"  # noqa: E731
    lines = [f"### Bisect of {a['metric']} ({a['number']}, one-worker CLI build, {a['site']})", ""]
    lines.append(f"Range {short(a['good'])}..{short(a['bad'])}: {a['commits']} commits, "
                 f"{a['probeable']} probe-able; method: {a['method']}.")  # fmt: skip
    if a["metric"] == "peak_rss":
        for s in a["steps"]:
            who = ", ".join(map(short, s["suspects"]))
            lines.append(f"- step at {who}: {s['before']:.1f} → {s['after']:.1f} {unit} "
                         f"({s['relative']:+.2%})")  # fmt: skip
        if not a["steps"]:
            lines.append(f"- no step beyond {a['threshold']:.0%}")
    else:
        st = a["step"]
        lines.append(
            f"Ends: {st['good_median']:.3f} → {st['bad_median']:.3f} {unit} ({st['relative']:+.1%}"
            f", p = {st['p']:.4f}, n = {st['n']} a side; A/A spread {st['good_spread']:.1%} / "
            f"{st['bad_spread']:.1%})."
        )
        lines.append("")
        if a["decision"] == "named":
            who = ", ".join(short(s) for s in a["suspects"])
            one_of = "one of " if len(a["suspects"]) > 1 else ""
            subject = a["subjects"][a["suspects"][-1]]
            lines.append(f"**Culprit: {one_of}{who}** ({subject}).")
        else:
            u = a["undecided"]
            if u["mid"] is None:
                lines.append(f"**Undecided** at the ends: they do not differ (alpha {a['alpha']}, "
                             f"{u['n']} samples a side): no step to bisect.")  # fmt: skip
            else:
                lines.append(f"**Undecided** at probe {short(u['mid'])}: its samples place it "
                             f"on neither side (alpha {a['alpha']}, {u['n']} samples a side); "
                             "the probes so far:")  # fmt: skip
        if a["probes"]:
            lines += [
                "",
                "| probe | n | good-side median | probe median | bad-side median | p vs good side "
                "| p vs bad side | decision |",
                "|---|---:|---:|---:|---:|---:|---:|---|",
            ]
        for v in a["probes"]:  # the undecided probe, if any, is the last
            m = v["median"]
            lines.append(
                f"| {short(v['mid'])} | {v['n']} | {m[v['lo']]:.3f} | {m[v['mid']]:.3f} | "
                f"{m[v['hi']]:.3f} | {v['p_vs_lo']:.4f} | {v['p_vs_hi']:.4f} | {v['decision']} |"
            )
    for sha, why in a["skipped"].items():
        lines.append(f"- skipped {short(sha)}: {why}")
    c = a["cost"]
    lines += ["", f"Cost: {c['samples']} samples ({c['builds']} builds), {c['envs']} envs "
              f"({c['install_seconds']} s installing), {c['seconds']} s; load "
              f"{c['load_before']} → {c['load_after']}."]  # fmt: skip
    return "\n".join(lines) + "\n"


def uptime() -> str:
    """The load averages (1, 5, 15 min) now."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def noisy_log(msg: str) -> None:
    print(f"[tools.bisect] {msg}", file=sys.stderr, flush=True)
