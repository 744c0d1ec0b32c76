"""The measurement families: each module measures once per commit in its asv ``setup_cache``
and returns ``benchmarks.results`` measurements, which the ``bench_*`` classes read.

- ``builds``: the generated sites' CLI builds, one-page rebuilds, one-worker build
  (``measure_once``), the edits (``measure_edits``) and the timed rebuilds' built state
  (``built_states``);
- ``devloop``: ``bengal serve`` over HTTP (``measure_devloop``);
- ``instructions``: instruction counts and exact work counters (``measure_instructions``);
- ``real``: Bengal's own documentation site (``measure_real``).

Beside its ``setup_cache`` a family has the views a benchmark reads: each takes the cache (and
the benchmark's parameters) and returns one measurement, the numbers derived from several (a
median, an exponent) included. The ``setup_cache`` functions keep their names: asv shares a
cache between the classes that name the same function, and ``catalogue.tiers`` groups the tier
parts by that name.
"""

from __future__ import annotations

import math


def log_log_slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) over log(x): ~1.0 is linear, >= 1.2 superlinear."""
    if len(xs) < 2 or min(xs) <= 0 or min(ys) <= 0:
        raise ValueError(f"a log-log slope needs two or more positive points, got {xs} → {ys}")
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx
    )
