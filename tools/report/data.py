"""asv results, read and compared the way asv itself does, for ``tools.report``.

Loading goes through ``asv.results`` (``iter_results_for_machine``, prefix resolution), value
formatting through ``asv.util.human_value`` and errors through ``asv_runner.statistics.get_err``.
An exact benchmark (a count: the catalogue's ``exact``, or threshold 0) changes when
``asv.commands.compare._is_result_better`` says so (median ratio beyond the factor). A noisy one
(times, memory, single-shot track_ values: ``tools.noise.is_noisy``) is decided from its repeated
samples by ``tools.noise.decide`` against its floor (the same threshold): regression,
improvement, unchanged, or **undecided** when the samples cannot tell (one sample a side, or
inseparable samples whose interval reaches past the floor); asv's 99% intervals stand in when a
time was measured without ``--record-samples``. What asv lacks and this adds: the direction of
each benchmark (asv assumes lower is better everywhere), families, per-benchmark factors taken
from ``regressions_thresholds`` in ``asv.conf.json``, and the undecided outcome.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from asv import _stats, util
from asv.commands.compare import _is_result_better
from asv.machine import iter_machine_files
from asv.results import Results, get_result_hash_from_prefix, iter_results_for_machine
from asv_runner.statistics import get_err

import catalogue
from tools import noise

# In report order: instruction counts first (a count that moved is a regression in its own
# right, the wall-time rows beside it are supporting evidence), then the wall-time families.
FAMILIES = (
    "instructions",
    "full",
    "incremental",
    "memory",
    "scaling",
    "correctness",
    "config",
    "phases",
    "parallel",
    "startup",
    "devloop",
    "other",
)
DEFAULT_FACTOR = 1.1  # asv compare's default


class ReportError(Exception):
    """Bad input (unknown commit, wrong machine, no results): one line, non-zero exit."""


def family(key: str) -> str:
    """Family of ``bench_full.FullBuild.time_full_build``-style keys (``catalogue.family``)."""
    base = catalogue.family(key)
    return base if base in FAMILIES else "other"


@functools.cache
def _higher_is_better() -> frozenset[str]:
    return frozenset(e.name for e in catalogue.load() if e.higher_is_better)


@functools.cache
def _entries() -> dict[str, catalogue.Entry]:
    return {e.name: e for e in catalogue.load()}


def is_noisy(key: str) -> bool:
    """Whether the benchmark is decided from samples (``tools.noise.is_noisy``, with what the
    catalogue declares; a benchmark it does not know is noisy when it times or measures memory)."""
    entry = _entries().get(key)
    return noise.is_noisy(key, entry.exact if entry else None, entry.threshold if entry else None)


def higher_is_better(key: str) -> bool:
    """asv assumes lower is better; a benchmark that declares ``higher_is_better`` measures
    something where it is not (speedups, pages/s)."""
    return key in _higher_is_better()


@dataclass(frozen=True)
class Measurement:
    """One benchmark with one parameter combination, at one commit."""

    key: str  # asv benchmark name, e.g. bench_full.FullBuild.time_full_build
    params: tuple[str, ...]  # parameter values as asv stores them (reprs: "'nested-8'")
    value: float | None  # None = failed, NaN = skipped
    stats: dict | None
    samples: list[float] | None
    version: str | None
    unit: str | None

    @property
    def name(self) -> str:
        """asv's display name: ``key('nested-8')`` (``asv.commands.compare.unroll_result``)."""
        return f"{self.key}({', '.join(self.params)})" if self.params else self.key

    @property
    def failed(self) -> bool:
        return self.value is None

    @property
    def skipped(self) -> bool:
        return self.value is not None and math.isnan(self.value)

    def display(self) -> str:
        """asv's formatting: ``1.23±0.01s``, ``81.9M``, ``failed``, ``n/a``."""
        err = get_err(self.value, self.stats) if self.stats and not self.failed else None
        return util.human_value(self.value, self.unit, err=err)


@dataclass
class Commit:
    sha: str
    date_ms: int
    label: str  # short hash, plus tag when a repo knows one
    measurements: dict[str, Measurement] = field(default_factory=dict)


