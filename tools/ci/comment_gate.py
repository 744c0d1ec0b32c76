"""Whether comment.yml may post a benchmark comment, and on which pull request.

Why: comment.yml holds a token that writes to Bengal's pull requests, and ``workflow_run`` fires
for any completed run of a workflow named "Compare", including one that a fork's pull request adds.
So it trusts GitHub's event payload and API, and this repository's code; nothing that the compare
job wrote is taken as more than data:

- the run must be this repository's own ``.github/workflows/compare.yml``, started by
  ``workflow_dispatch`` or ``repository_dispatch`` on the default branch, from this repository;
- the PR number is the one GitHub put in the run's name at dispatch (``run-name``), and must equal
  compare-meta's, which the trusted-inputs job uploaded before any Bengal code ran (and the API
  must show it was uploaded before that job finished);
- the body is rendered from the asv results by ``tools.ci.comment_body`` and checked line by line;
- only a comment written by the token's own user is edited (``tools.ci.sticky_comment``).

Every refusal is one line (exit status 1); a run that is not a PR comparison posts nothing
(exit status 0).

    python -m tools.ci.comment_gate --event "$GITHUB_EVENT_PATH" --repository OWNER/NAME \\
        --meta compare-meta/meta.json --results compare-results --bengal-repo lbliii/bengal \\
        [--dry-run]

``$GITHUB_TOKEN`` comments on Bengal; ``$ACTIONS_TOKEN`` (this repository's, ``actions: read``)
lists the run's artifacts and jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import catalogue
from tools.ci import comment_body, compare_meta, sticky_comment
from tools.ci.compare_meta import Meta

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ".github/workflows/compare.yml"
TRUSTED_EVENTS = ("workflow_dispatch", "repository_dispatch")
RUN_NAME = re.compile(r"Compare pr=(?P<pr>[1-9][0-9]{0,9}|none)(?: .*)?")
META_ARTIFACT, META_JOB = "compare-meta", "trusted-inputs"
# A cancelled or timed-out run is commented too ("no verdict for <head>"): the comment must not
# keep showing an older head's verdict.
CONCLUSIONS = ("success", "failure", "cancelled", "timed_out")


class Refused(Exception):
    """This run is not trusted to comment: one line saying why."""


class NothingToPost(Exception):
    """A trusted run that has nothing for a pull request: one line saying why."""


@dataclass(frozen=True)
class Run:
    id: int
    conclusion: str
    display_title: str
    url: str


def accept_run(event: dict, repository: str) -> Run:
    """The completed compare run of ``event`` if this repository may trust it; Refused if not."""
    run = event.get("workflow_run")
    if not isinstance(run, dict):
        raise Refused("the event carries no workflow_run")

    def name(key: str) -> object:
        return (run.get(key) or {}).get("full_name")

    if name("repository") != repository:
        raise Refused(f"the run belongs to {name('repository')!r}, not {repository!r}")
    if name("head_repository") != repository:
        raise Refused(
            f"the run's code comes from {name('head_repository')!r} (a fork?), not {repository!r}"
        )
    if run.get("path") != WORKFLOW:
        raise Refused(f"the run is of {run.get('path')!r}, not {WORKFLOW!r}")
    if run.get("event") not in TRUSTED_EVENTS:
        raise Refused(
            f"the run was triggered by {run.get('event')!r}; only {' or '.join(TRUSTED_EVENTS)} "
            "runs are trusted"
        )
    default = (event.get("repository") or {}).get("default_branch")
    if not default or run.get("head_branch") != default:
        raise Refused(f"the run is on {run.get('head_branch')!r}, not the default branch")
    if type(run.get("id")) is not int or not isinstance(run.get("display_title"), str):
        raise Refused("the run has no numeric id or no name")
    if run.get("conclusion") not in CONCLUSIONS:
        raise NothingToPost(f"the run's conclusion is {run.get('conclusion')!r}")
    url = f"https://github.com/{repository}/actions/runs/{run['id']}"
    return Run(run["id"], run["conclusion"], run["display_title"], url)


def trusted_pr(run: Run, meta: Meta, repository: str) -> int | None:
    """The PR number of the run's name, once compare-meta agrees with it (None: no PR)."""
    if meta.repository != repository or meta.run_id != run.id:
        raise Refused(
            f"compare-meta names run {meta.run_id} of {meta.repository!r}, not run {run.id} "
            f"of {repository!r}"
        )
    found = RUN_NAME.fullmatch(run.display_title)
    if not found:
        raise Refused(f"the run's name {run.display_title[:80]!r} carries no PR number")
    pr = None if found["pr"] == "none" else int(found["pr"])
    if pr != meta.pr:
        raise Refused(
            f"compare-meta names PR {meta.pr}, the run's name (set at dispatch) names PR {pr}"
        )
    return pr


