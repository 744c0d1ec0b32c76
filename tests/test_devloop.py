"""The dev-loop driver (``driver.serve``) against real Bengal dev servers on 127.0.0.1.

Each test runs ``python -m driver.serve`` inside a Bengal env and checks from here, over HTTP
and with psutil, what the server served and that nothing of it is left afterwards.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import psutil

from driver import compat
from scenario_gen import Scenario, load_manifest, working_copy

REPO = Path(__file__).resolve().parents[1]
# Limit of every wait of the server: 0.5.1 needs ~40 s for its first page of a tiny site on 2
# cores shared with other builds.
WAIT_S = 240.0


def sites(tmp_path: Path, pages: int = 6) -> tuple[Path, Path]:
    """(served, shadow): a never-built site with its own copy of every file, and the working
    copy the edits are made on (see ``driver.serve.Editor``)."""
    shadow = working_copy(Scenario(kind="nested", pages=pages, seed=0), tmp_path / "shadow")
    served = tmp_path / "served"
    shutil.copytree(shadow, served)
    return served, shadow


def start(python: Path, served: Path, shadow: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(python), "-m", "driver.serve", str(served), str(shadow), "--wait", str(WAIT_S), *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def first_line(proc: subprocess.Popen[str], timeout: float) -> dict:
    """The JSON line ``driver.serve`` prints, waited for at most ``timeout`` seconds."""
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"driver.serve printed nothing within {timeout:g} s") from None
    assert line, f"driver.serve printed nothing (exit code {proc.wait(timeout=60)})"
    return json.loads(line)


def assert_nothing_left(pgid: int, port: int) -> None:
    """No process of the server's group and no socket listening on its port."""
    assert pgid > 0 and port > 0
    left = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if os.getpgid(p.pid) == pgid:
                left.append(" ".join(p.info["cmdline"] or []))
        except ProcessLookupError:
            pass
    listening = [
        c
        for c in psutil.net_connections(kind="tcp")
        if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
    ]
    assert not left, f"server processes left behind: {left}"
    assert not listening, f"port {port} still listening: {listening}"


def test_a_saved_page_is_served_and_its_latency_measured(bengal_env, tmp_path: Path) -> None:
    served, shadow = sites(tmp_path)
    proc = start(bengal_env("0.5.1"), served, shadow, "--edit", "one_page", "--hold")
    try:
        out = first_line(proc, timeout=3 * WAIT_S)
        assert "error" not in out, out["error"]
        assert 0 < out["first_page_s"] < WAIT_S
        assert 0 < out["latency_s"] < WAIT_S
        # the page really carries the edit: fetched here, while the server still runs
        (url,) = out["urls"]
        with urllib.request.urlopen(f"http://127.0.0.1:{out['port']}{url}", timeout=30) as r:
            assert r.status == 200 and out["token"].encode() in r.read()
        source = out["what"].removeprefix("page ")
        assert out["token"] in (served / source).read_text()
        proc.communicate("stop\n", timeout=120)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_nothing_left(out["pid"], out["port"])


def test_a_server_that_never_serves_its_home_page_fails_and_leaves_nothing(
    bengal_env, tmp_path: Path
) -> None:
    served, shadow = sites(tmp_path)
    home = served / "content" / "_index.md"
    token = next(p["token"] for p in load_manifest(served)["pages"] if p["output"] == "index.html")
    home.write_text(home.read_text().replace(token, "no-token-here"))
    t0 = time.monotonic()
    proc = start(bengal_env("0.1.2"), served, shadow)
    out = first_line(proc, timeout=2 * WAIT_S)
    assert proc.wait(timeout=120) == 1
    assert re.fullmatch(r"server not ready after \d+ s \(last output: .+\)", out["error"]), out
    # an idle server serving the home page without its token gives up before the limit
    assert time.monotonic() - t0 < WAIT_S
    assert_nothing_left(out["pid"], out["port"])


def test_a_broken_config_fails_with_the_servers_exit_code(bengal_env, tmp_path: Path) -> None:
    served, shadow = sites(tmp_path)
    (served / "bengal.toml").write_text('[site\ntitle = "unclosed table header"\n')
    proc = start(bengal_env("0.5.1"), served, shadow)
    out = first_line(proc, timeout=2 * WAIT_S)
    assert proc.wait(timeout=120) == 1
    assert re.fullmatch(r"server exited with code [1-9]\d* \(last output: .+\)", out["error"]), out
    assert_nothing_left(out["pid"], out["port"])


# Lines as the dev servers of three eras print them (copied from real logs of 0.1.5, 0.3.0 and
# 0.5.1 serving a 20-page nested site).
REBUILD_0_1_5 = """\
  14:28:18 │ 📝 File changed: page-00010.md
    ᓚᘏᗢ  Building your site...
  Incremental build: 3 pages, 0 assets (skipped 25 cached)
✓ Rendering    1447ms (3 pages)
✓ ᓚᘏᗢ  Built 28 pages (28+0) in 2.36 s (incremental+parallel) | 11.8 pages/sec
"""
REBUILD_0_3_0 = """\
  14:27:18 │ 📝 File changed: style.css
    ᓚᘏᗢ  Building your site... (Bengal v0.3.0)
  Provenance build: 1 page, 1 asset (skipped 27 cached)
✓ ᓚᘏᗢ  Built 28 pages (28+0) in 2.08 s (incremental+parallel) | 13.5 pages/sec
"""
REBUILD_0_5_1 = """\
ᓚᘏᗢ Building your site... (Bengal v0.5.1)
  Provenance build: 28 pages, 5 assets (skipped 0 cached)
✓ ᓚᘏᗢ  HTML ready 28 pages (28+0) in 3.22 s (incremental+parallel) │ 8.7 pages/sec
"""


