"""Bisect a noisy number (wall time, CPU time of a build): interleaved samples and a significance
test per probe, and "undecided" as an answer.

Why not ``search.bisect``: that search takes one value per commit, which is valid for numbers
that repeat to hundredths of a percent. Wall and CPU time of a one-worker build spread 3–36% A/A
on a shared machine (``tools.bisect.noise``), so one run cannot place a commit. Here a probe
measures the probe commit *and both ends of the current range* in turns (lo, mid, hi, then hi,
mid, lo, ...: drift of the machine hits all three alike), ``MIN`` samples each to start, one more
round at a time up to ``MAX``, and asks asv's Mann-Whitney U test (``asv._stats``) after each
round:

- *like bad*: mid differs from lo (p < alpha), does not differ from hi, and its median lies at
  least two thirds of the way from lo's median to hi's (so in the step's direction);
- *like good*: the mirror image;
- otherwise another round; at ``MAX`` the probe is **undecided**, and so is the bisect: it stops
  and answers with that probe's samples (n, medians, spread, p), never a guess.

A wrong side needs two errors at once (a false difference from one end and a missed difference
from the other), so a step well above the A/A spread is placed right or not at all. Before any
probe the ends themselves are compared the same way (interleaved); ends that do not differ
significantly within ``MAX`` samples are an undecided answer too. One step is searched (plain
bisection: the first commit like bad after the last like good); commits that cannot be measured
are skipped like ``git bisect skip``.

This module knows nothing of Bengal: ``sample(i)`` returns one value of commit ``i`` or raises
``Skipped``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from asv._stats import mann_whitney_u

from tools.bisect.search import Skipped

ALPHA = 0.01  # per test and look; 5 v 5 fully apart gives p = 0.0079
MIN_SAMPLES, MAX_SAMPLES = 5, 12  # per commit and probe: start, budget
WAY = 2 / 3  # like an end: mid's median at least this far from the other end's, towards it

LIKE_GOOD, LIKE_BAD, UNDECIDED = "like good", "like bad", "undecided"


def spread(values: Sequence[float]) -> float:
    """(max - min) / median: the whole range of one commit's samples, relative (as
    ``tools.bisect.noise`` reports the A/A spread)."""
    return (max(values) - min(values)) / statistics.median(values)


def p_value(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value (asv's exact test up to 20 samples a side)."""
    return mann_whitney_u(list(a), list(b))[1]


@dataclass(frozen=True)
class Verdict:
    """One probe: the samples of lo, mid and hi (mid is None for the ends' check), the p-values
    of mid against each end, and the decision."""

    decision: str  # LIKE_GOOD | LIKE_BAD | UNDECIDED (ends' check: LIKE_BAD = "they differ")
    lo: int
    hi: int
    mid: int | None
    samples: dict[int, list[float]]
    p_lo: float  # mid against lo (ends' check: hi against lo)
    p_hi: float  # mid against hi (ends' check: 1.0)

    @property
    def n(self) -> int:
        return min(len(v) for v in self.samples.values())

    def to_json(self) -> dict:
        return {
            "decision": self.decision,
            "lo": self.lo,
            "mid": self.mid,
            "hi": self.hi,
            "n": self.n,
            "p_vs_lo": self.p_lo,
            "p_vs_hi": self.p_hi,
            "median": {str(i): statistics.median(v) for i, v in self.samples.items()},
            "spread": {str(i): spread(v) for i, v in self.samples.items()},
            "samples": {str(i): v for i, v in self.samples.items()},
        }


def decide(
    lo: Sequence[float], mid: Sequence[float], hi: Sequence[float], alpha: float = ALPHA
) -> tuple[str, float, float]:
    """Which end ``mid`` is like: (decision, p against lo, p against hi). The step's direction
    is hi's median against lo's."""
    p_lo, p_hi = p_value(mid, lo), p_value(mid, hi)
    m_lo, m_mid, m_hi = (statistics.median(x) for x in (lo, mid, hi))
    if m_hi == m_lo:
        return UNDECIDED, p_lo, p_hi
    way = (m_mid - m_lo) / (m_hi - m_lo)  # where mid's median sits: 0 at lo's, 1 at hi's
    if p_lo < alpha <= p_hi and way >= WAY:
        return LIKE_BAD, p_lo, p_hi
    if p_hi < alpha <= p_lo and way <= 1 - WAY:
        return LIKE_GOOD, p_lo, p_hi
    return UNDECIDED, p_lo, p_hi


