"""Everything this repository knows about Bengal's history, detected by probing.

This is the only module that may know how Bengal's CLI, Python API, cache and statistics changed
over time. It never branches on version numbers: it inspects the installed Bengal (imports,
``inspect.signature``, dataclass fields, ``--help`` output), because benchmarks also run on the
commits between releases.

Eras (for readers; the code detects features, not eras):
- CLI: ``bengal build SRC`` → ``bengal site build SRC`` → both → ``bengal build --source SRC``.
- API: ``Site.build(**kwargs)`` → ``Site.build(BuildOptions(...))``.
- Incremental: opt-in ``--incremental`` (default full) → ``--incremental/--no-incremental``
  (default auto: incremental when a cache exists).
- Cache: ``<output>/.bengal-cache.json`` → ``<root>/.bengal/``.
- Stats: ``bengal.utils.build_stats.BuildStats`` → ``bengal.orchestration.stats.models``;
  per-phase ``*_time_ms`` fields, later also ``phase_timings_ms``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import scenario_gen

# Environment for every build: no PyPI update check, and let the CLI run on GIL Python in
# non-interactive mode (later commits refuse otherwise). A fixed hash seed for CLI children:
# some eras write hash()-derived ids and set-ordered keys into their JSON outputs, so two clean
# builds in two processes differ unless the seed is the same (in-process builds share theirs).
BUILD_ENV = {
    "CI": "1",
    "BENGAL_NO_UPDATE_CHECK": "1",
    "BENGAL_ALLOW_GIL": "1",
    "PYTHONHASHSEED": "0",
}

# Log lines that mean a page was not rendered properly although Bengal may exit 0.
ERROR_PATTERNS = (
    re.compile(r"Template render error", re.I),
    re.compile(r"\bK-RUN-\d+"),
    re.compile(r"^Traceback \(most recent call last\)", re.M),
    re.compile(r"TemplateSyntaxError|UndefinedError|TemplateNotFound"),
)
# "6 years ago" depends on today; the default theme's "You Might Also Like" widget (early eras)
# picks random pages on every build.
_RELATIVE_TIME = re.compile(rb"\b\d+ (?:second|minute|hour|day|week|month|year)s? ago\b")
_RANDOM_WIDGET = re.compile(rb'(<aside class="random-posts-widget">).*?(</aside>)', re.S)

# Later eras stamp each page with a hash of its rendered HTML, volatile parts included.
_CONTENT_HASH = re.compile(rb'(<meta name="bengal:content-hash" content=")[0-9a-f]+')

MODES = ("full", "incremental", "default")

# Phases every era reports (BuildStats ``<phase>_time_ms`` fields; CLI "✓ <Phase>  N ms" lines).
PHASES = ("discovery", "taxonomy", "rendering", "assets", "postprocess")

# The import a user's script does to build in-process; valid in every era.
IMPORT_API_STATEMENT = "from bengal.core.site import Site"

# Text outputs whose volatile strings (timestamps) are normalised before comparing builds.
TEXT_SUFFIXES = (".html", ".xml", ".json", ".txt", ".css", ".js", ".webmanifest", ".map")
_TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")


class BengalMissing(RuntimeError):
    """No usable Bengal in this interpreter."""


@dataclasses.dataclass(frozen=True)
class Caps:
    """What the installed Bengal's Python API supports (JSON-serialisable)."""

    version: str
    bengal_file: str
    api: str  # "options" (Site.build(BuildOptions)) or "kwargs" (Site.build(**kw))
    api_fields: tuple[str, ...]  # BuildOptions fields or Site.build keyword names
    api_incremental_default: Any  # None = auto, False = full by default

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class CliCaps:
    """What the installed ``bengal`` command supports; probed only when a CLI build is asked for,
    so that a commit whose CLI crashes still gets its in-process numbers."""

    cli: str  # path of the `bengal` script
    cli_build: tuple[str, ...]  # argv after `bengal` that starts a build
    cli_source: str  # "option" (--source DIR) or "positional"
    cli_incremental: str  # "both" (--incremental/--no-incremental), "opt-in", or "none"
    cli_quiet: str  # "--quiet" / "-q" / ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class CliBroken(RuntimeError):
    """The ``bengal`` command cannot start; the message is the CLI's own last error line."""


# --- probing ---


def _bengal_script() -> Path:
    """The `bengal` console script of the running interpreter's environment."""
    here = Path(sys.executable).parent / "bengal"
    if here.exists():
        return here
    found = shutil.which("bengal")
    if found is None:
        raise CliBroken(f"no `bengal` script next to {sys.executable} or on PATH")
    return Path(found)


