"""Interleaved A/B: base and head alternate (ABAB…) in one job until the decision is made.

Why: ``asv continuous`` runs a fixed number of rounds, and each noisy benchmark's decision
(``tools.noise``) may need more samples than that, or fewer. Here each round is one ``asv run`` of
the base and then one of the head, with ``--record-samples --append-samples``, so that the
samples of each commit accumulate in its results file and machine drift hits both sides alike.
After each round (from ``min_rounds`` on) every benchmark is decided as ``tools.report`` decides
it; the rounds stop when no benchmark is undecided, when ``max_rounds`` are done, or before a
round that would overrun the ``minutes`` budget (the last round's duration is the estimate).

asv keeps samples for timing benchmarks only: a ``track_`` or ``peakmem_`` value is overwritten
by each run. After each run, the value it wrote is appended to that benchmark's samples in the
commit's results file (asv's own ``samples`` column; the value becomes the median of the rounds),
so single-shot values are decided from one sample per round as times are from theirs.

    python -m tools.asv_local --repo ~/src/bengal interleave --max-rounds 6 \\
        --budget-minutes 100 [--factor 1.2] [asv run options, e.g. --bench X] BASE HEAD
    python -m tools.asv_local --repo ~/src/bengal continuous --until-decided [...] BASE HEAD

Each round's undecided benchmarks are printed, and ``interleave.json`` (rounds, minutes, why the
rounds stopped, asv's exit statuses, the undecided count per round) is written to the results
folder. Exit status: 0 when every asv run exited 0, 2 when one reported a failed benchmark
(as ``asv continuous`` would), else the first other status of asv (it failed itself).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from asv.results import iter_results_for_machine

from tools.report import data as rd


@dataclass(frozen=True)
class Budget:
    min_rounds: int = 2
    max_rounds: int = 6
    minutes: float = 100.0

    def __post_init__(self) -> None:
        if not 1 <= self.min_rounds <= self.max_rounds:
            raise ValueError("rounds: need 1 <= min_rounds <= max_rounds")
        if self.minutes <= 0:
            raise ValueError("the budget in minutes must be positive")


@dataclass
class Outcome:
    base: str
    head: str
    rounds: int = 0
    minutes: float = 0.0
    stopped: str = ""  # decided | max_rounds | budget | asv_failed | no_comparison
    asv_rcs: list[int] = field(default_factory=list)  # per asv run, in order (ABAB…)
    undecided: list[list[str]] = field(default_factory=list)  # per round (after min_rounds)

    @property
    def rc(self) -> int:
        """0 clean, 2 a benchmark failed (asv's status), else asv's first other status."""
        other = [rc for rc in self.asv_rcs if rc not in (0, 2)]
        if other:
            return other[0]
        return 2 if 2 in self.asv_rcs else 0


# (results file, benchmark, combination) -> the values of the rounds so far. asv drops the
# samples column of a track_ or peakmem_ value each time it rewrites the value, so they are kept
# here between runs (and read back from the file when a job resumes).
Kept = dict[tuple[str, str, int], list[float]]


def _ident(result: object, key: str, i: int) -> tuple[str, str, int]:
    return (f"{result.commit_hash}-{result.env_name}", key, i)  # type: ignore[attr-defined]


def keep_single_values(results_dir: Path, machine: str, sha: str, kept: Kept) -> int:
    """After an asv run of ``sha``: append each value asv keeps no samples for (track_,
    peakmem_) to that benchmark's samples, and make the median of them its value. A value that
    has samples was not rewritten by this run (or is a timing benchmark's, whose samples asv
    appends itself) and is left alone. Returns how many values were appended."""
    appended = 0
    for result in iter_results_for_machine(str(results_dir), machine):
        if result.commit_hash != sha:
            continue
        changed = False
        for key in result.get_all_result_keys():
            values = result._results.get(key)
            if values is None:
                continue
            samples = result._samples.get(key) or [None] * len(values)  # asv's own columns
            fresh = [i for i, v in enumerate(values) if samples[i] is None and _finite(v)]
            for i in fresh:
                ident = _ident(result, key, i)
                kept[ident] = samples[i] = [*kept.get(ident, []), float(values[i])]
                values[i] = statistics.median(samples[i])
            if fresh:
                result._samples[key] = samples
                appended += len(fresh)
                changed = True
        if changed:
            result.save(str(results_dir))
    return appended


def remember(results_dir: Path, machine: str, sha: str, kept: Kept) -> None:
    """The single values an earlier job kept in ``sha``'s results files (samples without
    statistics: asv computes statistics for timing samples only)."""
    if not (results_dir / machine).is_dir():
        return
    for result in iter_results_for_machine(str(results_dir), machine):
        if result.commit_hash != sha:
            continue
        for key in result.get_all_result_keys():
            samples = result._samples.get(key) or []
            stats = result._stats.get(key) or [None] * len(samples)
            for i, s in enumerate(samples):
                if s is not None and stats[i] is None:
                    kept[_ident(result, key, i)] = list(s)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def undecided(
    results_dir: Path,
    machine: str,
    base: str,
    head: str,
    conf: Path | None,
    factor: float | None,
    pythons: list[str] | None,
) -> list[str]:
    """The benchmarks ``tools.report`` would call undecided now (``python: name`` with several
    pythons)."""
    names = []
    for python in pythons or [None]:
        rs = rd.load(results_dir, machine, conf, python=python)
        rows = rd.compare(rs, rs.commit(base), rs.commit(head), factor)
        prefix = f"{python}: " if pythons and len(pythons) > 1 else ""
        names += [prefix + r.name for r in rows if r.status == "undecided"]
    return names


def run(
    run_side: Callable[[str], int],
    results_dir: Path,
    machine: str,
    base: str,
    head: str,
    budget: Budget,
    *,
    conf: Path | None = None,
    factor: float | None = None,
    pythons: list[str] | None = None,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Rounds of ``run_side(base)``, ``run_side(head)`` (each one asv run appending samples,
    returning asv's status) until nothing is undecided or the budget is spent."""
    out = Outcome(base, head)
    started = clock()
    kept: Kept = {}
    for sha in (base, head):  # a resumed job: the single values already kept
        remember(results_dir, machine, sha, kept)
    while True:
        round_start = clock()
        for sha in (base, head):
            rc = run_side(sha)
            out.asv_rcs.append(rc)
            if rc not in (0, 2):
                out.stopped = "asv_failed"
                log(f"interleave: asv exited {rc} on {sha[:8]}: stopping")
                return _finish(out, results_dir, started, clock)
            keep_single_values(results_dir, machine, sha, kept)
        out.rounds += 1
        took = clock() - round_start
        if out.rounds < budget.min_rounds:
            log(f"interleave: round {out.rounds} done ({took:.0f} s)")
            continue
        try:
            open_ = undecided(results_dir, machine, base, head, conf, factor, pythons)
        except rd.ReportError as exc:  # e.g. no results for a commit: tools.report will say so
            out.stopped = "no_comparison"
            log(f"interleave: round {out.rounds}: cannot compare: {exc}")
            break
        out.undecided.append(open_)
        shown = ", ".join(open_[:5]) + (f" and {len(open_) - 5} more" if len(open_) > 5 else "")
        log(f"interleave: round {out.rounds} ({took:.0f} s): {len(open_)} undecided"
            + (f": {shown}" if open_ else ""))  # fmt: skip
        if not open_:
            out.stopped = "decided"
            break
        if out.rounds >= budget.max_rounds:
            out.stopped = "max_rounds"
            break
        if clock() - started + took > budget.minutes * 60:
            out.stopped = "budget"
            break
    return _finish(out, results_dir, started, clock)


def _finish(out: Outcome, results_dir: Path, started: float, clock: Callable[[], float]) -> Outcome:
    out.minutes = round((clock() - started) / 60, 2)
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "interleave.json").write_text(json.dumps(asdict(out), indent=1) + "\n")
    return out
