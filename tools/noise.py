"""Did a noisy benchmark change? Regression, improvement, undecided or unchanged, from samples.

Why: wall time, CPU time, peak RSS and the dev loop move with the machine (A/A spreads of
one-worker CLI builds: 20–36% wall, 2.6–10% CPU, 0.3–0.5% RSS), so a flat threshold on two
medians both misses real steps and flags lucky samples. This decides from repeated samples of each
side, as asv's compare does (a two-sided Mann-Whitney U test at p < 0.002, used only when the
sample sizes let p get that low), against the floor the benchmark declares (its
``regression_threshold``: a change smaller than the floor is never a regression):

- **regression** / **improvement**: the test separates the samples (p < ``ALPHA``) and the whole
  ``EQUIVALENCE`` confidence interval of the ratio head/base (Hodges-Lehmann, from the same
  test's distribution) lies beyond the floor, ``> 1 + floor`` (or ``< 1/(1 + floor)``), in the
  benchmark's direction. Stricter than asv's median ratio: a step below the floor is not flagged
  on a lucky draw;
- **unchanged**: that interval lies within the floor, ``[1/(1+floor), 1+floor]``;
- **undecided**: neither. Too few samples for the test (one a side, or 6 vs 6, which cannot reach
  p < 0.002), samples the test cannot separate while the interval reaches past the floor, or
  samples that differ by an amount whose size against the floor is still open. More samples
  (``tools.asv_local interleave``) can turn it into one of the others; it is never a pass.

Each ``Decision`` carries its evidence: samples per side, each side's spread ((max − min) /
median, the A/A spread ``tools.bisect.noise`` measures), the p-value and the interval.

Stdlib only: the PR comment's job (``tools.ci.comment_body``) installs nothing. The p-values are
asv's own (``asv._stats.mann_whitney_u``, ties broken conservatively, exact up to 20 samples a
side, normal beyond); ``tests/test_noise.py`` checks them against asv.
"""

from __future__ import annotations

import functools
import math
import statistics
from dataclasses import dataclass

ALPHA = 0.002  # asv compare's p threshold (asv._stats.is_different)
EQUIVALENCE = 0.90  # the interval that must lie within the floor for "unchanged" (TOST at 5%)
EXACT_LIMIT = 20  # asv: the exact distribution up to 20 samples a side, normal beyond
OUTCOMES = ("regression", "improvement", "undecided", "unchanged")
# Methods whose numbers move with the machine; a track_ moves unless the catalogue says it is
# exact (``exact = True``, or threshold 0).
NOISY_PREFIXES = ("time_", "timeraw_", "peakmem_", "mem_")


def is_noisy(name: str, exact: bool | None, threshold: float | None) -> bool:
    """Whether benchmark ``name`` (``module.Class.method``) is judged by samples.

    ``exact``/``threshold``: what the catalogue declares, None when the catalogue does not know
    the benchmark (a test's own suite): then only time and memory benchmarks are noisy."""
    method = name.split("(", 1)[0].rsplit(".", 1)[-1]
    if exact:
        return False
    if method.startswith(NOISY_PREFIXES):
        return True
    return method.startswith("track_") and exact is not None and threshold not in (None, 0.0)


@dataclass(frozen=True)
class Decision:
    outcome: str  # one of OUTCOMES
    ratio: float  # median(head) / median(base)
    n_base: int
    n_head: int
    spread_base: float | None  # (max - min) / median; None with one sample
    spread_head: float | None
    p: float | None  # two-sided Mann-Whitney p; None: the test cannot reach ALPHA at these sizes
    ci: tuple[float, float] | None  # EQUIVALENCE interval of head/base; None: too few samples
    floor: float
    reason: str  # one line: why this outcome
    ci_level: float = EQUIVALENCE

    def evidence(self) -> str:
        """``n 8/8 · spread 21%/25% · p 0.041 · 90% CI -2.0%…+14.2% · floor 10%``."""
        parts = [f"n {self.n_base}/{self.n_head}"]
        if self.spread_base is not None or self.spread_head is not None:
            parts.append(f"spread {_pct(self.spread_base)}/{_pct(self.spread_head)}")
        parts.append(f"p {self.p:.2g}" if self.p is not None else "p n/a")
        if self.ci is not None:
            lo, hi = self.ci
            parts.append(f"{self.ci_level:.0%} CI {_signed(lo - 1)}…{_signed(hi - 1)}")
        parts.append(f"floor {self.floor:.0%}" if self.floor >= 0.01 else f"floor {self.floor:.2%}")
        return " · ".join(parts)