def _when(value: object) -> datetime:
    if not isinstance(value, str):
        raise Refused(f"the API gave no time ({value!r})")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_meta_artifact(artifacts: dict, jobs: dict) -> None:
    """Refused unless the run's compare-meta is the one trusted-inputs uploaded: one artifact of
    that name, created before that job (successfully) finished. ``artifacts`` and ``jobs`` are the
    API's answers for the run (``/actions/runs/{id}/artifacts`` and ``/jobs``)."""
    if not (isinstance(artifacts, dict) and isinstance(jobs, dict)):
        raise Refused("the API did not list the run's artifacts and jobs")
    metas = [a for a in artifacts.get("artifacts") or [] if a.get("name") == META_ARTIFACT]
    trusted = [j for j in jobs.get("jobs") or [] if j.get("name") == META_JOB]
    if len(metas) != 1 or len(trusted) != 1:
        raise Refused(
            f"the run has {len(metas)} {META_ARTIFACT} artifact(s) and {len(trusted)} "
            f"{META_JOB} job(s), not one each"
        )
    job = trusted[0]
    if job.get("conclusion") != "success":
        raise Refused(f"the {META_JOB} job's conclusion is {job.get('conclusion')!r}")
    created, finished = _when(metas[0].get("created_at")), _when(job.get("completed_at"))
    if created > finished:
        raise Refused(
            f"{META_ARTIFACT} was uploaded at {created.isoformat()}, after {META_JOB} finished "
            f"at {finished.isoformat()}: not that job's record"
        )


def post(
    request: sticky_comment.Request,
    bengal_repo: str,
    pr: int,
    body: str,
    allowed: dict[str, comment_body.Known],
) -> tuple[str, list[str]]:
    """Check ``body`` line by line, then edit our comment or create one: (URL, notes)."""
    try:
        comment_body.check_body(body, allowed)
    except comment_body.BodyError as exc:
        raise Refused(f"the body is not one rendered from results: {exc}") from None
    login = sticky_comment.token_login(request)
    return sticky_comment.upsert(request, bengal_repo, pr, body, login)


def _api(token_var: str) -> sticky_comment.Request:
    token = os.environ.get(token_var)
    if not token:
        raise Refused(f"${token_var} is not set")
    return sticky_comment.github_request(token)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.comment_gate", description=__doc__)
    parser.add_argument("--event", type=Path, required=True, help="the workflow_run event JSON")
    parser.add_argument("--repository", required=True, help="this repository, owner/name")
    parser.add_argument("--meta", type=Path, required=True, help="compare-meta's meta.json")
    parser.add_argument("--results", type=Path, required=True, help="compare-results folder")
    parser.add_argument("--bengal-repo", default="lbliii/bengal")
    parser.add_argument("--catalogue", type=Path, default=catalogue.JSON_PATH)
    parser.add_argument("--dry-run", action="store_true", help="print the body, call no API")
    args = parser.parse_args(argv)
    try:
        run = accept_run(json.loads(args.event.read_text()), args.repository)
        meta = compare_meta.load(args.meta)
        pr = trusted_pr(run, meta, args.repository)
        if pr is None:
            raise NothingToPost("the run compared two refs, not a pull request")
        if not args.dry_run:
            actions = _api("ACTIONS_TOKEN")
            runs = f"repos/{args.repository}/actions/runs/{run.id}"
            check_meta_artifact(
                actions("GET", f"{runs}/artifacts?per_page=100", None),  # type: ignore[arg-type]
                actions("GET", f"{runs}/jobs?per_page=100", None),  # type: ignore[arg-type]
            )
        allowed = comment_body.allowed_benchmarks(args.catalogue)
        results = comment_body.read_results(args.results, meta, allowed)
        body = comment_body.render(
            results,
            meta,
            allowed,
            conclusion=run.conclusion,
            verdict=comment_body.read_verdict(args.results),
            run_url=run.url,
            higher=comment_body.higher_is_better(allowed),
            floors=comment_body.noisy_floors(meta.factor, args.catalogue),
        )
        if args.dry_run:
            comment_body.check_body(body, allowed)
            sys.stdout.write(body)
            return 0
        url, notes = post(_api("GITHUB_TOKEN"), args.bengal_repo, pr, body, allowed)
    except NothingToPost as exc:
        print(f"nothing to post: {exc}")
        return 0
    except (Refused, compare_meta.MetaError, comment_body.BodyError) as exc:
        print(f"::error::comment refused: {exc}")
        return 1
    except sticky_comment.CommentError as exc:
        print(f"::error::GitHub API: {exc}")
        return 1
    for note in notes:
        print(f"::warning::{note}")
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