@dataclass
class ResultSet:
    """Everything asv recorded for one machine, per commit, oldest first."""

    results_dir: Path
    machine: str
    commits: list[Commit]
    benchmarks: dict  # benchmarks.json: param_names, unit, ...
    thresholds: dict[str, float]

    def commit(self, spec: str, repo: Path | None = None) -> Commit:
        """The commit a hash prefix (or, with a repo, a tag/branch) names; ReportError if none."""
        sha = spec
        if not re.fullmatch(r"[0-9a-fA-F]{4,40}", spec):
            sha = _rev_parse(repo, spec) if repo else ""
            if not sha:
                raise ReportError(
                    f"unknown commit {spec!r} (give a hash prefix, or a tag/branch with --repo)"
                )
        try:
            prefix = get_result_hash_from_prefix(str(self.results_dir), self.machine, sha.lower())
        except util.UserError as exc:
            raise ReportError(f"commit {spec!r}: {exc}") from None
        found = [c for c in self.commits if prefix and c.sha.startswith(prefix)]
        if not found:
            have = ", ".join(c.label for c in self.commits)
            raise ReportError(
                f"no results for commit {spec!r} on machine {self.machine!r} "
                f"(results exist for: {have})"
            )
        return found[0]

    def factor(self, name: str, override: float | None) -> float:
        """1 + the largest matching ``regressions_thresholds`` entry (asv's rule), or override."""
        if override is not None:
            return override
        return 1.0 + threshold_of(self.thresholds, name)


def load_thresholds(conf: Path) -> dict[str, float]:
    """``regressions_thresholds`` of an asv config (empty when the file is missing)."""
    if not conf.is_file():
        return {}
    return util.load_json(str(conf), js_comments=True).get("regressions_thresholds", {})


def threshold_of(thresholds: dict[str, float], name: str) -> float:
    """The largest ``regressions_thresholds`` entry matching ``name`` (asv's rule), else asv
    compare's default."""
    matching = [t for regex, t in thresholds.items() if re.match(regex, name)]
    return max(matching) if matching else round(DEFAULT_FACTOR - 1.0, 9)


def _rev_parse(repo: Path, name: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"],
        text=True,
        capture_output=True,
    )
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _tags(repo: Path | None) -> dict[str, str]:
    if repo is None:
        return {}
    proc = subprocess.run(
        ["git", "-C", str(repo), "show-ref", "--tags", "-d"], text=True, capture_output=True
    )
    tags: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        sha, _, ref = line.partition(" ")
        tags[sha] = ref.removeprefix("refs/tags/").removesuffix("^{}")
    return tags


def machines(results_dir: Path) -> list[str]:
    return sorted(util.load_json(p)["machine"] for p in iter_machine_files(str(results_dir)))


def load(
    results_dir: Path,
    machine: str | None = None,
    conf: Path | None = None,
    repo: Path | None = None,
    python: str | None = None,
) -> ResultSet:
    """Load every result of one machine with asv's own loader; ReportError on bad input.

    ``python`` keeps one environment's results (e.g. ``3.14t``): a commit measured on two
    pythons has one result file per python, and the two series must not be mixed."""
    if not (results_dir / "benchmarks.json").is_file():
        raise ReportError(f"{results_dir} is not an asv results folder (no benchmarks.json)")
    known = machines(results_dir)
    if not known:
        raise ReportError(f"no machine results in {results_dir}")
    if machine is None:
        if len(known) > 1:
            raise ReportError(
                f"results for several machines in {results_dir}: "
                f"{', '.join(known)}; choose one with --machine"
            )
        machine = known[0]
    elif machine not in known:
        raise ReportError(
            f"no results for machine {machine!r} in {results_dir} (it holds: {', '.join(known)})"
        )
    benchmarks = util.load_json(str(results_dir / "benchmarks.json"), api_version=2)
    thresholds = load_thresholds(conf) if conf is not None else {}
    tags = _tags(repo)
    by_sha: dict[str, Commit] = {}
    pythons: set[str] = set()
    for result in iter_results_for_machine(str(results_dir), machine):
        pythons.add(str(result.params.get("python")))
        if python is not None and result.params.get("python") != python:
            continue
        sha = result.commit_hash
        tag = tags.get(sha)
        commit = by_sha.setdefault(
            sha, Commit(sha, result.date or 0, f"{sha[:8]} ({tag})" if tag else sha[:8])
        )
        commit.measurements.update(_measurements(result, benchmarks))
    if not by_sha and python is not None and pythons:
        raise ReportError(
            f"no results for python {python!r} on machine {machine!r} "
            f"(results exist for: {', '.join(sorted(pythons))})"
        )
    if not by_sha:
        raise ReportError(f"no results for machine {machine!r} in {results_dir}")
    commits = sorted(by_sha.values(), key=lambda c: (c.date_ms, c.sha))
    return ResultSet(results_dir, machine, commits, benchmarks, thresholds)


def _measurements(result: Results, benchmarks: dict) -> dict[str, Measurement]:
    out = {}
    for key in result.get_all_result_keys():
        params = result.get_result_params(key)
        values = result.get_result_value(key, params)
        stats = result.get_result_stats(key, params)
        samples = result.get_result_samples(key, params)
        combos = list(itertools.product(*params)) if params else [()]
        for i, combo in enumerate(combos):
            m = Measurement(
                key=key,
                params=tuple(combo),
                value=values[i],
                stats=stats[i] if stats else None,
                samples=samples[i] if samples else None,
                version=result.benchmark_version.get(key),
                unit=benchmarks.get(key, {}).get("unit"),
            )
            out[m.name] = m
    return out