def test_the_servers_own_rebuild_reports_are_read() -> None:
    assert compat.serve_rebuild_report(REBUILD_0_1_5) == {
        "rebuilds": 1,
        "rebuild_ms": 2360,
        "pages_rebuilt": 3,
    }
    assert compat.serve_rebuild_report(REBUILD_0_3_0)["pages_rebuilt"] == 1
    assert compat.serve_rebuild_report(REBUILD_0_5_1 * 2) == {
        "rebuilds": 2,
        "rebuild_ms": 6440,
        "pages_rebuilt": 56,
    }
    # 0.3.0 swaps an edited page body in without a build, and says nothing but this
    assert compat.serve_rebuild_report("  14:27:16 │ 📝 File changed: page-00010.md\n") == {}


def test_a_server_is_settled_only_when_its_announced_work_is_done() -> None:
    started = "  completing artifacts and health checks in background...\n"
    assert compat.server_work_pending(started)
    assert not compat.server_work_pending(started + "✓ Background completion finished in 8.97 s\n")
    building = REBUILD_0_5_1.splitlines(keepends=True)
    assert compat.server_work_pending("".join(building[:2]))
    assert not compat.server_work_pending("".join(building))
    assert compat.is_request_line("14:14:19 │ GET    │ 200 │ /docs/area-01/group-00/page-00010/")
    assert not compat.is_request_line(building[0])


def test_a_killed_benchmark_leaves_no_server_behind(bengal_env, tmp_path: Path) -> None:
    """asv kills a benchmark that times out (SIGTERM, SIGKILL a second later): the watchdog
    stops the server the killed process started."""
    served, shadow = sites(tmp_path)
    proc = start(bengal_env("0.1.2"), served, shadow)
    deadline = time.monotonic() + WAIT_S
    server = None
    while server is None and time.monotonic() < deadline:
        for p in psutil.process_iter(["cmdline"]):
            argv = p.info["cmdline"] or []
            if "serve" in argv and str(served) in argv and os.getpgid(p.pid) == p.pid:
                server = p
        time.sleep(0.2)
    assert server is not None, f"no `bengal serve` of {served} within {WAIT_S:g} s"
    argv = server.cmdline()
    port = int(argv[argv.index("--port") + 1])
    proc.kill()
    proc.wait(timeout=60)
    server.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(server.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    assert_nothing_left(server.pid, port)


def test_the_settling_window_views_count_and_time_the_saves() -> None:
    """``measure_settling``'s cache as its views read it: a dropped save counts and fails its
    time with the moment it was saved; a moment not measured is the count's finding too."""
    from benchmarks.families import devloop
    from benchmarks.results import failed, is_value

    cache = {
        "pages": 20,
        "saves": {
            "0": {"saved_after_s": 0.01, "missed": 0.0, "latency_s": 20.7},
            "2": {"saved_after_s": 2.0, "missed": 1.0},
            "settled": {"saved_after_s": 31.0, "settled_s": 31.0, "missed": 0.0, "latency_s": 5.1},
        },
    }
    assert devloop.settling_saves_missed(cache) == {"value": 1}
    assert devloop.settling_save_to_served_s(cache, "0") == {"value": 20.7}
    dropped = devloop.settling_save_to_served_s(cache, "2")
    assert not is_value(dropped) and "saved 2.0 s after the first page" in dropped["error"]
    assert devloop.settled_s(cache) == {"value": 31.0}
    cache["saves"]["5"] = failed(RuntimeError("server exited with code 1"))
    assert devloop.settling_saves_missed(cache) == cache["saves"]["5"]


# 0.5.1's settling window (docs/dev-loop.md): by hand at load average ~6, a cold server of a
# nested site (2 to 20 pages) settled 18-22 s after its first page; pages saved 5, 10 and 20 s
# after that first page were never served, one saved at 2 s was dropped in 3 of 4 runs (served
# in one at 20 pages: its background build had not read the page yet). One moment in the middle
# of the window pins it (one server, ~1 min).
SETTLING_PAGES = 2
SETTLING_AFTER = 5.0


def test_0_5_1_drops_a_save_made_before_its_server_settles(bengal_env, tmp_path: Path) -> None:
    """A cold 0.5.1 server of a nested-2 site serves its first page, then completes the site in
    the background and starts its file watcher only after that (~20 s here at load ~6). A page
    saved 5 s after the first page was served (the server's one save) is never served: the
    server goes idle (``driver.serve.IDLE_S``: 10 s without output and no announced work)
    without it, within the 240 s bound (``WAIT_S``). So the settling window's missed-save count
    (``DevLoopSettling.track_settling_saves_missed``) is not 0. The window opens once the
    background build has read the page (a save at the first page is served; one at 2 s mostly
    not) and closes when the watcher starts: on a machine whose server settles within 5 s this
    could be 0, and the moment, not the finding, would need changing. A page saved once the
    server settled is served (``test_a_saved_page_is_served_and_its_latency_measured``)."""
    from benchmarks.families import devloop

    served, shadow = sites(tmp_path, pages=SETTLING_PAGES)
    proc = start(bengal_env("0.5.1"), served, shadow, "--save-after", str(SETTLING_AFTER))
    out = first_line(proc, timeout=3 * WAIT_S)
    assert proc.wait(timeout=120) == 0, out
    assert_nothing_left(out["pid"], out["port"])
    save = out["save_after"]
    assert abs(save["saved_after_s"] - SETTLING_AFTER) < 1.0, out
    missed = devloop.settling_saves_missed({"pages": SETTLING_PAGES, "saves": {"5": save}})
    assert missed == {"value": 1}, out
