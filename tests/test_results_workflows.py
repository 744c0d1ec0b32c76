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

from catalogue import tiers
from tools.ci import artifact_trust, plan

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


def selector(data: dict) -> str:
    """The trusted job that plans the run: ``select`` (nightly) or ``list`` (backfill)."""
    return "select" if "select" in data["jobs"] else "list"


def test_bench_uploads_each_part_by_its_planned_name_even_after_a_failure(wf) -> None:
    _, data = wf
    bench = data["jobs"]["bench"]
    assert (
        bench["strategy"]["matrix"] == f"${{{{ fromJSON(needs.{selector(data)}.outputs.matrix) }}}}"
    )
    assert bench["strategy"]["fail-fast"] is False  # one lost part never cancels the others
    i, loop = step_running(bench, "tools.ci.bench_commits")
    run_dir = re.search(r"--status (\S+)/status\.json", loop["run"]).group(1)
    assert f"--results-dir {run_dir}/results" in loop["run"]  # asv writes into the uploaded dir
    assert "'{commit}^!'" in loop["run"]  # one commit per asv run
    assert "--bench '{bench}'" in loop["run"] and '--part "$PART"' in loop["run"]
    assert (
        loop["env"]["PART"] == "${{ matrix.part }}" and loop["env"]["TIER"] == "${{ matrix.tier }}"
    )
    assert bench["env"]["BENGAL_BENCH_TIER"] == "${{ matrix.tier }}"
    assert bench["env"]["BENGAL_BENCH_PROFILE"] == "${{ matrix.profile }}"
    (upload,) = [s for s in bench["steps"][i + 1 :] if "upload-artifact" in s.get("uses", "")]
    assert upload["if"] == "always()"
    assert upload["with"]["path"].rstrip("/") == run_dir
    assert upload["with"]["name"] == "${{ matrix.artifact }}"


def test_store_accepts_only_artifacts_their_own_job_uploaded(wf) -> None:
    """One listing of the run's artifacts and jobs (GitHub's API), one download of them all, and
    tools.ci.artifact_trust between them and the store: an artifact counts only when the bench
    job named after it created it in its upload step, after stopping its leftovers."""
    _, data = wf
    store, bench = data["jobs"]["store"], data["jobs"]["bench"]
    sel = selector(data)
    assert "bench" in store["needs"] and store["if"].startswith("always()")
    assert store["permissions"] == {"contents": "write", "actions": "read"}
    assert "concurrency" not in store  # a pending store must not be cancellable by a later run
    assert data["concurrency"]["cancel-in-progress"] is False
    text = runs(store)
    assert "tools.ci.store_results" in text and not RUNS_BENGAL.search(text)
    assert "pip install" not in text  # stdlib only: no third-party code next to the token
    assert all(c.get("with", {}).get("persist-credentials") is False for c in checkouts(store))
    i, listing = step_running(store, "tools.ci.github_api get")
    assert "/artifacts?per_page=100" in listing["run"] and "/jobs?filter=latest" in listing["run"]
    assert listing["run"].count("--paginate") == 2
    (download,) = [s for s in store["steps"] if "download-artifact" in s.get("uses", "")]
    assert download["with"]["pattern"] == "run-*" and download["continue-on-error"] is True
    j, trust = step_running(store, "tools.ci.artifact_trust")
    k, merge = step_running(store, "tools.ci.store_results")
    assert i < store["steps"].index(download) < j < k
    assert trust["env"]["PLAN"] == f"${{{{ needs.{sel}.outputs.matrix }}}}"  # a job output
    assert '--out "$RUNNER_TEMP/runs"' in trust["run"]
    assert (
        '--plan "$RUNNER_TEMP/plan.json"' in merge["run"] and '"$RUNNER_TEMP"/runs' in merge["run"]
    )
    assert bench["name"] == artifact_trust.JOB_PREFIX + "${{ matrix.artifact }}"
    names = [s.get("name") for s in bench["steps"]]
    upload = bench["steps"][names.index(artifact_trust.UPLOAD_STEP)]
    assert upload["uses"].startswith("actions/upload-artifact@") and upload["if"] == "always()"
    _, reap = step_running(bench, "tools.ci.leftovers")
    assert (
        reap["if"] == "always()" and bench["steps"].index(reap) == names.index(upload["name"]) - 1
    )
    assert bench["env"]["BENCH_JOB_MARKER"].endswith("${{ matrix.artifact }}")


def test_bench_jobs_install_valgrind() -> None:
    """The exact tier's counts need valgrind, which GitHub's images do not have."""
    for name in WORKFLOWS:
        bench = load(name)["jobs"]["bench"]
        _, step = step_running(bench, "apt-get install")
        assert "valgrind" in step["run"] and "sudo apt-get update" in step["run"]
        assert step["env"]["INSTALL_VALGRIND"] == "${{ vars.BENCH_INSTALL_VALGRIND || 'true' }}"


