"""What Bengal says about a build: its stats object, its console output, its structured log.

Why: the stats moved between modules and fields over time, the CLI has no machine-readable
stats in most eras, and some failures exit 0 and show only in the log.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

# Log lines that mean a page was not rendered properly although Bengal may exit 0.
ERROR_PATTERNS = (
    re.compile(r"Template render error", re.I),
    re.compile(r"\bK-RUN-\d+"),
    re.compile(r"^Traceback \(most recent call last\)", re.M),
    re.compile(r"TemplateSyntaxError|UndefinedError|TemplateNotFound"),
)

# Phases every era reports (BuildStats ``<phase>_time_ms`` fields; CLI "✓ <Phase>  N ms" lines).
PHASES = ("discovery", "taxonomy", "rendering", "assets", "postprocess")


def last_error(text: str) -> str:
    """The line that says what went wrong: the last line of a traceback, else the last line."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return "(no output)"
    if any(ln.startswith("Traceback (most recent call last)") for ln in lines):
        for ln in reversed(lines):
            if not ln.startswith(("File ", "^", "~")) and ":" in ln:
                return ln
    return lines[-1]


def _phase_key(name: str) -> str:
    """ "Post-process" / "postprocess_time_ms" / "Health check" → "postprocess" / "health_check"."""
    return name.strip().lower().replace("-", "").replace(" ", "_").removesuffix("_time_ms")


def normalise_stats(obj: Any) -> dict[str, Any]:
    """Bengal's BuildStats (any era) → ``{cache_hits, cache_misses, skipped, total_pages,
    build_time_ms, phases_ms}`` plus the raw template error count."""
    if obj is None:
        return {}
    out: dict[str, Any] = {}
    for name in ("cache_hits", "cache_misses", "skipped", "total_pages", "build_time_ms"):
        val = getattr(obj, name, None)
        if isinstance(val, bool | int | float):
            out[name] = val
    phases: dict[str, float] = {}
    names = [f.name for f in dataclasses.fields(obj)] if dataclasses.is_dataclass(obj) else []
    for name in names:
        if name.endswith("_time_ms") and name not in ("build_time_ms",):
            val = getattr(obj, name, None)
            if isinstance(val, int | float):  # 0 ms is a measurement, not a missing phase
                phases[_phase_key(name)] = float(val)
    timings = getattr(obj, "phase_timings_ms", None)
    if isinstance(timings, dict):
        for key, val in timings.items():
            if isinstance(val, int | float):
                phases.setdefault(_phase_key(str(key)), float(val))
    out["phases_ms"] = phases
    errors = getattr(obj, "template_errors", None)
    if isinstance(errors, list | tuple):
        out["template_errors"] = len(errors)
    return out


_PHASE_LINE = re.compile(r"^\s*✓\s+([A-Z][A-Za-z -]+?)\s+(\d+(?:\.\d+)?)\s*ms\b", re.M)
_INCR_LINE = re.compile(
    r"(?:Incremental|Provenance) build: (\d+) pages?, (\d+) assets? \(skipped (\d+) cached\)"
)
_BUILT_LINE = re.compile(r"Built (\d+) pages?")
_SKIPPED_LINE = re.compile(r"No changes detected - build skipped")


def stats_from_log(log: str) -> dict[str, Any]:
    """What the CLI's console output says (the CLI has no machine-readable stats in most eras)."""
    out: dict[str, Any] = {}
    if m := _INCR_LINE.search(log):
        out["cache_misses"] = int(m.group(1))
        out["cache_hits"] = int(m.group(3))
    if _SKIPPED_LINE.search(log):
        out["skipped"] = True
    if m := _BUILT_LINE.search(log):
        out["total_pages"] = int(m.group(1))
    out["phases_ms"] = {
        _phase_key(m.group(1)): float(m.group(2)) for m in _PHASE_LINE.finditer(log)
    }
    return out


def log_errors(log: str) -> list[str]:
    """Lines of the build log that report template/render errors or tracebacks."""
    bad = []
    for line in log.splitlines():
        if any(p.search(line) for p in ERROR_PATTERNS):
            bad.append(line.strip())
    return bad


# Where the CLI writes Bengal's structured build log (JSON lines, rewritten by every build):
# early eras ``<root>/.bengal-build.log``, later ``<root>/.bengal/logs/build.log``.
_STRUCTURED_LOGS = (Path(".bengal") / "logs" / "build.log", Path(".bengal-build.log"))


def structured_log_problems(root: Path, since_ns: int) -> list[str]:
    """What Bengal's own structured build log says went wrong in a CLI build that started at
    ``since_ns`` (``log_problems``)."""
    events = []
    for rel in _STRUCTURED_LOGS:
        path = root / rel
        try:
            if path.stat().st_mtime_ns < since_ns:
                continue
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    return log_problems(events)


def _bengal_loggers() -> dict[str, Any]:
    """Bengal's structured loggers in this process (every era keeps each one's events in
    memory, ``get_events()``), by name; {} where the era has none."""
    for module in ("bengal.utils.observability.logger", "bengal.utils.logger"):
        try:
            loggers = getattr(__import__(module, fromlist=["_loggers"]), "_loggers", None)
        except ImportError:
            continue
        if isinstance(loggers, dict):
            return dict(loggers)
    return {}


def logged_events_mark() -> dict[str, int]:
    """How many events each of Bengal's loggers in this process holds: taken before an
    in-process build, so that ``logged_problems_since`` reads that build's events only."""
    return {name: len(lg.get_events()) for name, lg in _bengal_loggers().items()}


def logged_problems_since(mark: dict[str, int]) -> list[str]:
    """``log_problems`` of the events Bengal's loggers recorded in this process since ``mark``:
    what an in-process build logged (it writes no build log file; the CLI writes these same
    events to one)."""
    events = []
    for name, lg in _bengal_loggers().items():
        recorded = lg.get_events()
        start = mark.get(name, 0) if len(recorded) >= mark.get(name, 0) else 0  # loggers reset
        events += [e.to_dict() for e in recorded[start:]]
    return log_problems(events)


def log_problems(events: list[dict[str, Any]]) -> list[str]:
    """What Bengal's structured log events (``LogEvent.to_dict()``, one JSON line each in its
    build log) say went wrong: events at level ERROR or CRITICAL (e.g. a special page that
    failed while the build exits 0), and expired work-scope deadlines.

    Later eras give up on work that outlives a per-scope deadline (300 s): the build still exits
    0 and the pages not rendered in time are simply missing; only this log says why.
    """
    problems = []
    for event in events:
        context = event.get("context") or {}
        if event.get("event_type") == "work_scope_deadline_expired":
            done, left = context.get("completed", "?"), context.get("remaining", "?")
            problems.append(
                f"Bengal's {context.get('scope', '?')} deadline expired: {done} done, "
                f"{left} dropped"
            )
        elif event.get("level") in ("ERROR", "CRITICAL"):
            detail = str(context.get("error", "")).splitlines()[:1]
            problems.append(f"{event.get('event_type', 'error')}: {' '.join(detail)}".strip())
    return problems
