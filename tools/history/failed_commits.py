"""How an asv result file went: a value, an install failure, or only failed benchmarks.

Why: a part's job can end "ok" while asv saved no value (every benchmark failed) or never ran a
benchmark (the commit did not build or install). The ledger (``tools.ci.ledger``) reads each
result file with ``classify`` to tell a stored part from a failed try, and words the failure
with ``REASONS``. (It replaced ``failed-commits.json``, which this module used to keep.)
"""

from __future__ import annotations


def classify(result: dict) -> str | None:
    """How one asv result file went: ``ok`` (a value), ``install`` (no benchmark ran: asv
    marks every benchmark failed without running it when the commit did not build or install),
    ``benchmarks`` (they ran, none gave a value), or None (it holds no benchmark).

    asv stores ``None`` (or a list of ``None`` per parameter combination) as the ``result`` of a
    benchmark that failed or timed out, and a ``duration`` for every benchmark it ran (none for
    those it skipped because the commit did not install).
    """
    columns = result.get("result_columns") or []
    rows = result.get("results") or {}
    if "result" not in columns or not rows:
        return None
    at = columns.index("result")

    def succeeded(row: list) -> bool:
        value = row[at] if len(row) > at else None
        values = value if isinstance(value, list) else [value]
        return any(v is not None for v in values)

    if any(succeeded(row) for row in rows.values()):
        return "ok"
    if "duration" not in columns:
        return "benchmarks"
    took = columns.index("duration")
    ran = any(len(row) > took and row[took] is not None for row in rows.values())
    return "benchmarks" if ran else "install"


REASONS = {
    "install": "the commit did not install (no benchmark ran)",
    "benchmarks": "every benchmark failed",
}