def test_the_store_keeps_the_ledger() -> None:
    """Every planned part is recorded, also when no artifact arrived at all."""
    for name in WORKFLOWS:
        data = load(name)
        sel = selector(data)
        _, merge = step_running(data["jobs"]["store"], "tools.ci.store_results")
        assert "--ledger" in merge["run"] and "exit 0" not in merge["run"]
        i, plans = step_running(data["jobs"][sel], "tools.ci.plan")
        assert "--ledger results-branch/ledger.json" in plans["run"]
        _, checkout = step_running(data["jobs"][sel], "results_branch.sh checkout results-branch")
        assert data["jobs"][sel]["steps"].index(checkout) < i


def test_a_bisects_store_keeps_no_ledger() -> None:
    """Its probes store values, but never count as the nightly's measurement of a commit."""
    bisect = yaml.safe_load((ROOT / ".github" / "workflows" / "bisect.yml").read_text())
    _, merge = step_running(bisect["jobs"]["store"], "tools.ci.store_results")
    assert "--ledger" not in merge["run"]


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


def test_every_job_fits_its_steps_with_slack_inside_githubs_six_hours(wf) -> None:
    """The bench job's limits come from the plan: its steps' limits, the part's own limit under
    the benchmark step's, and slack above the sum, for every part of every tier."""
    _, data = wf
    bench = data["jobs"]["bench"]
    assert bench["timeout-minutes"] == "${{ matrix.job_minutes }}"
    _, loop = step_running(bench, "tools.ci.bench_commits")
    assert loop["timeout-minutes"] == "${{ matrix.bench_minutes }}"
    assert loop["env"]["DEADLINE"] == "${{ matrix.deadline_s }}"
    fixed = [s["timeout-minutes"] for s in bench["steps"] if s is not loop]
    assert all(isinstance(m, int) for m in fixed), fixed
    upload = bench["steps"][-1]["timeout-minutes"]
    assert sum(fixed) - upload == plan.SETUP_MINUTES and upload == plan.UPLOAD_MINUTES
    # the plan's limits and bench_commits' are both for the pythons the job measures
    assert '--pythons "$ASV_PYTHONS" --summary' in " ".join(loop["run"].replace("\\", "").split())
    _, planner = step_running(data["jobs"][selector(data)], "tools.ci.plan")
    assert '--pythons "$ASV_PYTHONS"' in planner["run"]
    assert plan.GITHUB_JOB_LIMIT_MINUTES == GITHUB_JOB_LIMIT_MINUTES
    for tier in tiers.TIERS.values():
        for pythons in (1, 2):  # ASV_PYTHONS "3.14", "3.14 3.14t"
            for task in plan.tasks(tier, ["0" * 40], pythons=pythons):
                part = tier.part(str(task["part"]))
                assert (
                    part.limit_s * pythons < task["deadline_s"] < task["bench_minutes"] * 60 - 120
                )
                steps = sum(fixed) + task["bench_minutes"]
                assert steps + 10 <= task["job_minutes"] <= GITHUB_JOB_LIMIT_MINUTES, task
    for name, job in data["jobs"].items():  # the other jobs: slack above their steps' limits
        minutes = [s["timeout-minutes"] for s in job.get("steps", []) if "timeout-minutes" in s]
        if name != "bench" and minutes:
            assert sum(minutes) + 5 <= job["timeout-minutes"], name


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
        fresh = next(s for s in deploy["steps"] if s.get("id") == "fresh")
        deploy_step = next(s for s in deploy["steps"] if s.get("id") == "deployment")
        assert "needs.publish.outputs.built_from" in fresh["env"]["BUILT_FROM"]
        assert "git/ref/heads/results" in fresh["run"]
        assert deploy_step["uses"].startswith("actions/deploy-pages@")
        assert deploy_step["if"] == f"steps.{fresh['id']}.outputs.deploy == 'true'"
        assert not any("deploy-pages" in s.get("uses", "") for s in publish["steps"])
    assert groups[0] == groups[1] == {"group": "pages-deploy", "cancel-in-progress": False}


def test_the_nightly_plans_from_the_ledger_and_exposes_a_bisect_hook() -> None:
    data = load("nightly")
    select = data["jobs"]["select"]
    _, step = step_running(select, "tools.ci.plan nightly")
    assert "--ledger results-branch/ledger.json" in step["run"]
    assert '--summary "$GITHUB_STEP_SUMMARY"' in step["run"]
    assert '--exact-cap "$EXACT_CAP"' in step["run"]
    assert not RUNS_BENGAL.search(runs(select))
    assert "BENGAL_BENCH_PROFILE" not in data["env"]  # each job runs its tier's profile
    outputs = data["jobs"]["publish"]["outputs"]
    for key, out in (("benchmark", "regressed_benchmark"), ("good", "regressed_good"),
                     ("bad", "regressed_bad")):  # fmt: skip
        assert outputs[out] == f"${{{{ steps.regressions.outputs.{key} }}}}"
    backfill = load("backfill")
    assert backfill["on"]["workflow_dispatch"]["inputs"]["tier"]["options"] == list(tiers.TIERS)
