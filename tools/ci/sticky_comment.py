"""ONE benchmark comment on a Bengal pull request, edited in place, and only if it is ours.

Why: a PR should keep a single benchmark comment instead of one per run, found by a hidden marker.
Anyone can write the marker into a comment, so only a comment whose author is the token's own user
(``GET /user``) is ever edited; a marked comment by anyone else is left alone and named in a note.
Comment jobs of two compare runs may finish in either order: the body's second line names its run
(``run_marker``), and a comment written by a newer run (GitHub's run ids grow) is never replaced
by an older run's.
The body comes from ``tools.ci.comment_body`` (rendered and checked); ``tools.ci.comment_gate``
decides whether and where to post. Stdlib only (urllib): nothing to install in that job.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tools.ci import github_api

MARKER = "<!-- bengal-benchmarks:compare -->"
RUN_MARKER = re.compile(r"<!-- bengal-benchmarks:run=([0-9]{1,20}) -->")


def run_marker(run_id: int) -> str:
    """The body's second line: which compare run wrote it."""
    return f"<!-- bengal-benchmarks:run={run_id} -->"


def written_by_run(body: str) -> int | None:
    """The run id of a body's second line (None: a body from before run markers)."""
    lines = body.split("\n")
    found = RUN_MARKER.fullmatch(lines[1]) if len(lines) > 1 else None
    return int(found[1]) if found else None


API = ""  # URLs below are relative to $GITHUB_API_URL (tools.ci.github_api)
LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")

Request = Callable[[str, str, dict | None], object]


class CommentError(Exception):
    """An API answer that is not what GitHub documents: one line."""


def github_request(token: str) -> Request:
    """``request(method, url, payload)`` → the decoded JSON answer, authenticated by ``token``;
    through ``tools.ci.github_api`` (its base URL, its retries of transient failures)."""

    def request(method: str, url: str, payload: dict | None) -> object:
        try:
            return github_api.request(method, url, payload, token=token)[0]
        except github_api.ApiError as exc:
            raise CommentError(str(exc)) from None

    return request


def token_login(request: Request) -> str:
    """The login of the token's own user: the only author whose comment is edited."""
    user = request("GET", "user", None)
    login = user.get("login") if isinstance(user, dict) else None
    if not (isinstance(login, str) and LOGIN.fullmatch(login)):
        raise CommentError(f"GET /user did not name a user (got {str(user)[:80]!r})")
    return login


def own_comment(comments: list[dict], login: str) -> tuple[dict | None, list[str]]:
    """The first comment that starts with MARKER and was written by ``login`` (None: create
    one), and a note for each marked comment by anyone else, which is not edited."""
    notes = []
    for comment in comments:
        if not str(comment.get("body") or "").startswith(MARKER):
            continue
        author = (comment.get("user") or {}).get("login")
        if author != login:
            notes.append(
                f"comment {comment.get('id')} carries the marker but was written by "
                f"{author!r}, not {login!r}: not edited"
            )
            continue
        return comment, notes
    return None, notes


def comments(request: Request, repo: str, pr: int) -> list[dict]:
    """Every comment of the pull request (GitHub pages them by 100)."""
    found: list[dict] = []
    for page in range(1, 101):
        url = f"repos/{repo}/issues/{pr}/comments?per_page=100&page={page}"
        batch = request("GET", url, None)
        if not isinstance(batch, list):
            raise CommentError(f"listing the comments of #{pr} did not return a list")
        found += [c for c in batch if isinstance(c, dict)]
        if len(batch) < 100:
            break
    return found


def upsert(request: Request, repo: str, pr: int, body: str, login: str) -> tuple[str, list[str]]:
    """Edit our marked comment, else create one: (its URL, notes on others' marked comments).
    A comment written by a newer run than ``body``'s is left as it is (and noted)."""
    comment, notes = own_comment(comments(request, repo, pr), login)
    if comment is None:
        done = request("POST", f"repos/{repo}/issues/{pr}/comments", {"body": body})
    else:
        ours, theirs = written_by_run(body), written_by_run(str(comment.get("body") or ""))
        if ours is not None and theirs is not None and theirs > ours:
            notes.append(f"the comment shows run {theirs}, newer than run {ours}: not replaced")
            return str(comment.get("html_url")), notes
        url = f"repos/{repo}/issues/comments/{int(comment['id'])}"
        done = request("PATCH", url, {"body": body})
    url = done.get("html_url") if isinstance(done, dict) else None
    return str(url), notes
