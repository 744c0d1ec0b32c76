"""Run one Bengal build of a generated site, time only the build, and refuse broken output.

    b = driver.Build(root, mode="full" | "incremental" | "default", via="api" | "cli")
    b.run()                       # timed: only the Bengal build
    result = b.verify(change)     # untimed: stats, written files, validation (BuildFailed)
    result = driver.build(root, mode=..., via=..., change=None)
    driver.incremental_diff(root) # files an incremental build got wrong vs a clean full build

Bengal-history knowledge lives in ``driver.compat`` only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from driver import compat, watchdog

__all__ = [
    "IMPORT_API_STATEMENT",
    "PHASES",
    "Build",
    "BuildFailed",
    "BuildResult",
    "CleanComparison",
    "build",
    "compare_with_clean_build",
    "incremental_diff",
    "probe",
]

PHASES = compat.PHASES
# Every build of the suite sees the same environment on a runner as on a workstation.
compat.without_deployment_env(os.environ)
IMPORT_API_STATEMENT = compat.IMPORT_API_STATEMENT
VIAS = ("api", "cli")


class BuildFailed(RuntimeError):
    """The build failed or produced output that must not be timed; the message says where."""


def probe(cli: bool = True) -> dict[str, Any]:
    """What the Bengal installed in this interpreter supports (``compat.Caps``, and with ``cli``
    ``compat.CliCaps``; raises ``compat.CliBroken`` when the command crashes)."""
    caps = compat.probe().as_dict()
    return {**caps, **compat.probe_cli().as_dict()} if cli else caps


@dataclasses.dataclass
class BuildResult:
    wall_s: float
    mode: str
    via: str
    html_total: int
    html_written: int
    files_written: int
    full_rebuild: bool
    stats: dict[str, Any]
    peak_rss_mb: float
    log: str
    returncode: int = 0
    warnings: list[str] = dataclasses.field(default_factory=list)
    # What the machine spent, without the waiting: the CLI child's user + system time
    # (os.wait4), or this process's for an in-process build.
    cpu_s: float = 0.0
    # Exact work counters: sizes of the output tree, of the files this build wrote, and of
    # Bengal's cache after the build.
    output_bytes: int = 0
    bytes_written: int = 0
    cache_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


Snapshot = dict[str, tuple[int, int]]


def snapshot(out: Path) -> Snapshot:
    """``{relative path: (mtime_ns, size)}`` of every output file except Bengal's cache files."""
    snap: Snapshot = {}
    if not out.is_dir():
        return snap
    for dirpath, dirnames, filenames in os.walk(out):
        rel_dir = os.path.relpath(dirpath, out)
        prefix = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        if not prefix:
            dirnames[:] = [d for d in dirnames if not compat.is_cache_path(d)]
        for name in filenames:
            rel = prefix + name
            if compat.is_cache_path(rel):
                continue
            st = os.stat(os.path.join(dirpath, name))
            snap[rel] = (st.st_mtime_ns, st.st_size)
    return snap


def load_manifest(root: Path) -> dict[str, Any]:
    path = Path(root) / "scenario.json"
    if not path.exists():
        raise BuildFailed(f"{path}: no scenario manifest (generate the site with scenario_gen)")
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise BuildFailed(f"{path}: unreadable manifest: {exc}") from exc


