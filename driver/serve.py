"""A Bengal dev server (``bengal serve``) on 127.0.0.1, reached over HTTP only.

    with DevServer(root, wait_s=120) as server:    # starts it; first_page_s: time to first page
        server.settle()                            # until its file watcher runs
        t_served = server.wait_for(path, token, what="page content/x.md", since=t_saved)

The server runs in its own process group on a free port. It is stopped (SIGINT, then SIGTERM,
then SIGKILL, the whole group and tree: ``driver.processes.stop_tree``) when the ``with`` block
ends, at interpreter exit, and by the watchdog (``driver.watchdog``) when this process dies
without either (asv kills a benchmark that times out).
Every wait is bounded and says what it waited for. How each era starts its server is
``driver.compat``'s business; this module applies no edit itself.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import scenario_gen
from driver import compat, processes, watchdog
from scenario_gen.generate import MANIFEST

HOST = "127.0.0.1"
POLL_S = 0.05  # between two HTTP polls: the resolution of every latency measured here
QUIET_S = 1.0  # output silence (request lines aside) that counts as an idle server
IDLE_S = 10.0  # ... and after which a server serving the home page without its token gives up
STOP_GRACE_S = 10.0  # per signal: SIGINT, SIGTERM, SIGKILL
REQUEST_TIMEOUT_S = 5.0  # one HTTP request (a busy server answers late, not never)

# The watchdog's grace for a server whose process died before stopping it: SIGTERM, then SIGKILL.
WATCHDOG_GRACE_S = 5.0


class ServerFailed(RuntimeError):
    """The dev server did not do what the benchmark waited for; one line says what."""


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now (the kernel's choice for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(port: int, path: str, timeout: float) -> tuple[int, bytes]:
    """GET ``http://127.0.0.1:port/path`` bypassing any proxy; (status, body), (0, b"") when
    nothing answered."""
    request = urllib.request.Request(
        f"http://{HOST}:{port}/{path.lstrip('/')}", headers={"Cache-Control": "no-cache"}
    )
    try:
        with _opener.open(request, timeout=max(timeout, 0.05)) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except (OSError, ValueError):
        return 0, b""


def page_url(output: str) -> str:
    """The URL path a browser uses for an output file: ``a/b/index.html`` → ``/a/b/``."""
    return "/" + output.removesuffix("index.html")


_live: set[DevServer] = set()


@atexit.register
def _stop_all() -> None:
    for server in list(_live):
        server.stop()


class DevServer:
    """One ``bengal serve`` of the site at ``root``; see the module docstring."""

    def __init__(self, root: str | os.PathLike[str], *, wait_s: float) -> None:
        self.root = Path(root).resolve()
        self.wait_s = wait_s
        self.caps = compat.probe_serve()
        self.port = 0
        self.pid = 0  # of the server, also the id of its process group
        self.proc: subprocess.Popen[bytes] | None = None
        self.first_page_s: float | None = None
        self.first_page_at: float | None = None  # time.perf_counter() of that first page
        self._work_lines, self._work_since = -1, time.perf_counter()
        self._log_fd, self._log_path = tempfile.mkstemp(prefix="bengal-serve-", suffix=".log")

    def __enter__(self) -> DevServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- output ---

    def output(self, since: int = 0) -> str:
        """The server's stdout and stderr from byte offset ``since``."""
        with open(self._log_path, "rb") as f:
            f.seek(since)
            return f.read().decode(errors="replace")

    def output_size(self) -> int:
        return os.path.getsize(self._log_path)

    def last_output(self) -> str:
        """The line that says most about the server's state: its last error line, else its last
        line (request lines skipped)."""
        text = "\n".join(ln for ln in self.output().splitlines() if not compat.is_request_line(ln))
        errors = compat.log_errors(text)
        return errors[-1] if errors else compat.last_error(text)

    def _check_alive(self) -> None:
        assert self.proc is not None
        code = self.proc.poll()
        if code is not None:
            raise ServerFailed(
                f"server exited with code {code} (last output: {self.last_output()})"
            )

    # --- lifecycle ---

    def start(self) -> float:
        """Start the server and wait for its first page: the first HTTP 200 of the home page
        whose body carries the home page's token. Returns (and keeps) the seconds it took."""
        manifest = scenario_gen.load_manifest(self.root)
        home = next(p for p in manifest["pages"] if p["output"] == "index.html")
        compat.prepare_serve_site(self.root)
        self.port = free_port()
        argv = compat.serve_argv(self.caps, self.root, HOST, self.port)
        watchdog.start()  # untimed: a Python start-up, once per process
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            argv,
            cwd=self.root,
            env={**os.environ, **compat.SERVE_ENV},
            stdin=subprocess.DEVNULL,
            stdout=self._log_fd,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
        self.pid = self.proc.pid
        _live.add(self)
        watchdog.guard(self.pid, WATCHDOG_GRACE_S)
        self.first_page_s = self.wait_for(
            "/", home["token"], what="home page", since=t0, ready=True
        )
        self.first_page_at = t0 + self.first_page_s
        return self.first_page_s

    def wait_for(
        self,
        paths: str | Callable[[], list[str]],
        token: str,
        *,
        what: str,
        since: float,
        ready: bool = False,
    ) -> float:
        """Poll until a 200 response's body carries ``token``; returns the seconds from ``since``
        (a ``time.perf_counter()``) to that response.

        ``paths``: one URL path, or a function giving the candidates on every poll (a
        stylesheet whose name carries a fingerprint of its content). Raises ServerFailed:
        "server not ready after N s (last output: …)" for the first page (also as soon as an
        idle server serves the page without the token: it would never change), else "edit to
        WHAT not served after N s"; "server exited with code C (…)" when it dies meanwhile.
        """
        t0 = time.perf_counter()
        deadline = t0 + self.wait_s
        needle = token.encode()
        while True:
            self._check_alive()
            served_without = False
            for path in [paths] if isinstance(paths, str) else paths():
                left = deadline - time.perf_counter()
                status, body = fetch(self.port, path, timeout=min(left, REQUEST_TIMEOUT_S))
                if status == 200 and needle in body:
                    return time.perf_counter() - since
                served_without |= status == 200
            now = time.perf_counter()
            if ready and (now >= deadline or (served_without and self._idle_for() >= IDLE_S)):
                self._check_alive()
                raise ServerFailed(
                    f"server not ready after {now - t0:.0f} s (last output: {self.last_output()})"
                )
            if now >= deadline:
                self._check_alive()
                raise ServerFailed(f"edit to {what} not served after {self.wait_s:g} s")
            time.sleep(POLL_S)

    def served_before_idle(
        self, paths: Callable[[], list[str]], token: str, *, since: float
    ) -> float | None:
        """Like ``wait_for``, but for an edit the server may have dropped: None once the server
        has had no work pending and printed nothing but request lines for ``IDLE_S`` (it will
        not pick the edit up any more), or after ``wait_s`` without serving it."""
        deadline = time.perf_counter() + self.wait_s
        needle = token.encode()
        self._work_lines = -1
        while time.perf_counter() < deadline:
            self._check_alive()
            for path in paths():
                left = deadline - time.perf_counter()
                status, body = fetch(self.port, path, timeout=min(left, REQUEST_TIMEOUT_S))
                if status == 200 and needle in body:
                    return time.perf_counter() - since
            if self._idle_for() >= IDLE_S:
                return None
            time.sleep(POLL_S)
        return None

    def _idle_for(self) -> float:
        """Seconds since the server last printed anything but request lines, 0 while it has
        announced work pending (``compat.server_work_pending``)."""
        text = self.output()
        work = sum(1 for ln in text.splitlines() if not compat.is_request_line(ln))
        now = time.perf_counter()
        if work != self._work_lines:
            self._work_lines, self._work_since = work, now
        if compat.server_work_pending(text):
            return 0.0
        return now - self._work_since

    def settle(self) -> None:
        """Wait until the server's file watcher runs and it is idle: no announced work pending
        and ``QUIET_S`` without output, request lines aside."""
        deadline = time.perf_counter() + self.wait_s
        self._work_lines = -1
        while self._idle_for() < QUIET_S:
            self._check_alive()
            if time.perf_counter() >= deadline:
                raise ServerFailed(
                    f"server not settled after {self.wait_s:g} s "
                    f"(last output: {self.last_output()})"
                )
            time.sleep(POLL_S)

    def stop(self) -> None:
        """Stop the whole process group and tree: SIGINT (a user's Ctrl+C), then SIGTERM, then
        SIGKILL, ``STOP_GRACE_S`` each. Idempotent."""
        _live.discard(self)
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                stopped = processes.stop_tree(
                    proc, STOP_GRACE_S, signals=(signal.SIGINT, signal.SIGTERM)
                )
                if not stopped:
                    raise ServerFailed(f"server process group {proc.pid} still alive after SIGKILL")
            finally:
                watchdog.release(proc.pid)

    def __del__(self) -> None:
        with contextlib.suppress(AttributeError, OSError):
            os.close(self._log_fd)
            os.unlink(self._log_path)


