"""The dev server (``bengal serve``) of each era: how it starts, settles and reports rebuilds.

Why: its command, flags and log lines changed over time; readiness and settling are read from
its output, so the patterns of every era live here.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from pathlib import Path
from typing import Any

from driver.compat.probes import BUILD_ENV, CliBroken, _cached_probe, _command_help

# Environment of a dev server: the build environment, plus output that reaches its log line by line
# (readiness and settling are read from it) without colours, and a no-op browser should an era
# open one although asked not to (Python's webbrowser honours $BROWSER).
SERVE_ENV = {
    **BUILD_ENV,
    "PYTHONUNBUFFERED": "1",
    "NO_COLOR": "1",
    "TERM": "dumb",
    "COLUMNS": "200",
    "BROWSER": "true",
}

# The server's own report of a rebuild: "Built 28 pages (28+0) in 3.93 s" / "HTML ready 28 pages
# (28+0) in 850 ms" (pages: all of the site), the summary block of early eras ("Total: 2.48 s"),
# and the pages it actually rebuilt: "Incremental build: 3 pages, 0 assets (skipped 25 cached)",
# "Provenance build: 1 page, 1 asset (skipped 27 cached)".
_REBUILD_SUMMARY = re.compile(
    r"(?:HTML ready|Built) \d+ pages? \(\d+\+\d+[^)]*\) in (\d+(?:\.\d+)?) (ms|s)\b"
)
_REBUILD_TOTAL = re.compile(r"^\W*Total:\s+(\d+(?:\.\d+)?) (ms|s)\b", re.M)
_REBUILD_DONE = re.compile(
    rf"{_REBUILD_SUMMARY.pattern}|{_REBUILD_TOTAL.pattern}|[Bb]uild failed", re.M
)
_REBUILT_PAGES = re.compile(r"(?:Incremental|Provenance) build: (\d+) pages?, \d+ assets?")
# Work a server announces and finishes later: while it runs, an edit saved now is either never
# seen (some eras start their file watcher only after the work after the first page) or waits
# for it. (line that starts the work, line that ends it)
_PENDING_WORK = (
    (re.compile(r"validating in background"), re.compile(r"Cache validated")),
    (
        re.compile(r"completing artifacts and health checks in background"),
        re.compile(r"Background completion (?:finished|failed)"),
    ),
    (re.compile(r"Building your site"), _REBUILD_DONE),
)
# Lines a server prints per HTTP request, and its HTTP server's own JSON log.
_REQUEST_LINE = re.compile(
    r"│\s*(?:\x1b\[[0-9;]*m)?\s*(?:GET|HEAD)\b|\"(?:GET|HEAD) /|\"logger\": \"pounce"
)


@dataclasses.dataclass(frozen=True)
class ServeCaps:
    """How the installed ``bengal`` starts its dev server (probed from ``serve --help``)."""

    cli: str  # path of the `bengal` script
    serve: tuple[str, ...]  # argv after `bengal` that starts the dev server
    source: str  # "option" (--source DIR) or "positional"
    no_browser: tuple[str, ...]  # flags that keep the browser closed (() = closed by default)
    no_auto_port: tuple[str, ...]  # flags that make a taken port an error, not a silent move

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _disable_flag(text: str, name: str) -> tuple[str, ...]:
    """The flag that turns the boolean option ``--NAME`` off, () when it is off by default.

    click lists ``--name / --no-name``; milo lists only ``--name … (default: True)`` and parses
    ``--no-name``; an opt-in flag (``-o, --open``) is off unless given.
    """
    if re.search(rf"(^|[\s,/])--no-{name}\b", text, re.M):
        return (f"--no-{name}",)
    line = re.search(rf"^.*--{name}\b.*$", text, re.M)
    if line is None:
        return ()
    if re.search(r"default:?\s*(True|enabled|on)\b", line.group(0), re.I):
        return (f"--no-{name}",)
    return ()


def _probe_serve(script: Path) -> dict[str, Any]:
    argv, text = _command_help(script, "serve")
    for flag in ("--host", "--port"):
        if not re.search(rf"(^|[\s,]){flag}\b", text, re.M):
            raise CliBroken(f"`bengal {' '.join(argv)} --help` lists no {flag}")
    browser = re.search(r"--(open[\w-]*)", text)
    return {
        "serve": argv,
        "source": "option" if re.search(r"(^|\s)--source\b", text, re.M) else "positional",
        "no_browser": _disable_flag(text, browser.group(1)) if browser else (),
        "no_auto_port": _disable_flag(text, "auto-port"),
    }


@functools.cache
def probe_serve() -> ServeCaps:
    """Probe ``bengal serve`` (cached per process and on disk like ``probe_cli``); raises
    CliBroken."""
    script, caps = _cached_probe("serve", _probe_serve)
    return ServeCaps(cli=os.fspath(script), **caps)


def serve_argv(caps: ServeCaps, root: Path, host: str, port: int) -> list[str]:
    """The command line of a dev server of ``root`` on exactly ``host:port``, no browser."""
    argv = [caps.cli, *caps.serve, "--host", host, "--port", str(port)]
    argv += [*caps.no_browser, *caps.no_auto_port]
    if caps.source == "option":
        return [*argv, "--source", os.fspath(root)]
    return [*argv, os.fspath(root)]


def is_request_line(line: str) -> bool:
    """Whether a line of server output only logs HTTP traffic (a request, or the HTTP server's
    own JSON log): the benchmark's polling, not work of the server."""
    return bool(_REQUEST_LINE.search(line))


def server_work_pending(output: str) -> bool:
    """Whether the server announced work after serving that delays its file watcher and has
    not reported it finished (an edit saved now would be lost)."""
    for start, end in _PENDING_WORK:
        begun = [m.end() for m in start.finditer(output)]
        if begun and not end.search(output, begun[-1]):
            return True
    return False


def serve_rebuild_report(output: str) -> dict[str, float]:
    """What the server reported about its rebuilds in ``output``: ``rebuilds`` and
    ``rebuild_ms`` (summed over them), ``pages_rebuilt`` (summed) where it says; {} when it
    reported no rebuild (some eras swap an edited page in without one)."""
    times = [float(v) * (1 if u == "ms" else 1000) for v, u in _REBUILD_SUMMARY.findall(output)]
    if not times:
        times = [float(v) * (1 if u == "ms" else 1000) for v, u in _REBUILD_TOTAL.findall(output)]
    if not times:
        return {}
    out = {"rebuilds": float(len(times)), "rebuild_ms": sum(times)}
    pages = [int(n) for n in _REBUILT_PAGES.findall(output)]
    if pages:
        out["pages_rebuilt"] = float(sum(pages))
    return out