@dataclass
class Outcome:
    """The search: ``culprit`` (first like-bad commit after the last like-good one) with the
    skipped commits before it (``suspects``), or the probe that could not be placed."""

    ends: Verdict | None = None
    probes: list[Verdict] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    suspects: tuple[int, ...] = ()  # the culprit alone, or the skipped commits before it too
    undecided: Verdict | None = None
    samples_taken: int = 0

    @property
    def culprit(self) -> int | None:
        return self.suspects[-1] if self.suspects else None


class Sampler:
    """Takes interleaved rounds of samples of a few commits and counts them."""

    def __init__(self, sample: Callable[[int], float], out: Outcome) -> None:
        self.sample, self.out = sample, out

    def rounds(self, commits: Sequence[int], n: int, into: dict[int, list[float]]) -> None:
        """``n`` more rounds: each commit once per round, the order reversed every other round
        (lo mid hi, hi mid lo, ...), so drift and position within a round hit all alike."""
        for _ in range(n):
            order = list(commits) if len(into[commits[0]]) % 2 == 0 else list(commits)[::-1]
            for i in order:
                try:
                    into[i].append(self.sample(i))
                except Skipped as exc:
                    exc.commit = i  # type: ignore[attr-defined]
                    raise
                self.out.samples_taken += 1


def bisect_noisy(
    probeable: Sequence[bool],
    sample: Callable[[int], float],
    alpha: float = ALPHA,
    min_samples: int = MIN_SAMPLES,
    max_samples: int = MAX_SAMPLES,
    on_verdict: Callable[[Verdict], None] = lambda v: None,
) -> Outcome:
    """The commit of one step in ``0 .. len(probeable) - 1``, or "undecided". Both ends must
    sample (``Skipped`` from either propagates)."""
    out = Outcome()
    sampler = Sampler(sample, out)
    last = len(probeable) - 1

    ends: dict[int, list[float]] = {0: [], last: []}
    sampler.rounds([0, last], min_samples, ends)
    while True:
        p = p_value(ends[0], ends[last])
        if p < alpha or len(ends[0]) >= max_samples:
            break
        sampler.rounds([0, last], 1, ends)
    out.ends = Verdict(LIKE_BAD if p < alpha else UNDECIDED, 0, last, None, ends, p, 1.0)
    on_verdict(out.ends)
    if out.ends.decision == UNDECIDED:
        out.undecided = out.ends
        return out

    lo, hi = 0, last
    while True:
        inside = [i for i in range(lo + 1, hi) if probeable[i] and i not in out.skipped]
        if not inside:
            out.suspects = (*(i for i in range(lo + 1, hi) if i in out.skipped), hi)
            return out
        mid = inside[len(inside) // 2]
        samples: dict[int, list[float]] = {lo: [], mid: [], hi: []}
        try:
            sampler.rounds([lo, mid, hi], min_samples, samples)
            while True:
                decision, p_lo, p_hi = decide(samples[lo], samples[mid], samples[hi], alpha)
                if decision != UNDECIDED or len(samples[mid]) >= max_samples:
                    break
                sampler.rounds([lo, mid, hi], 1, samples)
        except Skipped as exc:
            if getattr(exc, "commit", mid) != mid:  # an end that sampled before: not a skip
                raise
            out.skipped[mid] = str(exc)
            continue
        verdict = Verdict(decision, lo, hi, mid, samples, p_lo, p_hi)
        out.probes.append(verdict)
        on_verdict(verdict)
        if decision == UNDECIDED:
            out.undecided = verdict
            return out
        lo, hi = (mid, hi) if decision == LIKE_GOOD else (lo, mid)