@dataclasses.dataclass
class Saved:
    """One edit saved into the served site: where to look for it, and when it was saved."""

    edit: str
    what: str  # "page content/…md", "stylesheet assets/…css"
    token: str  # the served body carries it once the edit is served
    urls: Callable[[], list[str]]  # candidate URL paths of the edited output
    saved_at: float  # time.perf_counter() right after the save


class Editor:
    """Saves ``scenario_gen`` edits into a served site the way a text editor does.

    The edits are made on ``shadow`` (a working copy that also holds scenario_gen's manifest and
    counter, which no user writes) and every changed source is then saved into ``served`` in
    place (open, write, truncate), or created; a served site must hold its own copies of its
    files, never hard links into the scenario cache (checked before every write).
    """

    def __init__(self, served: Path, shadow: Path, *, batch_pages: int = 1) -> None:
        self.served, self.shadow = Path(served), Path(shadow)
        self.batch_pages = batch_pages
        self._asset_dirs: list[Path] | None = None
        self.last: Saved | None = None

    def save(self, edit: str, salt: str) -> Saved:
        """Make ``edit`` on the shadow and save its changed sources into the served site."""
        change = scenario_gen.apply_edit(self.shadow, edit, batch_pages=self.batch_pages, salt=salt)
        if change is None:
            raise ValueError(f"{edit!r} saves nothing")
        sources = [s for s in change.changed_sources if s != MANIFEST]
        for rel in sources:
            _save_in_place(self.served / rel, (self.shadow / rel).read_bytes())
        saved_at = time.perf_counter()
        if change.changed_stylesheets:
            (rel,) = change.changed_stylesheets
            self.last = Saved(
                edit, f"stylesheet {rel}", change.token, lambda: self._asset_urls(rel), saved_at
            )
            return self.last
        out = change.rebuilt_outputs[0]
        if change.kind == "add_page":  # the new page itself, not its section or neighbour
            page = Path(sources[0]).stem + "/index.html"
            out = next(o for o in change.rebuilt_outputs if o.endswith(page))
        url = page_url(out)
        self.last = Saved(edit, f"page {sources[0]}", change.token, lambda: [url], saved_at)
        return self.last

    def _asset_urls(self, rel: str) -> list[str]:
        """URL paths where the server may serve the site asset ``rel``: its output name, with or
        without a content fingerprint, in every output directory the site holds."""
        src = Path(rel)
        out_rel = src.parent  # assets/x/y.css is written to <output>/assets/x/y[.hash].css
        if self._asset_dirs is None:
            skip = self.served / out_rel
            self._asset_dirs = [
                Path(d)
                for d, _, _ in os.walk(self.served)
                if Path(d).parts[-len(out_rel.parts) :] == out_rel.parts and Path(d) != skip
            ]
        name = re.compile(re.escape(src.stem) + r"(\.[0-9a-f]{6,})?" + re.escape(src.suffix) + "$")
        names = {src.name}
        for d in self._asset_dirs:
            with contextlib.suppress(OSError):
                names.update(n for n in os.listdir(d) if name.match(n))
        return [f"/{out_rel.as_posix()}/{n}" for n in sorted(names)]


