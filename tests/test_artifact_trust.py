"""The store's trust in artifacts (tools.ci.artifact_trust) and the one API client
(tools.ci.github_api), with GitHub's documented answers: an artifact counts only when the bench
job named after it created it in its own upload step."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tools.ci import artifact_trust, github_api

ROOT = Path(__file__).resolve().parents[1]
A, B, C = (f"run-exact-counters-{c * 40}" for c in "abc")


def job(name: str, began: str, ended: str, conclusion: str = "success") -> dict:
    upload = {
        "name": artifact_trust.UPLOAD_STEP,
        "conclusion": conclusion,
        "started_at": f"2026-12-05T08:{began}Z",
        "completed_at": f"2026-12-05T08:{ended}Z",
    }
    return {"name": artifact_trust.JOB_PREFIX + name, "steps": [{"name": "Benchmark"}, upload]}


def art(name: str, created: str) -> dict:
    return {"name": name, "created_at": f"2026-12-05T08:{created}Z", "id": hash(name) % 1000}


TASKS = [{"artifact": n, "commit": n[-40:], "machine": "m"} for n in (A, B, C)]


def test_only_an_artifact_created_in_its_own_jobs_upload_step_is_trusted() -> None:
    jobs = [job(A, "10:00", "10:05"), job(B, "20:00", "20:04", "failure"), job(C, "30:00", "30:03")]
    found = artifact_trust.verdicts(
        TASKS,
        [art(A, "10:02"), art(B, "05:00"), art(C, "31:00")],
        jobs,
    )
    assert found[A] == ""
    # pre-created by another job's code: B's own upload then failed (GitHub: 409 conflict)
    assert found[B] == f"its job's step {artifact_trust.UPLOAD_STEP!r} did not succeed"
    assert found[C] == (
        "created at 08:31:00, outside its job's upload step (08:30:00-08:30:03): "
        "not that job's upload"
    )
    two = artifact_trust.verdicts(TASKS[:1], [art(A, "10:02"), art(A, "10:03")], jobs)
    assert two[A] == "2 artifacts carry that name: none is trusted"
    lost = artifact_trust.verdicts(TASKS[:1], [], jobs)
    assert lost[A].startswith("no artifact of that name")


def test_the_cli_copies_what_it_trusts_and_refuses_the_rest_in_one_line_each(tmp_path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"tasks": TASKS}))
    (tmp_path / "artifacts.json").write_text(
        json.dumps({"artifacts": [art(A, "10:02"), art(C, "31:00")]})
    )
    (tmp_path / "jobs.json").write_text(
        json.dumps({"jobs": [job(A, "10:00", "10:05"), job(C, "30:00", "30:03")]})
    )
    for name in (A, C):
        (tmp_path / "dl" / name).mkdir(parents=True)
        (tmp_path / "dl" / name / "status.json").write_text("{}")
    cmd = [sys.executable, "-m", "tools.ci.artifact_trust", "--plan", str(plan),
           "--artifacts", str(tmp_path / "artifacts.json"), "--jobs", str(tmp_path / "jobs.json"),
           "--downloaded", str(tmp_path / "dl"), "--out", str(tmp_path / "out")]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [A]
    warnings = [line for line in proc.stdout.splitlines() if line.startswith("::warning::")]
    assert len(warnings) == 2 and B in warnings[0] and C in warnings[1]
    assert "artifact_trust: 1 of 3 planned artifact(s) accepted" in proc.stdout
    (tmp_path / "jobs.json").write_text("[]")
    bad = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.fixture
def api(monkeypatch):
    """GitHub's API on 127.0.0.1: two 502s, then pages linked by ``Link: rel="next"``."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            if self.path.startswith("/flaky") and len(seen) <= 2:
                self.send_response(502)
                self.end_headers()
                return
            if self.path.startswith("/missing"):
                self.send_response(404)
                self.end_headers()
                self.wfile.write(b'{"message": "Not Found"}')
                return
            page = int(self.path.rsplit("page=", 1)[1]) if "page=" in self.path else 1
            body = json.dumps({"total_count": 3, "artifacts": [{"n": page}]}).encode()
            self.send_response(200)
            if page < 3:
                self.send_header(
                    "Link", f'<http://{self.headers["Host"]}/list?page={page + 1}>; rel="next"'
                )
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("GH_TOKEN", "t")
    yield seen
    server.shutdown()


def test_the_api_client_retries_transient_errors_and_follows_every_page(api) -> None:
    answer, _ = github_api.request("GET", "flaky", sleep=0.01)
    assert answer == {"total_count": 3, "artifacts": [{"n": 1}]} and len(api) == 3
    assert github_api.get_all("list") == {
        "total_count": 3,
        "artifacts": [{"n": 1}, {"n": 2}, {"n": 3}],
    }
    with pytest.raises(github_api.ApiError, match=r"^GET missing: HTTP 404: .*Not Found"):
        github_api.request("GET", "missing", sleep=0.01)
    assert api.count("/missing") == 1  # a 404 is an answer, not retried
