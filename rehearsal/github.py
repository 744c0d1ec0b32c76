"""GitHub's REST API as the workflows meet it, on 127.0.0.1: every request written down.

Why: the workflows' API calls (``tools.ci.github_api``, ``tools.ci.comment_gate``, and
download-artifact's cross-run download) cannot reach GitHub here. The rehearsal points
``$GITHUB_API_URL`` at this server. It appends each request, as ``{"method", "path", "body"}``, to
``requests.jsonl``, which the rehearsal checks, and answers from the rehearsal's own world:
artifacts from act's artifact server directory, jobs and steps (with their times) from act's JSON
log, branch heads from the bare origin repository, and issues, labels and comments it keeps itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import zlib
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

LOGIN = "bengal-benchmarks-bot"


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def artifact_id(run: str, name: str) -> int:
    return zlib.crc32(f"{run}/{name}".encode()) & 0x7FFFFFFF


def list_artifacts(root: Path, run: str) -> list[dict]:
    """The run's artifacts as act's server keeps them (``RUN/NAME/NAME.zip``), created when
    their file was."""
    out = []
    for folder in sorted((root / run).iterdir()) if (root / run).is_dir() else []:
        files = sorted(folder.glob("*.zip")) or sorted(p for p in folder.rglob("*") if p.is_file())
        if not files:
            continue
        created = datetime.fromtimestamp(files[0].stat().st_mtime, UTC)
        aid = artifact_id(run, folder.name)
        out.append(
            {
                "id": aid,
                "name": folder.name,
                "size_in_bytes": sum(p.stat().st_size for p in files),
                "expired": False,
                "created_at": _iso(created),
                "archive_download_url": f"/repos/_/_/actions/artifacts/{aid}/zip",
                "workflow_run": {"id": int(run)},
            }
        )
    return out


def list_jobs(log: Path) -> list[dict]:
    """Jobs and steps of one act run from its ``--json`` log, named as GitHub names them."""
    jobs: dict[str, dict] = {}
    if not log.exists():
        return []
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or "job" not in entry or "time" not in entry:
            continue
        when = datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
        key = entry["job"].strip()
        name = key.split("/", 1)[-1]
        if entry.get("matrix"):
            name = re.sub(r"-[0-9]+$", "", name)
        job = jobs.setdefault(
            key,
            {"name": name, "status": "in_progress", "conclusion": None, "steps": [],
             "started_at": _iso(when), "completed_at": None},
        )  # fmt: skip
        if "stepResult" in entry and entry.get("step"):
            took = timedelta(microseconds=int(entry.get("executionTime", 0)) / 1000)
            job["steps"].append(
                {
                    "name": entry["step"],
                    "number": len(job["steps"]) + 1,
                    "status": "completed",
                    "conclusion": entry["stepResult"],
                    "started_at": _iso(when - took),
                    "completed_at": _iso(when),
                }
            )
        if "jobResult" in entry:
            job.update(status="completed", conclusion=entry["jobResult"], completed_at=_iso(when))
    return [{"id": i + 1, **job} for i, job in enumerate(jobs.values())]


class World:
    """What the fake API answers from, and the record of what it was asked."""

    def __init__(self, record: Path, artifacts: Path, logs: Path, origin: Path) -> None:
        self.record, self.artifacts, self.logs, self.origin = record, artifacts, logs, origin
        self.pages = record.parent / "pages"  # the deployed site, served under /_pages/
        self.lock = threading.Lock()
        self.issues: list[dict] = []
        self.comments: list[dict] = []
        self.labels: set[str] = set()

    def write(self, method: str, path: str, body: object) -> None:
        with self.lock, self.record.open("a") as fh:
            fh.write(json.dumps({"method": method, "path": path, "body": body}) + "\n")

    def answer(self, method: str, path: str, body: object) -> tuple[int, object, dict]:
        """(status, JSON answer, extra headers) of one request."""
        parts = urlsplit(path)
        route, query = parts.path.rstrip("/"), parse_qs(parts.query)
        if route == "/user":
            return 200, {"login": LOGIN}, {}
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)", route)
        if not m:
            return 404, {"message": "Not Found"}, {}
        rest = m[2]
        if found := re.fullmatch(r"/actions/runs/([0-9]+)/artifacts", rest):
            arts = list_artifacts(self.artifacts, found[1])
            if "name" in query:
                arts = [a for a in arts if a["name"] == query["name"][0]]
            return 200, {"total_count": len(arts), "artifacts": arts}, {}
        if found := re.fullmatch(r"/actions/artifacts/([0-9]+)/zip", rest):
            for run in (p.name for p in self.artifacts.iterdir() if p.is_dir()):
                for art in list_artifacts(self.artifacts, run):
                    if art["id"] == int(found[1]):
                        return 302, None, {"Location": f"/_blob/{run}/{art['name']}"}
            return 404, {"message": "Not Found"}, {}
        if found := re.fullmatch(r"/actions/runs/([0-9]+)/jobs", rest):
            jobs = list_jobs(self.logs / f"run-{found[1]}.jsonl")
            return 200, {"total_count": len(jobs), "jobs": jobs}, {}
        if found := re.fullmatch(r"/git/ref/heads/(.+)", rest):
            sha = subprocess.run(
                ["git", "-C", str(self.origin), "rev-parse", "--verify", "-q", found[1]],
                capture_output=True, text=True,
            ).stdout.strip()  # fmt: skip
            if not sha:
                return 404, {"message": "Not Found"}, {}
            return 200, {"ref": f"refs/heads/{found[1]}", "object": {"sha": sha}}, {}
        if found := re.fullmatch(r"/labels/(.+)", rest):
            ok = found[1] in self.labels
            return (200, {"name": found[1]}, {}) if ok else (404, {"message": "Not Found"}, {})
        if rest == "/labels" and method == "POST":
            self.labels.add(str((body or {}).get("name")))
            return 201, body, {}
        if rest == "/issues" and method == "GET":
            labels = set(query.get("labels", [""])[0].split(",")) - {""}
            return 200, [i for i in self.issues if labels <= set(i["labels"])], {}
        if rest == "/issues" and method == "POST":
            number = len(self.issues) + 1
            issue = {
                "number": number,
                "title": body.get("title"),
                "body": body.get("body"),
                "labels": list(body.get("labels") or []),
                "html_url": f"https://github.com/{m[1]}/issues/{number}",
            }
            self.issues.append(issue)
            return 201, issue, {}
        if found := re.fullmatch(r"/issues/([0-9]+)/comments", rest):
            if method == "POST":
                comment = {
                    "id": len(self.comments) + 1,
                    "issue": int(found[1]),
                    "body": body.get("body"),
                    "user": {"login": LOGIN},
                    "html_url": f"https://github.com/{m[1]}/issues/{found[1]}",
                }
                self.comments.append(comment)
                return 201, comment, {}
            return 200, [c for c in self.comments if c["issue"] == int(found[1])], {}
        if found := re.fullmatch(r"/issues/comments/([0-9]+)", rest):
            for comment in self.comments:
                if comment["id"] == int(found[1]):
                    comment["body"] = body.get("body")
                    return 200, comment, {}
            return 404, {"message": "Not Found"}, {}
        if re.fullmatch(r"/actions/workflows/[^/]+/dispatches", rest) and method == "POST":
            return 204, None, {}
        if rest == "/pages/deployments" and method == "POST":
            from rehearsal import site

            try:
                site.unpack(self.artifacts, int((body or {}).get("run_id", 0)), self.pages)
            except (site.SiteError, ValueError, TypeError) as exc:
                return 400, {"message": f"no site to deploy: {exc}"}, {}
            return 200, {"id": 1, "status_url": "", "page_url": "/_pages/"}, {}
        return 404, {"message": f"the rehearsal does not know {method} {route}"}, {}


def serve(world: World) -> tuple[ThreadingHTTPServer, str]:
    """Start the server on a free port of 127.0.0.1; returns it and its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw.strip() else None
            except ValueError:
                body = raw.decode(errors="replace")
            if self.path.startswith("/_pages/"):
                rel = urlsplit(self.path).path.removeprefix("/_pages/") or "index.html"
                path = (world.pages / "site" / rel).resolve()
                inside = path.is_relative_to((world.pages / "site").resolve())
                data = path.read_bytes() if inside and path.is_file() else None
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")
                return
            if self.path.startswith("/_blob/"):
                _, _, run, name = self.path.split("/", 3)
                files = sorted((world.artifacts / run / name).glob("*.zip"))
                data = files[0].read_bytes() if files else b""
                self.send_response(200 if files else 404)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            world.write(self.command, self.path, body)
            status, answer, headers = world.answer(self.command, self.path, body)
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            for key, value in headers.items():
                if key == "Location" and value.startswith("/"):
                    value = f"http://{self.headers.get('Host')}{value}"
                self.send_header(key, value)
            if data:  # a redirect has no body (octokit would parse an empty JSON one)
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        def log_message(self, *args: object) -> None:  # the record is requests.jsonl
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