def _save_in_place(path: Path, data: bytes) -> None:
    """Write ``data`` into ``path`` the way most editors save: the same inode, rewritten."""
    if path.exists():
        if path.stat().st_nlink != 1:
            raise RuntimeError(f"{path}: hard-linked (into the scenario cache?); not writing")
        with open(path, "r+b") as f:
            f.write(data)
            f.truncate()
    else:
        with open(path, "xb") as f:
            f.write(data)


def measure_edit(server: DevServer, editor: Editor, edit: str, salt: str) -> dict[str, float]:
    """One save-to-served sample on a settled server: ``latency_s`` from the save to the first
    response carrying the edit, beside what the server reported about its rebuild(s)
    (``compat.serve_rebuild_report``); the server is settled again afterwards."""
    server.settle()
    offset = server.output_size()
    saved = editor.save(edit, salt=salt)
    latency = server.wait_for(saved.urls, saved.token, what=saved.what, since=saved.saved_at)
    server.settle()
    return {"latency_s": latency, **compat.serve_rebuild_report(server.output(offset))}


def measure_save_at_first_page(
    server: DevServer, editor: Editor, salt: str
) -> dict[str, float | str]:
    """Save one page the moment the first page is served (no settling: what an author who edits
    right after starting the server does). ``latency_s``: from the save to the first response
    carrying it; ``missed``: 1 when the server never served it (idle, or ``wait_s`` passed)
    until another page was saved and served, 0 otherwise; ``after_next_save``: "served" or
    "not served" (missed only). Call it right after the server started."""
    if editor.batch_pages != 1:
        raise ValueError("the next save edits one other page: an Editor with batch_pages=1")
    saved = editor.save("one_page", salt=f"{salt}-first-page")
    latency = server.served_before_idle(saved.urls, saved.token, since=saved.saved_at)
    if latency is not None:
        server.settle()
        return {"latency_s": latency, "missed": 0.0}
    server.settle()
    other = editor.save("batch", salt=f"{salt}-next")  # the site's first page, not the middle
    server.wait_for(other.urls, other.token, what=other.what, since=other.saved_at)
    late = server.served_before_idle(saved.urls, saved.token, since=saved.saved_at)
    server.settle()
    return {"missed": 1.0, "after_next_save": "not served" if late is None else "served"}


