"""What a measurement family's ``setup_cache`` returns, and the one reader of it.

A measurement is one of three things, each a plain dict (asv pickles what a ``setup_cache``
returns; the instruction counts' is also written as JSON):

- a value: a record of named numbers (``{"wall_s": 3.2, "cpu_s": 5.1, …}``), or one number a
  family derived from its records (``{"value": 1.02}``, see ``value``). A record may void some
  of its numbers (``VOIDED``: ``{key: reason}``): a rebuild that missed the user's edit, a count
  without valgrind;
- a Bengal finding (``{"error": reason}``): Bengal did something wrong (a refused build, a
  server that never served the page); the benchmarks that read it fail with ``reason``;
- a skip (``{"skip": reason}``): not measurable at this commit, or not in this profile or
  bisect probe; asv records n/a.

A benchmark method turns the measurement it reads into its number with ``read``, which raises
the finding as RuntimeError and the skip as NotImplementedError (asv_runner's
``SkipNotImplemented``, the one NotImplementedError asv records as n/a when the benchmark
itself raises it). A failure is kept per measurement, so one Bengal bug fails only the
benchmarks that read it.
"""

from __future__ import annotations

from typing import Any

try:  # inside asv (asv_runner is in every benchmark environment)
    from asv_runner.benchmarks.mark import SkipNotImplemented as Skipped
except ImportError:  # a Bengal virtualenv of the tests or tools: the same NotImplementedError

    class Skipped(NotImplementedError):  # type: ignore[no-redef]
        """Not measurable here: asv records n/a."""


Measurement = dict[str, Any]

FINDING = "error"
SKIP = "skip"
VOIDED = "voided"
# The numbers of a rebuild's work: a rebuild that missed the edit did less than its job, so
# they are no numbers (its missed-edit counter and the correctness diff still are).
REBUILD_WORK = ("speedup", "rebuilt_pages", "wall_s", "cpu_s")


def value(v: Any) -> Measurement:
    """One number a family derived from its records."""
    return {"value": v}


def finding(reason: str) -> Measurement:
    return {FINDING: reason}


def failed(exc: BaseException) -> Measurement:
    """The finding of an exception a measurement raised: ``Type: message``."""
    return finding(f"{type(exc).__name__}: {exc}")


def skip(reason: str) -> Measurement:
    return {SKIP: reason}


def is_value(m: Measurement) -> bool:
    return FINDING not in m and SKIP not in m


def first_problem(*ms: Measurement) -> Measurement | None:
    """The first of ``ms`` that is a finding or a skip (what a number derived from them is),
    else None."""
    return next((m for m in ms if not is_value(m)), None)


def missed_edit(record: Measurement, reason: str) -> Measurement:
    """``record`` of a rebuild that missed the edit: the numbers of its work void with
    ``reason``."""
    voided = dict.fromkeys((k for k in REBUILD_WORK if k in record), reason)
    return {**record, VOIDED: {**record.get(VOIDED, {}), **voided}}


def read(m: Measurement, key: str = "value") -> Any:
    """The number ``key`` of the measurement ``m``; raises its finding (RuntimeError) or its
    skip (NotImplementedError) instead when it has none."""
    if SKIP in m:
        print(f"asv: skipped: {m[SKIP]}", flush=True)  # as asv says a skip raised in setup
        raise Skipped(m[SKIP])
    if FINDING in m:
        raise RuntimeError(m[FINDING])
    if key in m.get(VOIDED, {}):
        raise RuntimeError(m[VOIDED][key])
    return m[key]
