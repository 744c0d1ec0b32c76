"""Post or update ONE benchmark comment on a Bengal pull request.

Why: the compare job runs untrusted PR code and so has no write token; the ``workflow_run``
workflow that calls this has the token but runs nothing from the PR: it only reads the
artifact's markdown as text. A hidden marker finds the previous comment, so a PR keeps a single
comment that is edited in place instead of one per run.

    python -m tools.ci.sticky_comment --repo lbliii/bengal --pr 123 --body report.md \
        [--run-url URL] [--dry-run]

The token comes from ``$GITHUB_TOKEN``. Stdlib only (urllib): nothing to install in that job.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

MARKER = "<!-- bengal-benchmarks:compare -->"
API = "https://api.github.com"
MAX_BODY = 60000  # GitHub rejects comments over 65536 characters

Request = Callable[[str, str, dict | None], object]


def compose(report: str, run_url: str = "") -> str:
    """The comment body: marker, report (trimmed to GitHub's limit), link to the run."""
    footer = f"\n\n[Workflow run, artifacts and flame graphs]({run_url})" if run_url else ""
    if len(report) > MAX_BODY:
        report = report[:MAX_BODY] + "\n\n… (truncated; the full report is in the artifact)"
    return f"{MARKER}\n{report.strip()}{footer}\n"


def github_request(token: str) -> Request:
    def request(method: str, url: str, payload: dict | None) -> object:
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", f"Bearer {token}")
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    return request


def upsert(request: Request, repo: str, pr: int, body: str) -> str:
    """Edit the comment carrying ``MARKER`` if there is one, else create it; returns its URL."""
    page = 1
    while True:
        url = f"{API}/repos/{repo}/issues/{pr}/comments?per_page=100&page={page}"
        comments = request("GET", url, None)
        assert isinstance(comments, list)
        for comment in comments:
            if MARKER in (comment.get("body") or ""):
                edit = f"{API}/repos/{repo}/issues/comments/{comment['id']}"
                done = request("PATCH", edit, {"body": body})
                return done["html_url"]  # type: ignore[index]
        if len(comments) < 100:
            break
        page += 1
    done = request("POST", f"{API}/repos/{repo}/issues/{pr}/comments", {"body": body})
    return done["html_url"]  # type: ignore[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.sticky_comment", description=__doc__)
    parser.add_argument("--repo", required=True, help="owner/name of the pull request's repo")
    parser.add_argument("--pr", required=True)
    parser.add_argument("--body", type=Path, required=True, help="markdown file")
    parser.add_argument("--run-url", default="")
    parser.add_argument("--dry-run", action="store_true", help="print the body, post nothing")
    args = parser.parse_args(argv)
    if not args.pr.isdigit():
        print(f"error: --pr must be a number, got {args.pr!r}", file=sys.stderr)
        return 2
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", args.repo):
        print(f"error: --repo must be owner/name, got {args.repo!r}", file=sys.stderr)
        return 2
    body = compose(args.body.read_text(), args.run_url)
    if args.dry_run:
        sys.stdout.write(body)
        return 0
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        print("error: GITHUB_TOKEN is not set", file=sys.stderr)
        return 2
    print(upsert(github_request(token), args.repo, int(args.pr), body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