SETTLED = "settled"  # a save_after: once the server has settled (``DevServer.settle``)


def measure_save_while_settling(
    server: DevServer, editor: Editor, after: float | str, salt: str
) -> dict[str, float]:
    """Save one page ``after`` seconds after the first page was served (``SETTLED``: once the
    server has settled), with no save before it; call it right after the server started, one
    call per server (a save served later re-renders every page in 0.5.1 and would serve an
    earlier dropped one too). Returns ``saved_after_s`` (from the first page to the end of the
    save), ``missed``: 1 when the server never served it (idle without it, or ``wait_s``
    passed), else 0 and ``latency_s``; ``settled_s`` (``SETTLED`` only): from the first page
    to the server settled."""
    if server.first_page_at is None:
        raise ValueError("the server has served no first page")
    out: dict[str, float] = {}
    if after == SETTLED:
        server.settle()
        out["settled_s"] = time.perf_counter() - server.first_page_at
    else:
        time.sleep(max(0.0, server.first_page_at + float(after) - time.perf_counter()))
    saved = editor.save("one_page", salt=f"{salt}-after-{after}")
    out["saved_after_s"] = saved.saved_at - server.first_page_at
    latency = server.served_before_idle(saved.urls, saved.token, since=saved.saved_at)
    if latency is None:
        return {**out, "missed": 1.0}
    return {**out, "missed": 0.0, "latency_s": latency}


def main(argv: list[str] | None = None) -> int:
    """``python -m driver.serve SERVED SHADOW [--save-at-first-page] [--save-after S] [--edit E]
    [--wait S] [--hold]``: start a dev server of SERVED, optionally save a page as its first
    page is served (``measure_save_at_first_page``) or S seconds later
    (``measure_save_while_settling``), save one edit (made on SHADOW, see ``Editor``) and print
    one JSON line (port, first page, latency, what the server reported); with ``--hold`` the
    server runs until stdin closes or gets a line. A failure prints ``{"error": …}`` and exits 1."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m driver.serve", description=main.__doc__)
    parser.add_argument("served", type=Path)
    parser.add_argument("shadow", type=Path)
    parser.add_argument("--edit", choices=("one_page", "asset", "add_page"))
    parser.add_argument(
        "--save-at-first-page", action="store_true", help="first save a page as / is served"
    )
    parser.add_argument(
        "--save-after",
        metavar="S",
        help="first save a page S seconds after / is served (or 'settled'), and see if it is",
    )
    parser.add_argument("--wait", type=float, default=120.0, help="limit of every wait, s")
    parser.add_argument("--hold", action="store_true")
    args = parser.parse_args(argv)
    out: dict = {}
    server = DevServer(args.served, wait_s=args.wait)
    try:
        with server:
            out.update(port=server.port, pid=server.pid, first_page_s=server.first_page_s)
            editor = Editor(args.served, args.shadow)
            if args.save_at_first_page:
                salt = f"cli-{os.getpid()}"
                out["save_at_first_page"] = measure_save_at_first_page(server, editor, salt)
            if args.save_after is not None:
                after = args.save_after if args.save_after == SETTLED else float(args.save_after)
                out["save_after"] = measure_save_while_settling(
                    server, editor, after, f"cli-{os.getpid()}"
                )
            if args.edit:
                out.update(measure_edit(server, editor, args.edit, salt=f"cli-{os.getpid()}"))
                saved = editor.last
                assert saved is not None
                out.update(what=saved.what, token=saved.token, urls=saved.urls())
            print(json.dumps(out), flush=True)
            if args.hold:
                sys.stdin.readline()
    except ServerFailed as exc:
        out.update(port=server.port, pid=server.pid, error=str(exc))
        print(json.dumps(out), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
