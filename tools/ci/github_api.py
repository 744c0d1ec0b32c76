"""The one client of GitHub's REST API that the workflows use: small steps, retried, recorded.

Why not ``gh``: every call to GitHub's API is a step of its own, and the rehearsal
(``rehearsal/``) must be able to stand in for GitHub. This client sends each request to
``$GITHUB_API_URL`` (GitHub sets it; a rehearsal points it at its own server on 127.0.0.1, which
writes down every request), retries what GitHub documents as transient (5xx, 429, a secondary
rate limit) a bounded number of times, follows pagination, and says in one line what failed.
Stdlib only: it runs next to write tokens, where nothing is installed.

    python -m tools.ci.github_api get PATH [--paginate] [--out FILE] [--field KEY]
    python -m tools.ci.github_api post PATH [--json FILE | -f KEY=VALUE ...] [--field KEY]
    python -m tools.ci.github_api issue --label L --title T --body-file F   # prints the number
    python -m tools.ci.github_api comment --issue N --body-file F
    python -m tools.ci.github_api dispatch --workflow bisect.yml --ref main -f KEY=VALUE ...

The token comes from ``$GH_TOKEN`` (or ``$GITHUB_TOKEN``). Exit 1 when GitHub refused or could
not be reached after the retries, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

DEFAULT_URL = "https://api.github.com"
ATTEMPTS = 5
TIMEOUT_S = 30
MAX_PAGES = 100  # 100 per page: 10,000 items, past GitHub's own listing limits
NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class ApiError(Exception):
    """GitHub answered with an error, or could not be reached: one line."""


def base_url() -> str:
    return os.environ.get("GITHUB_API_URL", "").rstrip("/") or DEFAULT_URL


def _token() -> str:
    token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN") or ""
    if not token:
        raise ApiError("no token: set $GH_TOKEN (or $GITHUB_TOKEN) for this step")
    return token


def _transient(code: int, body: str) -> bool:
    return code >= 500 or code == 429 or (code == 403 and "rate limit" in body.lower())


def request(
    method: str, path: str, payload: object = None, *, token: str = "", sleep: float = 2.0
) -> tuple[object, str | None]:
    """``(decoded JSON answer, next page's URL)`` of one request, retried when transient;
    ``token`` defaults to the environment's."""
    url = path if path.startswith(("http://", "https://")) else f"{base_url()}/{path.lstrip('/')}"
    data = json.dumps(payload).encode() if payload is not None else None
    last = ""
    for attempt in range(1, ATTEMPTS + 1):
        req = urllib.request.Request(url, data=data, method=method.upper())
        req.add_header("Authorization", f"Bearer {token or _token()}")
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
                raw = resp.read()
                found = NEXT.search(resp.headers.get("Link") or "")
                return (json.loads(raw) if raw.strip() else None), (found[1] if found else None)
        except urllib.error.HTTPError as exc:
            body = exc.read().decode(errors="replace")
            last = f"HTTP {exc.code}: {body.strip()[:200]}"
            if not _transient(exc.code, body):
                break
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        if attempt < ATTEMPTS:
            time.sleep(min(sleep * 2 ** (attempt - 1), 60.0))
    raise ApiError(f"{method.upper()} {path}: {last}")


def get_all(path: str) -> object:
    """Every page of a listing: a list, or the first page's object with its lists united
    (``{"total_count", "artifacts": [...]}``)."""
    answer, url = request("GET", path)
    for _ in range(MAX_PAGES):
        if url is None:
            return answer
        more, url = request("GET", url)
        if isinstance(answer, list) and isinstance(more, list):
            answer = answer + more
        elif isinstance(answer, dict) and isinstance(more, dict):
            for key, value in more.items():
                if isinstance(value, list) and isinstance(answer.get(key), list):
                    answer[key] = answer[key] + value
        else:
            raise ApiError(f"GET {path}: pages of different shapes")
    raise ApiError(f"GET {path}: more than {MAX_PAGES} pages")


def repo() -> str:
    name = os.environ.get("GITHUB_REPOSITORY", "")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", name):
        raise ApiError(f"$GITHUB_REPOSITORY is not owner/name: {name!r}")
    return name


def post_to_issue(label: str, title: str, body: str) -> int:
    """Comment on the open issue carrying ``label``, or open one: its number."""
    r = repo()
    if not _has_label(r, label):
        request("POST", f"repos/{r}/labels", {"name": label, "color": "d73a4a"})
    found, _ = request("GET", f"repos/{r}/issues?labels={quote(label)}&state=open&per_page=1")
    if isinstance(found, list) and found and isinstance(found[0].get("number"), int):
        number = found[0]["number"]
        request("POST", f"repos/{r}/issues/{number}/comments", {"body": body})
        return number
    issue = {"title": title, "body": body, "labels": [label]}
    made, _ = request("POST", f"repos/{r}/issues", issue)
    if not (isinstance(made, dict) and isinstance(made.get("number"), int)):
        raise ApiError("POST issues: the answer names no issue number")
    return made["number"]


def _has_label(r: str, label: str) -> bool:
    try:
        request("GET", f"repos/{r}/labels/{quote(label)}")
    except ApiError as exc:
        if "HTTP 404" in str(exc):
            return False
        raise
    return True


def _fields(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ApiError(f"-f {pair!r}: expected KEY=VALUE")
        out[key] = value
    return out


def _select(answer: object, field: str | None) -> object:
    for key in field.split(".") if field else []:
        answer = answer.get(key) if isinstance(answer, dict) else None
    return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.github_api", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("get", help="GET PATH (relative to $GITHUB_API_URL)")
    p.add_argument("path")
    p.add_argument("--paginate", action="store_true")
    p = sub.add_parser("post", help="POST PATH with a JSON body")
    p.add_argument("path")
    p.add_argument("--json", type=Path, help="the body, a JSON file")
    p.add_argument("-f", dest="fields", action="append", default=[], help="KEY=VALUE")
    for p in sub.choices.values():
        p.add_argument("--out", type=Path, help="write the JSON answer here")
        p.add_argument("--field", help="print only this (dotted) key of the answer")
    p = sub.add_parser("issue", help="comment on the open issue with --label, or open one")
    p.add_argument("--label", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--body-file", type=Path, required=True)
    p = sub.add_parser("comment", help="comment on issue --issue")
    p.add_argument("--issue", type=int, required=True)
    p.add_argument("--body-file", type=Path, required=True)
    p = sub.add_parser("dispatch", help="start a workflow_dispatch run of a workflow")
    p.add_argument("--workflow", required=True)
    p.add_argument("--ref", required=True)
    p.add_argument("-f", dest="fields", action="append", default=[], help="input KEY=VALUE")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "issue":
            print(post_to_issue(args.label, args.title, args.body_file.read_text()))
            return 0
        if args.cmd == "comment":
            body = {"body": args.body_file.read_text()}
            made, _ = request("POST", f"repos/{repo()}/issues/{args.issue}/comments", body)
            print((made or {}).get("html_url", "") if isinstance(made, dict) else "")
            return 0
        if args.cmd == "dispatch":
            path = f"repos/{repo()}/actions/workflows/{args.workflow}/dispatches"
            request("POST", path, {"ref": args.ref, "inputs": _fields(args.fields)})
            print(f"dispatched {args.workflow} on {args.ref}")
            return 0
        if args.cmd == "get":
            answer = get_all(args.path) if args.paginate else request("GET", args.path)[0]
        else:
            body = json.loads(args.json.read_text()) if args.json else _fields(args.fields)
            answer = request("POST", args.path, body)[0]
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(answer, indent=1) + "\n")
        if args.field:
            print(_select(answer, args.field) or "")
        elif not args.out:
            print(json.dumps(answer, indent=1))
    except ApiError as exc:
        print(f"::error::GitHub API: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