def _help(script: Path, *args: str) -> str:
    """``bengal ARGS --help``; raises CliBroken with the CLI's last error line if it crashes."""
    argv = [os.fspath(script), *args, "--help"]
    try:
        proc = subprocess.run(
            argv,
            env={**os.environ, **BUILD_ENV, "COLUMNS": "200", "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        raise CliBroken(f"`{' '.join(argv[1:])}` did not answer within 300 s") from None
    text = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Traceback (most recent call last)" in text:
        raise CliBroken(
            f"`bengal {' '.join(argv[1:])}` exited {proc.returncode}: {last_error(text)}"
        )
    return text


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


def _probe_cli(script: Path) -> dict[str, Any]:
    argv, text = _command_help(script, "build")
    source = "option" if re.search(r"(^|\s)--source\b", text) else "positional"
    if "--no-incremental" in text:
        incr = "both"
    elif "--incremental" in text:
        incr = "opt-in"
    else:
        incr = "none"
    quiet = "--quiet" if "--quiet" in text else ("-q" if re.search(r"\s-q\b", text) else "")
    return {"cli_build": argv, "cli_source": source, "cli_incremental": incr, "cli_quiet": quiet}


def _probe_api() -> dict[str, Any]:
    from bengal.core.site import Site

    params = list(inspect.signature(Site.build).parameters)
    options_cls = _build_options_class()
    if options_cls is not None and len(params) > 1 and params[1] == "options":
        fields = tuple(f.name for f in dataclasses.fields(options_cls))
        by_name = {f.name: f for f in dataclasses.fields(options_cls)}
        default = by_name["incremental"].default if "incremental" in by_name else False
        return {"api": "options", "api_fields": fields, "api_incremental_default": default}
    sig = inspect.signature(Site.build)
    names = tuple(n for n in params[1:] if n != "options")
    incr = sig.parameters.get("incremental")
    default = incr.default if incr is not None else False
    return {"api": "kwargs", "api_fields": names, "api_incremental_default": default}


def _build_options_class() -> type | None:
    try:
        from bengal.orchestration.build.options import BuildOptions
    except ImportError:
        return None
    return BuildOptions


def _cache_file(key: str) -> Path:
    return scenario_gen.cache_root() / "probe" / f"{key}.json"


@functools.cache
def probe() -> Caps:
    """Probe the Python API of the Bengal installed in this interpreter (cached per process)."""
    try:
        import bengal
    except ImportError as exc:
        raise BengalMissing(f"Bengal is not installed in {sys.executable}: {exc}") from exc
    init = Path(bengal.__file__ or "")
    return Caps(
        version=str(getattr(bengal, "__version__", "unknown")),
        bengal_file=os.fspath(init),
        **_probe_api(),
    )


@functools.cache
def probe_cli() -> CliCaps:
    """Probe the ``bengal`` command (cached per process and on disk); raises CliBroken."""
    script, cli = _cached_probe("build", _probe_cli)
    return CliCaps(cli=os.fspath(script), **cli)


def _cached_probe(kind: str, probe_script: Any) -> tuple[Path, dict[str, Any]]:
    """``probe_script(script)`` of the ``bengal`` command, cached on disk per ``kind``.

    The key covers the interpreter, Bengal's package file and the script's mtimes, so a
    reinstall (asv installs every commit into the same env) probes again. A crash (CliBroken) is
    never cached. JSON lists come back as tuples.
    """
    init = Path(probe().bengal_file)
    script = _bengal_script()
    stamp = f"{kind}|{sys.executable}|{init}|{init.stat().st_mtime_ns}|{script.stat().st_mtime_ns}"
    cache = _cache_file(hashlib.sha256(stamp.encode()).hexdigest()[:20])
    try:
        found = json.loads(cache.read_text())
        return script, {k: tuple(v) if isinstance(v, list) else v for k, v in found.items()}
    except (OSError, ValueError, AttributeError):
        found = probe_script(script)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(found))
        os.replace(tmp, cache)
    except OSError:
        pass
    return script, found


def _command_help(script: Path, name: str) -> tuple[tuple[str, ...], str]:
    """The argv after ``bengal`` that runs ``name`` (``name`` or ``site name``) and its help."""
    top = _help(script)
    # A command listing line looks like "  build  🔨 Build…" (click) or "  build (b)  Build…".
    commands = set(re.findall(r"^\s{2,}([a-z][\w-]*)\b", top, re.M))
    if name in commands:
        argv: tuple[str, ...] = (name,)
    elif "site" in commands:
        argv = ("site", name)
    else:
        raise CliBroken(f"{script} --help lists neither `{name}` nor `site`")
    return argv, _help(script, *argv)


# --- site layout ---


def is_site(root: Path) -> bool:
    """A Bengal site root: ``bengal.toml``, or a split config directory (``config/_default``)."""
    return (root / "bengal.toml").exists() or (root / "config" / "_default").is_dir()


def read_config(root: Path) -> dict[str, Any]:
    path = root / "bengal.toml"
    if not path.exists():
        return {}
    return tomllib.loads(path.read_text())


def output_dir(root: Path) -> Path:
    """The output directory (``[build] output_dir``, flat ``output_dir``, default ``public``)."""
    cfg = read_config(root)
    out = cfg.get("build", {}).get("output_dir") or cfg.get("output_dir") or "public"
    return root / out


def is_cache_path(rel: str) -> bool:
    """Cache/log files Bengal keeps inside the output dir (0.1.0: ``.bengal-cache.json``)."""
    return rel.split("/", 1)[0].startswith(".bengal")


def clean(root: Path) -> None:
    """Remove everything a previous build left: cache dirs/files and the output dir."""
    shutil.rmtree(root / ".bengal", ignore_errors=True)
    shutil.rmtree(output_dir(root), ignore_errors=True)
    for stray in (".bengal-cache.json", ".bengal-build.log"):
        (root / stray).unlink(missing_ok=True)


def set_workers(root: Path, workers: int | None) -> bool:
    """Set ``[build] max_workers`` in bengal.toml (no CLI flag exists in any era).

    Rewrites the file only when the value changes (a config edit invalidates incremental caches).
    Returns True when the file changed.
    """
    if workers is None:
        return False
    return _set_build_setting(root, "max_workers", int(workers))


def _set_build_setting(root: Path, key: str, value: int | bool) -> bool:
    """Set ``[build] key = value`` in bengal.toml; True when the file changed."""
    path = root / "bengal.toml"
    text = path.read_text() if path.exists() else ""
    current = read_config(root).get("build", {}).get(key)
    if current == value and type(current) is type(value):  # TOML `1` is not `true`
        return False
    line = f"{key} = {str(value).lower() if isinstance(value, bool) else value}"
    lines = text.splitlines()
    out: list[str] = []
    section = ""
    done = False
    for ln in lines:
        stripped = ln.strip()
        if stripped.startswith("[") and not done and section == "build":
            out.append(line)
            done = True
        if stripped.startswith("["):
            section = stripped.strip("[]").strip()
        if section == "build" and re.match(rf"{re.escape(key)}\s*=", stripped):
            if not done:
                out.append(line)
                done = True
            continue
        out.append(ln)
    if not done:
        if section == "build":
            out.append(line)
        else:
            out += ["", "[build]", line]
    # Replace, never write in place: generated sites are hard links into the scenario cache.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(out) + "\n")
    os.replace(tmp, path)
    return True


# --- running builds ---


def needs_clean(caps: Caps | CliCaps, mode: str) -> bool:
    """Whether a full build has to delete caches/output first (no way to ask for one)."""
    if mode != "full":
        return False
    if isinstance(caps, Caps):
        return "incremental" not in caps.api_fields
    return caps.cli_incremental == "none"


def cli_argv(caps: CliCaps, root: Path, mode: str) -> list[str]:
    """The command line of a build of ``root`` in ``mode``."""
    argv = [caps.cli, *caps.cli_build]
    if mode == "incremental" and caps.cli_incremental != "none":
        argv.append("--incremental")
    elif mode == "full" and caps.cli_incremental == "both":
        argv.append("--no-incremental")
    # "full" with an opt-in --incremental: the default already is a full build.
    if caps.cli_source == "option":
        argv += ["--source", os.fspath(root)]
    else:
        argv.append(os.fspath(root))
    return argv


def import_api() -> None:
    """Import what an in-process build needs, so that a timed build does not pay for it."""
    from bengal.core.site import Site  # noqa: F401

    _build_options_class()


def api_build(caps: Caps, root: Path, mode: str) -> Any:
    """Build ``root`` in-process; returns Bengal's stats object."""
    from bengal.core.site import Site

    kwargs: dict[str, Any] = {}
    if "quiet" in caps.api_fields:
        kwargs["quiet"] = True
    if mode == "incremental":
        kwargs["incremental"] = True
    elif mode == "full" and "incremental" in caps.api_fields:
        kwargs["incremental"] = False
    kwargs = {k: v for k, v in kwargs.items() if k in caps.api_fields}
    site = Site.from_config(root)
    if caps.api == "options":
        options_cls = _build_options_class()
        assert options_cls is not None
        return site.build(options_cls(**kwargs))
    return site.build(**kwargs)


def incremental_supported(caps: Caps | CliCaps) -> bool:
    if isinstance(caps, Caps):
        return "incremental" in caps.api_fields
    return caps.cli_incremental != "none"


# --- stats ---


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


# --- output checks ---

# Page types whose layout shows front matter, not the Markdown body (0.5.1's author pages):
# their body token cannot be on the page.
_BODYLESS_TYPES = ("author",)


def renders_body(page: dict[str, Any]) -> bool:
    """Whether ``page`` (a manifest entry) shows its own body, so its token must be there."""
    return page.get("type") not in _BODYLESS_TYPES


def autodoc_pages(autodoc: dict[str, Any]) -> list[dict[str, Any]]:
    """The pages autodoc renders from a real site's autodoc input (``scenario.json``'s
    ``autodoc``), as manifest entries: one per public Python module, at
    ``api/<dotted/path>/index.html`` (``output_prefix`` empty: derived from the package name),
    carrying a word of the module's docstring (seen from 0.2.6 to 0.5.1 on Bengal's own site)."""
    return [
        {
            "source": f"autodoc:{m['module']}",
            "output": "api/" + m["module"].replace(".", "/") + "/index.html",
            "token": m.get("token", ""),
        }
        for m in autodoc.get("python", [])
    ]


def normalise_output(rel: str, data: bytes) -> bytes:
    """Blank the volatile strings of one output file (build timestamps), nothing else."""
    if rel.endswith(".hash"):  # hash of a sibling file that holds timestamps; compared itself
        return b"<hash>"
    if rel == "changelog.json":  # what changed since the previous build: differs by design
        return b"<changes since the previous build>"
    if not rel.endswith(TEXT_SUFFIXES):
        return data
    data = _CONTENT_HASH.sub(rb"\1<hash>", data)
    data = _TIMESTAMP.sub(b"<timestamp>", data)
    data = _RELATIVE_TIME.sub(b"<relative-time>", data)
    return _RANDOM_WIDGET.sub(rb"\1<random>\2", data)


def _squash_css(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"\s+", "", text).replace(";}", "}")


def asset_copies(source: str, rels: list[str]) -> list[str]:
    """The output files (``rels``: relative to the output directory) that are copies of the
    site asset ``source`` (relative to the site root): in its directory, under its name with or
    without a content fingerprint (``assets/bench/style.1a2b3c4d.css``)."""
    src = Path(source)
    name = re.compile(re.escape(src.stem) + r"(\.[0-9a-f]{6,})?" + re.escape(src.suffix))
    where = src.parent.as_posix()
    return [
        rel
        for rel in rels
        if name.fullmatch(rel.rpartition("/")[2]) and rel.rpartition("/")[0].endswith(where)
    ]


def asset_problem(root: Path, out: Path, source: str) -> str | None:
    """Why the site asset ``source`` (relative to root) is missing from the output, or None.

    Assets are copied with an optional fingerprint (``name.1a2b3c4d.css``); CSS that is not a
    bundle entry point may instead be bundled into another stylesheet (later eras).
    """
    src = root / source
    if not src.is_file():
        return "listed in the manifest but missing from the site"
    name = re.compile(re.escape(src.stem) + r"(\.[0-9a-f]{6,})?" + re.escape(src.suffix) + "$")
    css_outputs = []
    for dirpath, _, filenames in os.walk(out):
        for fn in filenames:
            if name.match(fn):
                return None
            if fn.endswith(".css"):
                css_outputs.append(Path(dirpath) / fn)
    if src.suffix == ".css":
        rules = [r + "}" for r in _squash_css(src.read_text()).split("}") if r]
        bundled = [_squash_css(p.read_text(errors="replace")) for p in css_outputs]
        if rules and all(any(rule in css for css in bundled) for rule in rules):
            return None
        return "not written: no copy in the output and its rules are in no output stylesheet"
    return f"not written: no {src.stem}[.hash]{src.suffix} in the output"


# --- the dev server (`bengal serve`) ---

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


def prepare_serve_site(root: Path) -> bool:
    """Give the site the ``baseurl = ""`` that ``bengal new site`` writes in every era.

    Early dev servers render templates strictly and the default theme reads
    ``site.config.baseurl``: without the key every page fails and the server lists a directory
    instead. Returns True when bengal.toml changed (replaced, never written in place).
    """
    path = root / "bengal.toml"
    try:
        cfg = read_config(root)
    except tomllib.TOMLDecodeError:
        return False  # the server reports it
    if "baseurl" in cfg or "baseurl" in cfg.get("site", {}):
        return False
    lines = path.read_text().splitlines()
    if "[site]" in (ln.strip() for ln in lines):
        i = [ln.strip() for ln in lines].index("[site]")
        lines.insert(i + 1, 'baseurl = ""')
    else:
        lines = ['baseurl = ""', *lines]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return True


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


# --- one worker, Bengal's cache, start-up: instruction counts and work counters ---

# The CLI invocation that starts Bengal and does no site work; every era's CLI has `--version`.
STARTUP_ARGS = ("--version",)
# Inside Bengal's cache directories: build logs (their size follows the clock), not cache.
_NOT_CACHE = ("logs",)


class NoSingleWorker(RuntimeError):
    """This Bengal has no setting that limits a build to one worker."""


@functools.cache
def _reads_worker_setting() -> bool:
    """Whether the installed Bengal reads a ``max_workers`` config key anywhere (a string key,
    not the ``ThreadPoolExecutor(max_workers=...)`` argument)."""
    key = re.compile(r"""["']max_workers["']""")
    package = Path(probe().bengal_file).parent
    return any(key.search(p.read_text(errors="replace")) for p in package.rglob("*.py"))


def single_worker(root: Path) -> bool:
    """Ask this Bengal for a build with one worker: ``[build] max_workers = 1`` and
    ``parallel = false`` (no era has a CLI flag for the worker count; ``[build]`` is flattened
    into the config from v0.1.0 on). With several workers, thread scheduling changes the work
    from run to run (instruction counts spread by ~3% instead of ~0.01%).

    Raises NoSingleWorker when this Bengal reads no worker setting. Returns True when bengal.toml
    changed (a config edit invalidates incremental caches: call this before the first build).
    """
    if not _reads_worker_setting():
        raise NoSingleWorker(
            f"Bengal {probe().version} reads no `max_workers` setting: its builds cannot be "
            "limited to one worker, so their instruction counts would follow thread scheduling"
        )
    changed = set_workers(root, 1)
    return _set_build_setting(root, "parallel", False) or changed


def cache_paths(root: Path) -> list[Path]:
    """Where Bengal keeps its cache: ``<root>/.bengal/`` (v0.1.2 on) or, before, files and
    directories named ``.bengal-cache*`` in the output directory."""
    out = output_dir(root)
    found = [root / ".bengal"] if (root / ".bengal").is_dir() else []
    if out.is_dir():
        found += sorted(p for p in out.iterdir() if p.name.startswith(".bengal-cache"))
    return found


def cache_bytes(root: Path) -> int:
    """Total size of the files of Bengal's cache (build logs excluded)."""
    total = 0
    for path in cache_paths(root):
        if path.is_file():
            total += path.stat().st_size
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            if Path(dirpath) == path:
                dirnames[:] = [d for d in dirnames if d not in _NOT_CACHE]
            total += sum(os.stat(os.path.join(dirpath, f)).st_size for f in filenames)
    return total


# --- the environment a build sees ---------------------------------------------------------------

# Bengal (0.1.5 and 0.5.1 at least, ``bengal.config.env_overrides``) sets a site's baseurl from the
# deployment platform it finds in the environment when the config sets none: "/<repository>" on
# GitHub Actions (``GITHUB_ACTIONS`` and ``GITHUB_REPOSITORY``), Netlify's and Vercel's URLs,
# ``BENGAL_BASEURL``. On a CI runner its pages then link /bengal-benchmarks/assets/… while it
# writes /assets/…, and every build of the suite is another site than on a workstation. Builds
# run without these variables (``driver`` removes them from its process, which its CLI builds and
# dev servers inherit).
DEPLOYMENT_ENV = ("GITHUB_ACTIONS", "NETLIFY", "VERCEL", "BENGAL_BASEURL", "BENGAL_BASE_URL")


def without_deployment_env(environ: MutableMapping[str, str]) -> list[str]:
    """Remove the deployment platforms' variables from ``environ``; the names removed."""
    found = [name for name in DEPLOYMENT_ENV if name in environ]
    for name in found:
        del environ[name]
    return found