def _pct(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:.1%}" if x < 0.1 else f"{x:.0%}"


def _signed(x: float) -> str:
    return f"{x * 100:+.1f}%"


def spread(samples: list[float]) -> float | None:
    """(max - min) / median: the whole range, relative (None for one sample or median 0)."""
    if len(samples) < 2:
        return None
    med = statistics.median(samples)
    return (max(samples) - min(samples)) / abs(med) if med else None


# --- Mann-Whitney U, as asv computes it ------------------------------------------------------


@functools.cache
def _counts(m: int, n: int) -> tuple[int, ...]:
    """Number of orderings of m and n samples with U = u, for u = 0..m·n (asv's r(m, n, u))."""
    if m == 0 or n == 0:
        return (1,)
    left = _counts(m, n - 1)  # r(m, n-1, u)
    right = _counts(m - 1, n)  # r(m-1, n, u-n)
    out = [0] * (m * n + 1)
    for u, c in enumerate(left):
        out[u] += c
    for u, c in enumerate(right):
        out[u + n] += c
    return tuple(out)


def _cdf(m: int, n: int, u: int) -> float:
    """P(U <= u) under the null, exact."""
    if u < 0:
        return 0.0
    counts = _counts(m, n)
    return sum(counts[: u + 1]) / math.comb(m + n, m)


