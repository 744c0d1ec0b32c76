"""The site a rehearsal's deploy would publish, opened in headless Chromium on 127.0.0.1.

Why: a site whose files exist can still show nothing (asv's pages are drawn by JavaScript from
JSON files). The ``github-pages`` artifact that the deploy job hands to GitHub is unpacked,
served on 127.0.0.1, loaded in Chromium, and its drawn page is what the rehearsal checks; a
screenshot is kept beside it.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tarfile
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",
    "--window-size=1400,1000",
]


class SiteError(Exception):
    """The site could not be unpacked or opened: one line."""


def unpack(artifacts: Path, run_id: int, dest: Path) -> Path:
    """The ``github-pages`` artifact of run ``run_id`` (a zip of ``artifact.tar``) in ``dest``."""
    zips = sorted((artifacts / str(run_id) / "github-pages").glob("*.zip"))
    if not zips:
        raise SiteError(f"run {run_id} uploaded no github-pages artifact")
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with zipfile.ZipFile(zips[0]) as zf:
        zf.extractall(dest / ".zip")
    with tarfile.open(dest / ".zip" / "artifact.tar") as tf:
        tf.extractall(dest / "site", filter="data")
    return dest / "site"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise SiteError("chromium is not installed (apt-get install chromium)")
    return found


def open_in_chromium(site: Path, screenshot: Path, timeout_s: float = 120) -> str:
    """Serve ``site`` on 127.0.0.1, load its index in Chromium: the DOM it drew."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
    profile = screenshot.parent / "chromium-profile"
    base = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    try:
        subprocess.run(
            [*base, f"--screenshot={screenshot}", url],
            capture_output=True, timeout=timeout_s, check=False,
        )  # fmt: skip
        dom = subprocess.run(
            [*base, "--dump-dom", url], capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired as exc:
        raise SiteError(f"chromium did not load {url} within {timeout_s:.0f} s") from exc
    finally:
        server.shutdown()
    if dom.returncode != 0 or not dom.stdout.strip():
        raise SiteError(f"chromium could not load {url}: {dom.stderr.strip()[-200:]}")
    return dom.stdout