# --- comparing two commits ---------------------------------------------------------------------

STATUSES = ("failure", "regression", "undecided", "improvement", "unchanged")


@dataclass(frozen=True)
class Row:
    name: str
    key: str
    params: tuple[str, ...]
    family: str
    base: Measurement | None
    head: Measurement | None
    status: str  # one of STATUSES
    mark: str  # red | yellow | green
    ratio: float | None  # head / base
    significant: bool | None  # None: no statistics, asv decides by the factor alone
    note: str  # why yellow, or what kind of failure
    decision: noise.Decision | None = None  # a noisy benchmark's, with its evidence


def percent_change(ratio: float | None) -> str:
    """head/base as a change in percent, to 0.01% under 1% (a one-page rebuild's instruction
    count that moved +0.46% must not read as unchanged): ``+0.46%``, ``-12.3%``, ``+400%``."""
    if ratio is None:
        return "n/a"
    if math.isinf(ratio):
        return "∞"
    pct = (ratio - 1.0) * 100.0
    digits = 2 if abs(pct) < 1 else 1 if abs(pct) < 100 else 0
    return f"{pct:+.{digits}f}%"


def state(m: Measurement | None) -> str:
    """absent (no result), failed, skipped (asv: n/a) or measured."""
    if m is None:
        return "absent"
    return "failed" if m.failed else "skipped" if m.skipped else "measured"


# (state at base, state at head) -> (status, mark, note), for every pair but measured/measured.
# Only a number at head fixes a failure; a number that disappears at head is a failure.
OUTCOMES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("absent", "failed"): ("failure", "red", "newly failing (new benchmark)"),
    ("absent", "skipped"): ("unchanged", "yellow", "new benchmark, skipped (n/a)"),
    ("absent", "measured"): ("unchanged", "yellow", "new benchmark"),
    ("failed", "absent"): ("unchanged", "yellow", "failed at base, not run at head"),
    ("failed", "failed"): ("failure", "red", "also failed at base"),
    ("failed", "skipped"): ("failure", "red", "failed at base, skipped at head"),
    ("failed", "measured"): ("improvement", "green", "fixed (failed at base)"),
    ("skipped", "absent"): ("unchanged", "yellow", "skipped at base, not run at head"),
    ("skipped", "failed"): ("failure", "red", "newly failing (skipped at base)"),
    ("skipped", "skipped"): ("unchanged", "yellow", "skipped (n/a)"),
    ("skipped", "measured"): ("unchanged", "yellow", "skipped at base (n/a)"),
    ("measured", "absent"): ("failure", "red", "vanished at head (measured at base)"),
    ("measured", "failed"): ("failure", "red", "newly failing"),
    ("measured", "skipped"): ("failure", "red", "skipped at head (measured at base)"),
}


def _significant(a: Measurement, b: Measurement) -> bool | None:
    """asv's test, under the same conditions as ``_is_result_better`` applies it."""
    if not (a.stats and b.stats) or 1 in (a.stats.get("repeat", 0), b.stats.get("repeat", 0)):
        return None
    return _stats.is_different(a.samples, b.samples, a.stats, b.stats)


def compare(rs: ResultSet, base: Commit, head: Commit, factor: float | None = None) -> list[Row]:
    rows = []
    for name in sorted(set(base.measurements) | set(head.measurements)):
        a, b = base.measurements.get(name), head.measurements.get(name)
        ref = b or a
        assert ref is not None
        rows.append(_row(name, ref, a, b, rs.factor(name, factor)))
    order = {f: i for i, f in enumerate(FAMILIES)}
    return sorted(rows, key=lambda r: (STATUSES.index(r.status), order[r.family], r.name))


