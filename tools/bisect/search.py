"""Find every step in a range of commits that crosses a benchmark's threshold, by bisection.

Why a plain single-run search is valid here: the numbers bisected (instruction counts, exact work
counters) repeat to within hundredths of a percent, so one probe per commit decides which side
of a step a commit is on. The search knows nothing of asv or Bengal: ``measure(i)`` returns the
value of commit ``i`` or raises ``Skipped`` with the reason (like ``git bisect skip``).

The range is ``commits[0]`` (known good) … ``commits[-1]`` (known bad). Commits that are not
probe-able (nothing installed changed) count as equal to the last probe-able commit before them.
A sub-range whose ends differ by more than the threshold is split at a probe-able commit inside
it (one already measured if any, else the middle one); one whose ends are within the threshold is
quiet. With one step this takes at most ⌈log2 N⌉ probes (plus skips) for N probe-able commits.

A quiet sub-range can still hide an opposite pair of steps (+2% at one commit, -2% at a later
one): that needs a probe-able commit inside it that has no value (the first step) and a later
probe-able commit up to its end (the second). ``hiding`` names such sub-ranges; with
``thorough=N`` the search probes inside them, the one with most unprobed changes first, at the
middle, splitting as usual, until none is left or N such probes were spent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


class Skipped(Exception):
    """A commit that cannot be measured (install failed, build refused); the message says why."""


@dataclass(frozen=True)
class Step:
    """A change beyond the threshold between two neighbouring measured commits.

    ``suspects`` is the culprit alone, or (when commits between were skipped) every commit that
    may have made it, oldest first: the answer is then "one of" them."""

    before: int  # index of the last commit measured before the step
    after: int  # index of the first commit measured after it
    suspects: tuple[int, ...]
    value_before: float
    value_after: float

    @property
    def relative(self) -> float:
        return relative(self.value_before, self.value_after)

    @property
    def exact(self) -> bool:
        return len(self.suspects) == 1


@dataclass(frozen=True)
class Quiet:
    """A sub-range whose ends differ by no more than the threshold (not searched further)."""

    before: int
    after: int
    value_before: float
    value_after: float


@dataclass
class Outcome:
    steps: list[Step] = field(default_factory=list)
    quiet: list[Quiet] = field(default_factory=list)
    values: dict[int, float] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)


def relative(before: float, after: float) -> float:
    """(after - before) / before; 0 for 0 → 0 and ±inf for 0 → non-zero."""
    if before == 0:
        return 0.0 if after == 0 else float("inf") if after > 0 else float("-inf")
    return (after - before) / before


def beyond(before: float, after: float, threshold: float) -> bool:
    """Whether the change crosses the threshold (either direction: an improvement is a step too)."""
    return abs(relative(before, after)) > threshold


def unprobed(q: Quiet, probeable: Sequence[bool], values: dict[int, float]) -> list[int]:
    """The probe-able commits inside a quiet sub-range without a value (never probed, skipped)."""
    return [i for i in range(q.before + 1, q.after) if probeable[i] and i not in values]


def may_hide_pair(q: Quiet, probeable: Sequence[bool], values: dict[int, float]) -> bool:
    """Whether a step and an opposite step can both sit in ``q`` unseen: the first at an
    unprobed change inside, the second at a later change (another inside, or ``q``'s end)."""
    inside = unprobed(q, probeable, values)
    return len(inside) >= 2 or (len(inside) == 1 and probeable[q.after])


def hiding(outcome: Outcome, probeable: Sequence[bool]) -> list[Quiet]:
    """The quiet sub-ranges of ``outcome`` that may hide an opposite pair of steps."""
    return [q for q in outcome.quiet if may_hide_pair(q, probeable, outcome.values)]


def bisect(
    probeable: Sequence[bool],
    measure: Callable[[int], float],
    threshold: float,
    thorough: int = 0,
    free: Callable[[int], bool] = lambda i: False,
) -> Outcome:
    """Every step beyond ``threshold`` in ``0 .. len(probeable) - 1``; both ends must measure
    (``Skipped`` from either end propagates: there is nothing to compare with). ``thorough``: at
    most this many probes inside quiet sub-ranges that may hide an opposite pair of steps.
    ``free(i)``: commit ``i``'s value costs no run (another benchmark's probe took it), so a split
    prefers it like an already measured commit."""
    out = Outcome()
    last = len(probeable) - 1

    def value(i: int) -> float:
        if i not in out.values:
            out.values[i] = measure(i)
        return out.values[i]

    def split(lo: int, hi: int) -> None:
        a, b = value(lo), value(hi)
        if not beyond(a, b, threshold):
            out.quiet.append(Quiet(lo, hi, a, b))
            return
        while True:
            inside = [i for i in range(lo + 1, hi) if probeable[i] and i not in out.skipped]
            if not inside:
                hidden = tuple(i for i in range(lo + 1, hi) if i in out.skipped)
                out.steps.append(Step(lo, hi, (*hidden, hi), a, b))
                return
            mid = _pick(inside, lo, hi, lambda i: i in out.values or free(i))
            try:
                value(mid)
            except Skipped as exc:
                out.skipped[mid] = str(exc)
                continue
            split(lo, mid)
            split(mid, hi)
            return

    value(0)
    value(last)
    split(0, last)

    def open_(q: Quiet) -> list[int]:  # what thorough can still probe inside q
        return [i for i in unprobed(q, probeable, out.values) if i not in out.skipped]

    budget = thorough
    while budget > 0:
        candidates = [q for q in hiding(out, probeable) if open_(q)]
        if not candidates:
            break
        q = max(candidates, key=lambda q: (len(open_(q)), -q.before))
        inside = open_(q)
        mid = inside[len(inside) // 2]
        budget -= 1
        try:
            value(mid)
        except Skipped as exc:
            out.skipped[mid] = str(exc)
            continue
        out.quiet.remove(q)
        split(q.before, mid)
        split(mid, q.after)
    out.steps.sort(key=lambda s: s.after)
    out.quiet.sort(key=lambda q: q.after)
    return out


def _pick(inside: list[int], lo: int, hi: int, known: Callable[[int], bool]) -> int:
    """The split point: an already measured commit nearest the middle (it costs nothing), else
    the middle probe-able commit."""
    measured = [i for i in inside if known(i)]
    if measured:
        middle = (lo + hi) / 2
        return min(measured, key=lambda i: (abs(i - middle), i))
    return inside[len(inside) // 2]