class Build:
    """One build of the site at ``root``. Preparation happens here, untimed."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        mode: str = "default",
        via: str = "api",
        *,
        workers: int | None = None,
        timeout: float | None = None,
        wrapper: Sequence[str] = (),
    ) -> None:
        """``wrapper``: argv a CLI build runs under (e.g. valgrind's), prepended to Bengal's."""
        if mode not in compat.MODES:
            raise ValueError(f"mode must be one of {compat.MODES}, not {mode!r}")
        if via not in VIAS:
            raise ValueError(f"via must be one of {VIAS}, not {via!r}")
        self.root = Path(root).resolve()
        if not compat.is_site(self.root):
            raise BuildFailed(f"{self.root}: not a Bengal site (no bengal.toml, no config/)")
        self.mode, self.via = mode, via
        self.caps = compat.probe()
        try:
            self.cli_caps = compat.probe_cli() if via == "cli" else None
        except compat.CliBroken as exc:
            raise BuildFailed(f"the bengal command is broken: {exc}") from exc
        caps = self.cli_caps or self.caps
        if mode == "incremental" and not compat.incremental_supported(caps):
            raise BuildFailed(f"this Bengal has no explicit incremental build via {via}")
        compat.set_workers(self.root, workers)
        if compat.needs_clean(caps, mode):
            compat.clean(self.root)
        self.out = compat.output_dir(self.root)
        self.before = snapshot(self.out)
        self.argv = compat.cli_argv(self.cli_caps, self.root, mode) if self.cli_caps else []
        if self.argv:
            watchdog.start()  # untimed: the first guarded build must not wait for it
        if self.argv:
            self.argv = [*wrapper, *self.argv]
        self.env = {**os.environ, **compat.BUILD_ENV}
        self._log_fd, self._log_path = tempfile.mkstemp(prefix="bengal-build-", suffix=".log")
        if via == "api":
            compat.import_api()  # imports are not part of an in-process build
        self.started_ns = 0  # wall clock of the last run(), for Bengal's own build log
        self.timeout = timeout  # CLI builds only: killed after this many seconds
        self.timed_out = False
        self.wall_s: float | None = None
        self.returncode = 0
        self.peak_rss_mb = 0.0
        self.cpu_s = 0.0
        self.raw_stats: Any = None
        self.error: BaseException | None = None
        self._log_mark: dict[str, int] = {}

    def run(self) -> None:
        """The timed part: only the Bengal build."""
        os.lseek(self._log_fd, 0, os.SEEK_SET)
        os.ftruncate(self._log_fd, 0)
        self.started_ns = time.time_ns()
        if self.via == "cli":
            self._run_cli()
        else:
            self._run_api()

    def _run_cli(self) -> None:
        self.timed_out = False
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            self.argv,
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_fd,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout kills its workers too
        )
        watchdog.guard(proc.pid)  # and it dies with this process (asv's timeout kills it)
        timer = None
        if self.timeout:
            timer = threading.Timer(self.timeout, self._kill_group, (proc.pid,))
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if timer:
                timer.cancel()
            watchdog.release(proc.pid)
        self.wall_s = time.perf_counter() - t0
        proc.returncode = self.returncode = os.waitstatus_to_exitcode(status)
        self.peak_rss_mb = usage.ru_maxrss / 1024  # Linux: KiB
        self.cpu_s = usage.ru_utime + usage.ru_stime

    def _kill_group(self, pid: int) -> None:
        self.timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)

    def _run_api(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        saved_env = {k: os.environ.get(k) for k in compat.BUILD_ENV}
        os.environ.update(compat.BUILD_ENV)
        os.dup2(self._log_fd, 1)
        os.dup2(self._log_fd, 2)
        self.error = None
        self._log_mark = compat.logged_events_mark()  # before the clock: not the build's work
        c0 = time.process_time()
        t0 = time.perf_counter()
        try:
            self.raw_stats = compat.api_build(self.caps, self.root, self.mode)
        except Exception as exc:  # reported by verify(), with the log
            self.error = exc
        finally:
            self.wall_s = time.perf_counter() - t0
            self.cpu_s = time.process_time() - c0
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def read_log(self) -> str:
        return Path(self._log_path).read_text(errors="replace")

    def verify(self, change: Any = None, *, judge_edit: bool = True) -> BuildResult:
        """Untimed: collect stats and written files, validate, raise BuildFailed if broken.

        With ``judge_edit=False`` a rebuild that did not carry ``change`` (not even a page the
        edit added) still passes: the caller counts the miss itself (against a clean build).
        """
        if self.wall_s is None:
            raise BuildFailed("verify() before run()")
        log = self.read_log()
        if self.error is not None:
            raise BuildFailed(
                f"Site.build raised {type(self.error).__name__}: {self.error}"
            ) from self.error
        if self.timed_out:
            pages = len(load_manifest(self.root).get("pages", []))
            raise BuildFailed(f"did not finish in {self.timeout:.0f} s at {pages} pages")
        if self.returncode != 0:
            raise BuildFailed(f"bengal exited with {self.returncode}: {compat.last_error(log)}")
        manifest = load_manifest(self.root)
        pages = [p["output"] for p in manifest.get("pages", [])]
        after = snapshot(self.out)
        written = {rel for rel, sig in after.items() if self.before.get(rel) != sig}
        html = [rel for rel in after if rel.endswith(".html")]
        html_written = sum(1 for rel in html if rel in written)
        if self.via == "api":
            stats = compat.normalise_stats(self.raw_stats)
        else:
            stats = compat.stats_from_log(log)
        result = BuildResult(
            wall_s=self.wall_s,
            mode=self.mode,
            via=self.via,
            html_total=len(html),
            html_written=html_written,
            files_written=len(written),
            # Every content page rewritten (some eras skip identical special pages like 404).
            full_rebuild=bool(pages) and all(rel in written for rel in pages),
            stats=stats,
            peak_rss_mb=round(self.peak_rss_mb, 1),
            log=log,
            returncode=self.returncode,
            cpu_s=round(self.cpu_s, 3),
            output_bytes=sum(size for _, size in after.values()),
            bytes_written=sum(after[rel][1] for rel in written),
            cache_bytes=compat.cache_bytes(self.root),
        )
        # The same rule for both: what Bengal logged as a problem (the CLI's build log, or the
        # in-process build's events), e.g. pages dropped at a deadline or a special page that
        # failed: exit 0, and only the log says so.
        if self.via == "api":
            problems = compat.logged_problems_since(self._log_mark)
        else:
            problems = compat.structured_log_problems(self.root, self.started_ns)
        if problems:
            raise BuildFailed(f"{problems[0]} ({len(problems)} problem(s) in Bengal's build log)")
        result.warnings = validate(self.root, self.out, log, stats, written, change, judge_edit)
        return result

    def __del__(self) -> None:
        try:
            os.close(self._log_fd)
            os.unlink(self._log_path)
        except (AttributeError, OSError):
            pass


_STYLESHEET = re.compile(rb"<link\b[^>]*\bstylesheet\b[^>]*>", re.I)
_HREF = re.compile(rb"""\bhref\s*=\s*["']?([^"'\s>]+)""", re.I)


def unwritten_stylesheets(out: Path, rel: str, body: bytes) -> list[str]:
    """The stylesheets a page links that are not in the output: a page that links its theme's
    CSS but the build never wrote it renders unstyled (external and data URLs are not checked)."""
    missing = []
    for tag in _STYLESHEET.findall(body):
        found = _HREF.search(tag)
        href = found.group(1).decode(errors="replace") if found else ""
        if not href or re.match(r"^([a-z][a-z0-9+.-]*:|//)", href, re.I):
            continue
        path = href.split("#")[0].split("?")[0]
        base = out if path.startswith("/") else (out / rel).parent
        if not (base / path.lstrip("/")).resolve().is_file():
            missing.append(href)
    return missing


def validate(
    root: Path,
    out: Path,
    log: str,
    stats: dict[str, Any],
    written: set[str],
    change: Any = None,
    judge_edit: bool = True,
) -> list[str]:
    """Check the output against ``<root>/scenario.json``; raise BuildFailed naming the problem.

    Returns warnings: missing assets other than stylesheets and scripts. Pages stay correct
    without them, and early commits never write raster images (they save optimised images to
    ``x.png.tmp``, which Pillow refuses), so failing on them would hide that whole era.
    """
    warnings: list[str] = []
    manifest = load_manifest(root)
    errors = compat.log_errors(log)
    if errors:
        raise BuildFailed(f"build log reports {len(errors)} error line(s), first: {errors[0]}")
    if stats.get("template_errors"):
        raise BuildFailed(f"Bengal reports {stats['template_errors']} template error(s)")
    left_to_caller = set(change.rebuilt_outputs) if change and not judge_edit else set()
    expected = manifest.get("pages", []) + compat.autodoc_pages(manifest.get("autodoc", {}))
    for page in expected:
        rel = page["output"]
        path = out / rel
        if rel in left_to_caller and not path.is_file():  # an added page the rebuild missed
            continue
        if not path.is_file():
            raise BuildFailed(f"{rel}: expected page missing (source {page.get('source')})")
        token = page.get("token")
        body = path.read_bytes()
        if token and compat.renders_body(page) and token.encode() not in body:
            raise BuildFailed(f"{rel}: rendered page lacks its token {token!r} (error page?)")
        if not _STYLESHEET.search(body):
            raise BuildFailed(f"{rel}: links no stylesheet (unstyled fallback page)")
        unwritten = unwritten_stylesheets(out, rel, body)
        if unwritten:
            raise BuildFailed(
                f"{rel}: links the stylesheet {unwritten[0]}, which the build did not write"
            )
    for asset in manifest.get("assets", []):
        problem = compat.asset_problem(root, out, asset["source"])
        if not problem:
            continue
        if asset.get("kind") not in ("css", "js"):
            warnings.append(f"{asset['source']}: {problem}")
            continue
        raise BuildFailed(f"{asset['source']}: {problem}")
    missed = missed_edit(out, written, change) if judge_edit else []
    if missed:
        raise BuildFailed(f"{missed[0]} ({len(missed)} output(s) missed the edit)")
    return warnings


def missed_edit(out: Path, written: set[str], change: Any) -> list[str]:
    """The outputs a rebuild got wrong for ``change`` (a ``scenario_gen.Change`` or None)."""
    if change is None:
        return []
    missed = []
    for rel in change.rebuilt_outputs:
        if rel not in written:
            missed.append(f"{rel}: not rewritten after {change.kind} change")
        elif change.token and change.token.encode() not in (out / rel).read_bytes():
            missed.append(f"{rel}: lacks the new token {change.token!r} after rebuild")
    for rel in getattr(change, "removed_outputs", []):
        if (out / rel).exists():
            missed.append(f"{rel}: still present after {change.kind} change removed it")
    tree = _TreeReader(out)
    for source in getattr(change, "changed_stylesheets", []):
        missed += _stale_stylesheet(source, change.token, tree.stylesheets(), None)
    mention = _mention_pattern(change)
    if mention is not None:
        for rel in tree.text_outputs():
            if rel not in change.removed_outputs and mention.search(tree.read(rel)):
                missed.append(_stale_mention(rel, change))
    return missed


def _stale_mention(rel: str, change: Any) -> str:
    """What an output that still mentions a removed page is: another output of that page (its
    JSON or text twin), or a page, feed or index that links to or lists it."""
    dirs = [r.rpartition("/")[0] + "/" for r in change.removed_outputs if "/" in r]
    if any(rel.startswith(d) for d in dirs):
        return f"{rel}: still present after {change.kind} removed its page"
    return f"{rel}: still links to or lists the page {change.kind} removed"


class _TreeReader:
    """The output tree's files (Bengal's cache excluded), read on demand."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rels = sorted(snapshot(out))

    def read(self, rel: str) -> bytes:
        return (self.out / rel).read_bytes()

    def stylesheets(self) -> dict[str, bytes]:
        return {rel: self.read(rel) for rel in self.rels if rel.endswith(".css")}

    def text_outputs(self) -> list[str]:
        return [rel for rel in self.rels if rel.endswith(compat.TEXT_SUFFIXES)]


def _stale_stylesheet(
    source: str, token: str, written: dict[str, bytes], clean: dict[str, bytes] | None
) -> list[str]:
    """How the written stylesheets miss an edit of the site stylesheet ``source``: every copy of
    it (``compat.asset_copies``) must carry the new rule ``token``; where no copy has its name
    (bundled into another stylesheet), some stylesheet must. With ``clean`` (a clean build's
    stylesheets) only what the clean build does show counts: a copy it writes without the rule,
    or a bundle it does not carry the rule in, is no miss."""
    needle = token.encode()
    copies = compat.asset_copies(source, sorted(written))
    if copies:
        return [
            f"{rel}: a copy of {source} without its new rule {token!r} (stale)"
            for rel in copies
            if needle not in written[rel] and (clean is None or needle in clean.get(rel, needle))
        ]
    if any(needle in data for data in written.values()):
        return []
    if clean is not None and not any(needle in data for data in clean.values()):
        return []
    return [f"{source}: no output stylesheet carries its new rule {token!r}"]


def _mention_pattern(change: Any) -> re.Pattern[bytes] | None:
    """What in an output links to or lists a page ``change`` removed: its URL path (with or
    without the trailing slash, absolute or prefixed by a base URL) or its title (also
    HTML-escaped), as whole words: "Guide 7" is not "Guide 71"."""
    urls = [re.escape(url.rstrip("/")) for url in getattr(change, "removed_urls", [])]
    titles = [
        rf"(?<![\w-]){re.escape(t)}"
        for title in getattr(change, "removed_titles", [])
        for t in sorted({title, html.escape(title)})
    ]
    if not urls + titles:
        return None
    return re.compile(rf"(?:{'|'.join(urls + titles)})(?![\w-])".encode())


def build(
    root: str | os.PathLike[str],
    mode: str = "default",
    via: str = "api",
    change: Any = None,
    *,
    workers: int | None = None,
    timeout: float | None = None,
) -> BuildResult:
    """Run and verify one build."""
    b = Build(root, mode=mode, via=via, workers=workers, timeout=timeout)
    b.run()
    return b.verify(change=change)


def read_tree(out: Path) -> dict[str, bytes]:
    """Normalised contents of every output file (cache files excluded)."""
    return {rel: compat.normalise_output(rel, (out / rel).read_bytes()) for rel in snapshot(out)}


@dataclasses.dataclass
class CleanComparison:
    """An incremental build's output against a clean full build of the same sources."""

    differing: list[str]  # outputs that differ (or exist in only one of the two)
    missed_edit: list[str]  # outputs where the clean build shows the edit and the rebuild not
    clean: BuildResult  # the clean build (its wall time is the fair "full build" to compare)


def compare_with_clean_build(
    root: str | os.PathLike[str], via: str = "cli", change: Any = None
) -> CleanComparison:
    """After an incremental build: compare its output with a clean full build in place (same
    absolute paths), which leaves the site fully built.

    Volatile strings (build timestamps, durations) are normalised; nothing else is. The missed
    edit is judged against the clean build, so a theme that never shows a token on some page
    does not count as a miss: an output misses ``change`` when the clean build's copy carries the
    edit's token and the incremental one does not (for a stylesheet edit: a copy of the
    stylesheet without the new rule that the clean build does not write so, see
    ``_stale_stylesheet``), when the edit removed it and
    only the incremental build still has it, or when an output still links to or lists a deleted
    page and its clean copy does not.
    """
    root = Path(root).resolve()
    out = compat.output_dir(root)
    incremental = read_tree(out)
    compat.clean(root)
    clean_build = build(root, mode="full", via=via)
    clean = read_tree(out)
    differing = {rel for rel in incremental.keys() & clean.keys() if incremental[rel] != clean[rel]}
    missed = [] if change is None else _missed_against_clean(incremental, clean, change)
    return CleanComparison(
        sorted(differing | (incremental.keys() ^ clean.keys())), missed, clean_build
    )


def _missed_against_clean(
    incremental: dict[str, bytes], clean: dict[str, bytes], change: Any
) -> list[str]:
    """``compare_with_clean_build``'s missed edit: what the clean build shows of ``change`` and
    the incremental build does not (see there)."""
    missed = []
    token = change.token.encode()
    for rel in change.rebuilt_outputs:
        if token and token in clean.get(rel, b"") and token not in incremental.get(rel, b""):
            missed.append(f"{rel}: lacks the edit ({change.kind}) that a clean build shows")
    for rel in change.removed_outputs:
        if rel in incremental and rel not in clean:
            missed.append(f"{rel}: still served after {change.kind} removed its page")
    for source in getattr(change, "changed_stylesheets", []):

        def css(tree: dict[str, bytes]) -> dict[str, bytes]:
            return {rel: data for rel, data in tree.items() if rel.endswith(".css")}

        missed += _stale_stylesheet(source, change.token, css(incremental), css(clean))
    mention = _mention_pattern(change)
    if mention is not None:
        for rel, data in sorted(incremental.items()):
            if rel in change.removed_outputs or not rel.endswith(compat.TEXT_SUFFIXES):
                continue
            if mention.search(data) and not mention.search(clean.get(rel, b"")):
                missed.append(_stale_mention(rel, change))
    return missed


def incremental_diff(root: str | os.PathLike[str], via: str = "cli") -> list[str]:
    """After an incremental build: paths that differ from a clean full build of the same sources."""
    return compare_with_clean_build(root, via).differing
