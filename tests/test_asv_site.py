"""The published asv site: thresholds cover every benchmark, and the site opens in headless
Chromium with a graph that has its data points (checked on the server side and in the pixels)."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import asv_session, system_packages
from tools.asv_local.cli import load_asv_json

BENCH = "bench_startup.ImportTime.timeraw_import_bengal"
SINGLE_SHOT_TIMINGS = (
    r"track_(speedup_over_full|default_workers_speedup|pages_per_second|phase_ms|cli_phase_ms"
    r"|time_exponent|memory_exponent|build_seconds|cli_wall_seconds|cli_cpu_seconds|build_cpu_seconds"
    r"|one_page_rebuild_seconds|one_page_rebuild_exponent|rebuild_cpu_seconds"
    r"|one_page_rebuild_cpu_seconds)"
)


@pytest.fixture(scope="session")
def site() -> asv_session.Site:
    s = asv_session.merged_site()
    assert s.returncode == 0, s.publish_log[-3000:]
    return s


def threshold(conf: dict, name: str) -> float | None:
    """asv's rule (plugins/regressions.py): the largest threshold among matching regexes."""
    hits = [float(t) for rx, t in conf["regressions_thresholds"].items() if re.match(rx, name)]
    return max(hits) if hits else None


def test_every_benchmark_has_its_family_threshold(site) -> None:
    conf = load_asv_json(asv_session.ROOT / "asv.conf.json")
    benchmarks = json.loads((site.results / "benchmarks.json").read_text())
    names = [n for n in benchmarks if n != "version"]
    assert len(names) > 5, names  # the whole suite was discovered, not only the one we ran
    for name in names:
        t = threshold(conf, f"{name}@main")
        assert t is not None, f"{name} matches no regressions_thresholds family"
        kind = name.rsplit(".", 1)[-1]
        if name.startswith(("bench_correctness.", "bench_config.")) and kind.startswith("track_"):
            assert t == 0.0, name  # correctness counters: any change is a regression
        elif name.startswith("bench_instructions.") and kind.endswith("_instructions"):
            assert t == 0.01, name  # counted, not timed: an A/A run moved them by < 0.1%
        elif kind in ("track_html_pages_written", "track_files_written", "track_pages_rewritten"):
            assert t == 0.0, name  # exact work counters
        elif kind == "track_missed_edit":
            assert t == 0.0, name  # the real site's missed-edit counter
        elif name.startswith("bench_instructions."):
            assert 0 < t <= 0.02, name  # sizes in bytes: exact up to timestamps
        elif re.fullmatch(SINGLE_SHOT_TIMINGS, kind):
            assert t == 0.5, name  # one value per commit, no statistics: noisy (A/A up to 34%)
        elif name.startswith("bench_devloop.") and kind.endswith("_missed"):
            assert t == 0.0, name  # saves the dev server dropped: a counter
        elif name.startswith("bench_devloop."):  # medians of a few dev-server samples, own family
            hits = [rx for rx in conf["regressions_thresholds"] if re.match(rx, f"{name}@main")]
            assert t == 0.5 and len(hits) == 1, (name, hits)
        elif kind.startswith("peakmem_") or re.search(r"track_\w*(rss|mem)", kind):
            assert t == 0.05, name
        else:
            assert t == 0.10, name


class _Handler(http.server.SimpleHTTPRequestHandler):
    requested: list[str]

    def log_message(self, format: str, *args: object) -> None:
        self.requested.append(self.path)


@pytest.fixture()
def served(site) -> Iterator[tuple[str, list[str]]]:
    """The site on a loopback port; yields its URL and the list of paths the browser fetched."""
    requested: list[str] = []
    handler = type("H", (_Handler,), {"requested": requested})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(site.html))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", requested
    finally:
        server.shutdown()
        server.server_close()


def chromium() -> str:
    """Debian's chromium, installed with apt-get when missing."""
    exe = system_packages.ensure("chromium", "chromium")
    assert exe, "chromium is missing and `apt-get install chromium` did not provide it"
    return exe


def browse(url: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}", "--window-size=1200,800",
        "--virtual-time-budget=15000",
    ]  # fmt: skip
    return subprocess.run(
        [chromium(), *flags, *args, url], capture_output=True, text=True, timeout=180
    )


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes): width, height, rows."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    bpp = 3 if color == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line[j] for j in range(stride) if j % bpp < 3))
        prev = line
    return width, height, rows


def test_site_opens_in_chromium_with_graph_data(site, served, tmp_path) -> None:
    base, requested = served
    url = f"{base}#{BENCH}"
    shot = tmp_path / "graph.png"
    proc = browse(url, tmp_path, f"--screenshot={shot}")
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    # the page fetched its index and this benchmark's graph data from the site (no CDN)
    paths = [p.split("?")[0] for p in requested]
    assert "/index.json" in paths
    assert any(p.endswith(f"/{BENCH}.json") and "/graphs/" in p for p in paths), paths
    assert any(p.startswith("/vendor/") for p in paths)
    # the DOM after the scripts ran: flot drew its canvases and the benchmark page is shown
    dom = browse(url, tmp_path, "--dump-dom").stdout
    assert "flot-base" in dom and "flot-overlay" in dom, dom[-2000:]
    assert BENCH in dom
    # the screenshot shows the series: flot's first series colour in the plot area
    width, height, rows = png_pixels(shot)
    series = 0
    for y in range(80, height - 150):
        row = rows[y]
        for x in range(260, width - 40):
            r, g, b = row[3 * x : 3 * x + 3]
            if b > 150 and b - r > 90 and g > 80:  # #1f77b4-like blue, not grey grid lines
                series += 1
    assert series > 300, f"only {series} series pixels: no graph line/points drawn"
    shutil.copy2(shot, asv_session.workdir() / "graph.png")


def test_asv_check_reports_no_problems() -> None:
    """asv.conf.json and the suite as asv sees them (in this interpreter: no Bengal needed)."""
    proc = subprocess.run(
        [sys.executable, "-m", "asv", "check", "--python=same"],
        cwd=asv_session.ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0 and "No problems found" in proc.stdout, proc.stdout[-3000:]