def mann_whitney_p(x: list[float], y: list[float]) -> float:
    """Two-sided p of asv's ``mann_whitney_u(x, y)`` (conservative ties; exact up to 20 a side)."""
    m, n = len(x), len(y)
    u = sum(1 for a in x for b in y if a > b)
    ties = sum(1 for a in x for b in y if a == b)
    if u <= m * n // 2 and u + ties >= m * n // 2:
        ties = m * n // 2 - u
    ux1 = min(u, m * n - u)
    ux2 = min(u + ties, m * n - (u + ties))
    ux = ux1 if ux1 >= ux2 else ux2
    if max(m, n) <= EXACT_LIMIT:
        return _cdf(m, n, ux) + 1.0 - _cdf(m, n, max(m * n // 2, m * n - ux - 1))
    var = m * n * (m + n + 1) / 12
    z = (ux - m * n / 2) / math.sqrt(var)
    return 2 * 0.5 * math.erfc(-z / math.sqrt(2))


def min_p(m: int, n: int) -> float:
    """The smallest two-sided p the test can give for m and n samples (completely separated)."""
    if m == 0 or n == 0:
        return 1.0
    return mann_whitney_p([float(i) for i in range(m)], [float(m + i) for i in range(n)])


def _critical(m: int, n: int, conf: float) -> int:
    """The largest k with P(U <= k - 1) <= (1 - conf) / 2 (0: no interval at this level)."""
    tail = (1.0 - conf) / 2
    if max(m, n) <= EXACT_LIMIT:
        k = 0
        while k < m * n and _cdf(m, n, k) <= tail + 1e-12:
            k += 1
        return k
    z = statistics.NormalDist().inv_cdf(1 - tail)
    return max(0, math.floor(m * n / 2 - z * math.sqrt(m * n * (m + n + 1) / 12)))


def ratio_interval(
    base: list[float], head: list[float], conf: float = EQUIVALENCE
) -> tuple[float, float] | None:
    """The Hodges-Lehmann ``conf`` interval of head/base: the k-th smallest and largest of the
    pairwise log ratios (pairwise differences relative to base's median when a value is not
    positive), k from the Mann-Whitney distribution; None when the sizes are too small."""
    m, n = len(base), len(head)
    k = _critical(m, n, conf)
    if k == 0:
        return None
    if all(v > 0 for v in base + head):
        diffs = sorted(math.log(h) - math.log(b) for b in base for h in head)
        return math.exp(diffs[k - 1]), math.exp(diffs[m * n - k])
    scale = abs(statistics.median(base)) or 1.0
    diffs = sorted((h - b) / scale for b in base for h in head)
    return 1.0 + diffs[k - 1], 1.0 + diffs[m * n - k]


# --- the decision ------------------------------------------------------------------------------


def decide(
    base: list[float],
    head: list[float],
    floor: float,
    higher_is_better: bool = False,
    *,
    alpha: float = ALPHA,
    conf: float = EQUIVALENCE,
) -> Decision:
    """The outcome for samples of the base and head commits (NaNs dropped; both non-empty)."""
    base = [float(v) for v in base if not math.isnan(v)]
    head = [float(v) for v in head if not math.isnan(v)]
    if not base or not head:
        raise ValueError("decide: both sides need at least one sample")
    mb, mh = statistics.median(base), statistics.median(head)
    ratio = mh / mb if mb else (math.inf if mh else 1.0)
    m, n = len(base), len(head)
    p = mann_whitney_p(base, head) if min_p(m, n) < alpha else None
    ci = ratio_interval(base, head, conf)
    outcome, why = _outcome(ci, p is not None and p < alpha, floor, higher_is_better)
    if outcome == "undecided":
        if p is None:
            why = f"too few samples ({m} vs {n}): the test cannot reach p < {alpha:g}" + (
                "" if ci else ", nor give an interval"
            )
        elif p < alpha:
            why = "the samples differ, but whether by more than the floor is open"
        else:
            why = f"the test cannot separate the samples (p ≥ {alpha:g})"
    return Decision(outcome, ratio, m, n, spread(base), spread(head), p, ci, floor, why, conf)


def _outcome(
    ci: tuple[float, float] | None, different: bool, floor: float, higher_is_better: bool
) -> tuple[str, str]:
    """Regression or improvement: the samples differ and the whole interval lies beyond the
    floor on one side (stricter than asv's median ratio, so that a step below the floor is not
    flagged on a lucky draw); unchanged: the interval lies within the floor."""
    factor = 1.0 + floor
    if ci is None:
        return "undecided", ""
    rise, drop = ci[0] > factor, ci[1] < 1.0 / factor
    if different and (rise or drop):
        worse = drop if higher_is_better else rise
        return (
            "regression" if worse else "improvement",
            "the samples differ and the whole interval lies beyond the floor",
        )
    if 1.0 / factor <= ci[0] and ci[1] <= factor:
        return "unchanged", "the interval of head/base lies within the floor"
    return "undecided", ""


def decide_from_stats(
    base_value: float,
    base_stats: dict,
    head_value: float,
    head_stats: dict,
    floor: float,
    higher_is_better: bool = False,
) -> Decision:
    """asv's fallback when no samples were recorded: its 99% intervals of each median
    (``ci_99_a``/``ci_99_b``). Separate intervals count as different; the widest ratio they
    allow, within the floor, as unchanged."""
    b_lo, b_hi = base_stats["ci_99_a"], base_stats["ci_99_b"]
    h_lo, h_hi = head_stats["ci_99_a"], head_stats["ci_99_b"]
    ratio = head_value / base_value if base_value else (math.inf if head_value else 1.0)
    different = not (b_hi >= h_lo and b_lo <= h_hi)
    finite = all(math.isfinite(v) for v in (b_lo, b_hi, h_lo, h_hi)) and b_lo > 0 and h_lo > 0
    ci = (h_lo / b_hi, h_hi / b_lo) if finite else None
    m, n = int(base_stats.get("repeat", 1)), int(head_stats.get("repeat", 1))
    outcome, why = _outcome(ci, different, floor, higher_is_better)
    if outcome == "undecided":
        why = "asv's 99% intervals of the medians do not decide"
    return Decision(outcome, ratio, m, n, None, None, None, ci, floor, why + " (no samples)", 0.99)
