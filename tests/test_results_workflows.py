"""The nightly and backfill workflows keep the history: read from their YAML, job by job.

What the scripts do is tested with real asv in test_results_history.py; this checks that the
workflows call them so that nothing is lost (uploads and stores run after failures, no queued
store can be cancelled, the job's steps fit in GitHub's 6 hours), nothing untrusted holds a write
token, and no deploy publishes an older site over a newer one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = {
    name: ROOT / ".github" / "workflows" / f"{name}.yml" for name in ("nightly", "backfill")
}
GITHUB_JOB_LIMIT_MINUTES = 360
RUNS_BENGAL = re.compile(
    r"tools\.asv_local|python -m asv\b|\basv (run|continuous)|make bench|driver"
)


def load(name: str) -> dict:
    data = yaml.safe_load(WORKFLOWS[name].read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def step_running(job: dict, module: str) -> tuple[int, dict]:
    (found,) = [(i, s) for i, s in enumerate(job["steps"]) if module in s.get("run", "")]
    return found


def checkouts(job: dict) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]


@pytest.fixture(params=list(WORKFLOWS), ids=list(WORKFLOWS))
def wf(request) -> tuple[str, dict]:
    return request.param, load(request.param)


def test_bench_uploads_what_finished_even_after_a_failure(wf) -> None:
    _, data = wf
    bench = data["jobs"]["bench"]
    i, loop = step_running(bench, "tools.ci.bench_commits")
    run_dir = re.search(r"--status (\S+)/status\.json", loop["run"]).group(1)
    assert f"--results-dir {run_dir}/results" in loop["run"]  # asv writes into the uploaded dir
    assert "'{commit}^!'" in loop["run"]  # one commit per asv run
    (upload,) = [s for s in bench["steps"][i + 1 :] if "upload-artifact" in s.get("uses", "")]
    assert upload["if"] == "always()"
    assert upload["with"]["path"].rstrip("/") == run_dir


def test_store_runs_after_failures_on_the_artifact_only(wf) -> None:
    _, data = wf
    store = data["jobs"]["store"]
    assert "bench" in store["needs"] and store["if"].startswith("always()")
    assert store["permissions"] == {"contents": "write"}
    assert "concurrency" not in store  # a pending store must not be cancellable by a later run
    assert data["concurrency"]["cancel-in-progress"] is False
    text = runs(store)
    assert "tools.ci.store_results" in text and not RUNS_BENGAL.search(text)
    assert "pip install" not in text  # stdlib only: no third-party code next to the token
    assert all(c.get("with", {}).get("persist-credentials") is False for c in checkouts(store))
    (download,) = [s for s in store["steps"] if "download-artifact" in s.get("uses", "")]
    uploaded = next(s for s in data["jobs"]["bench"]["steps"] if s.get("if") == "always()")
    wanted = uploaded["with"]["name"].split("${{")[0]
    assert (download["with"].get("name") or download["with"]["pattern"]).startswith(wanted)


def test_jobs_that_run_bengal_hold_no_write_access(wf) -> None:
    _, data = wf
    bengal_jobs = [j for j in data["jobs"].values() if RUNS_BENGAL.search(runs(j))]
    assert len(bengal_jobs) == 2  # bench and publish
    for job in bengal_jobs:
        assert not any(v == "write" for v in job.get("permissions", {}).values())
        text = yaml.safe_dump(job)
        assert "secrets." not in text and "github.token" not in text
        assert all(c.get("with", {}).get("persist-credentials") is False for c in checkouts(job))
        for step in job["steps"]:
            uses = step.get("uses", "")
            assert not uses.startswith(("actions/cache@", "./.github/actions/setup")), uses
            assert "cache" not in step.get("with", {}), step  # setup-python saves its cache


def test_bench_steps_fit_in_githubs_six_hours(wf) -> None:
    name, data = wf
    bench = data["jobs"]["bench"]
    minutes = [step.get("timeout-minutes") for step in bench["steps"]]
    assert all(isinstance(m, int) for m in minutes), minutes
    # every step, the upload after a timed-out loop included, ends before the job's limit
    assert sum(minutes) <= bench["timeout-minutes"] <= GITHUB_JOB_LIMIT_MINUTES
    _, loop = step_running(bench, "tools.ci.bench_commits")
    commit_timeout, deadline = int(data["env"]["COMMIT_TIMEOUT"]), int(data["env"]["RUN_DEADLINE"])
    assert commit_timeout <= deadline < loop["timeout-minutes"] * 60 - 120  # kill time left
    if name == "nightly":  # the default budget fits: no selected commit is cut short by design
        budget = int(re.search(r"'(\d+)' }}$", data["env"]["BUDGET"]).group(1))
        assert budget * commit_timeout <= deadline


def test_deploys_never_publish_an_older_site() -> None:
    groups = []
    for name in WORKFLOWS:
        data = load(name)
        publish, deploy = data["jobs"]["publish"], data["jobs"]["deploy"]
        assert publish["needs"] == "store" and deploy["needs"] == "publish"
        (branch,) = [c for c in checkouts(publish) if c.get("with", {}).get("ref") == "results"]
        site = next(s for s in publish["steps"] if s.get("id") == "site")
        path = branch["with"]["path"]
        assert f"--results-dir {path}/results" in site["run"]  # the site shows that checkout
        assert f'"built_from=$(git -C {path} rev-parse HEAD)"' in site["run"]
        assert publish["outputs"]["built_from"] == "${{ steps.site.outputs.built_from }}"
        groups.append(deploy["concurrency"])
        fresh, deploy_step = deploy["steps"]
        assert "needs.publish.outputs.built_from" in fresh["env"]["BUILT_FROM"]
        assert "git/ref/heads/results" in fresh["run"]
        assert deploy_step["uses"].startswith("actions/deploy-pages@")
        assert deploy_step["if"] == f"steps.{fresh['id']}.outputs.deploy == 'true'"
        assert not any("deploy-pages" in s.get("uses", "") for s in publish["steps"])
    assert groups[0] == groups[1] == {"group": "pages-deploy", "cancel-in-progress": False}


def test_the_nightly_selects_with_the_failed_commits_and_the_profiles_machine() -> None:
    data = load("nightly")
    select = data["jobs"]["select"]
    _, step = step_running(select, "tools.ci.commits nightly")
    assert "--failed results-branch/failed-commits.json" in step["run"]
    assert '--summary "$GITHUB_STEP_SUMMARY"' in step["run"]
    assert "tools.ci.machine --preset gha --name" in runs(select)
    assert not RUNS_BENGAL.search(runs(select))
    assert data["env"]["BENGAL_BENCH_PROFILE"] == "nightly"