def _row(
    name: str, ref: Measurement, a: Measurement | None, b: Measurement | None, factor: float
) -> Row:
    def row(
        status: str, mark: str, ratio: float | None = None, sig: bool | None = None, note: str = ""
    ) -> Row:
        return Row(name, ref.key, ref.params, family(ref.key), a, b, status, mark, ratio, sig, note)

    states = (state(a), state(b))
    if states != ("measured", "measured"):
        status, mark, note = OUTCOMES[states]
        return row(status, mark, note=note)
    assert a is not None and b is not None and a.value is not None and b.value is not None
    if a.version and b.version and a.version != b.version:
        return row("unchanged", "yellow", note="benchmark changed: not comparable")
    ratio = b.value / a.value if a.value else (math.inf if b.value else 1.0)
    if is_noisy(ref.key):
        d = decide(a, b, factor - 1.0, higher_is_better(ref.key))
        sig = None if d.p is None else d.p < noise.ALPHA
        mark = {"regression": "red", "undecided": "yellow"}.get(d.outcome, "green")
        note = d.reason if d.outcome == "undecided" else ""
        return Row(name, ref.key, ref.params, family(ref.key), a, b, d.outcome, mark, ratio, sig,
                   note, d)  # fmt: skip
    sig = _significant(b, a)
    base_ss = (a.stats, a.samples)
    head_ss = (b.stats, b.samples)
    lower = _is_result_better(b.value, a.value, head_ss, base_ss, factor)
    higher = _is_result_better(a.value, b.value, base_ss, head_ss, factor)
    up = higher_is_better(ref.key)
    if (higher and not up) or (lower and up):
        return row("regression", "red", ratio, sig)
    if (lower and not up) or (higher and up):
        return row("improvement", "green", ratio, sig)
    beyond = _is_result_better(b.value, a.value, None, None, factor) or _is_result_better(
        a.value, b.value, None, None, factor
    )
    if beyond:
        return row("unchanged", "yellow", ratio, sig, note=f"beyond {factor:g}x, not significant")
    return row("unchanged", "green", ratio, sig)


def decide(a: Measurement, b: Measurement, floor: float, up: bool) -> noise.Decision:
    """A noisy benchmark's decision: from the samples asv recorded (``--record-samples``; for
    track_ and peakmem_ values, one per round of ``tools.asv_local interleave``), else from asv's
    99% intervals when both sides have them, else from the one value of each side (undecided)."""
    assert a.value is not None and b.value is not None
    if a.samples or b.samples:
        return noise.decide(a.samples or [a.value], b.samples or [b.value], floor, up)
    stats_a, stats_b = a.stats or {}, b.stats or {}
    if all("ci_99_a" in s and s.get("repeat", 1) > 1 for s in (stats_a, stats_b)):
        return noise.decide_from_stats(a.value, stats_a, b.value, stats_b, floor, up)
    return noise.decide([a.value], [b.value], floor, up)


# --- recommendations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    title: str
    evidence: str  # the benchmark(s) and value(s) it rests on


def recommendations(head: Commit) -> tuple[list[Recommendation], list[str]]:
    """Checks on the head commit's numbers: (findings, checks that had no data)."""
    found: list[Recommendation] = []
    missing: list[str] = []
    ms = [m for m in head.measurements.values() if not m.failed and not m.skipped]

    def pick(pattern: str) -> list[Measurement]:
        return [m for m in ms if re.search(pattern, m.key)]

    def ev(m: Measurement) -> str:
        return f"`{m.name}` = {m.display()}{' ' + m.unit if m.unit else ''} at {head.label}"

    checks = [
        (
            r"^bench_incremental\..*\.track_speedup_over_full$",
            lambda m: m.params != ("'config'",) and m.value < 5,
            lambda m: (
                f"Incremental rebuild after `{_plain(m)}` is only {m.value:.1f}x faster than a "
                "full build (target: 5x); profile it with `tools.flame --variant "
                f"{_plain(m)}`"
            ),
            "incremental speedup under 5x",
        ),
        (
            r"^bench_scaling\..*\.track_time_exponent$",
            lambda m: m.value > 1.2,
            lambda m: (
                f"Build time grows like pages^{m.value:.2f}: superlinear work (exponent over 1.2)"
            ),
            "scaling time exponent",
        ),
        (
            r"^bench_config\..*\.track_config_change_missed_full_rebuild$",
            lambda m: m.value > 0,
            lambda m: (
                "A config change did not trigger a full rebuild: pages can keep stale config values"
            ),
            "config change → full rebuild",
        ),
        (
            r"^bench_config\..*\.track_noop_after_config_change_rebuilt_pages$",
            lambda m: m.value > 0,
            lambda m: (
                f"The no-op build after a config change still rewrote {m.value:g} pages "
                "(config change detection is sticky)"
            ),
            "no-op after config change",
        ),
        (
            r"^bench_correctness\..*\.track_outputs_differing_from_clean_build$",
            lambda m: m.value > 0,
            lambda m: (
                f"Incremental output after `{_plain(m)}` differs from a clean build in "
                f"{m.value:g} files"
            ),
            "incremental output = clean build",
        ),
        (
            r"^bench_scaling\..*\.track_memory_exponent$",
            lambda m: m.value > 1.0,
            lambda m: f"Peak memory grows faster than pages (exponent {m.value:.2f} > 1)",
            "memory exponent",
        ),
    ]
    for pattern, bad, text, what in checks:
        subjects = pick(pattern)
        if not subjects:
            missing.append(what)
        found += [Recommendation(text(m), ev(m)) for m in subjects if bad(m)]
    return found, missing


def _plain(m: Measurement) -> str:
    return ", ".join(p.strip("'\"") for p in m.params)
