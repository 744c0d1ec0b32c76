"""Each workflow's rehearsal and what it must leave behind; every function returns its failures,
one line each (empty: it passed).

The checks read what a maintainer would look at: how each job ended, the results branch on
origin, the requests sent to GitHub's API (``requests.jsonl``), and the published site as
Chromium draws it. The runs follow a first week: CI, a pull request compared and commented, two
nights (the second brings a planted step, which opens the regression issue and asks for a
bisect), that bisect, and a backfill of what the nights left out.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable

from rehearsal import act, faults, scenarios, site, world
from rehearsal.scenarios import Rehearsal
from rehearsal.world import BENGAL, OWNER, PR, REPOSITORY, git


def jobs(run: act.Run, expected: dict[str, str]) -> list[str]:
    """Each job (a prefix of its name: ``bench`` covers every bench job) ended as expected."""
    out = []
    for prefix, want in expected.items():
        got = {name: r for name, r in run.jobs.items() if name.startswith(prefix)}
        if not got:
            out.append(f"job {prefix}: did not run (jobs: {', '.join(run.jobs) or 'none'})")
        out += [f"job {n}: {r}, expected {want}" for n, r in got.items() if r != want]
    return out


def requests(r: Rehearsal, method: str, fragment: str) -> list[dict]:
    """The API requests sent so far whose method is ``method`` and whose path has ``fragment``."""
    return [q for q in r.requests() if q["method"] == method and fragment in q["path"]]


def artifact_json(r: Rehearsal, run: act.Run, name: str, member: str) -> dict | None:
    """A JSON file inside one of ``run``'s artifacts (None when it is not there)."""
    for path in sorted((r.world.root / "artifacts" / str(run.run_id) / name).glob("*.zip")):
        with zipfile.ZipFile(path) as zf:
            if member in zf.namelist():
                return json.loads(zf.read(member))
    return None


def artifact_text(r: Rehearsal, run: act.Run, name: str, member: str) -> str:
    """A text file inside one of ``run``'s artifacts ("" when it is not there)."""
    for path in sorted((r.world.root / "artifacts" / str(run.run_id) / name).glob("*.zip")):
        with zipfile.ZipFile(path) as zf:
            if member in zf.namelist():
                return zf.read(member).decode(errors="replace")
    return ""


def results_files(r: Rehearsal) -> dict[str, dict]:
    """Every result file on origin's results branch: ``machine/file`` -> its JSON."""
    listing = git(r.world.origin, "ls-tree", "-r", "--name-only", "results", "--", "results")
    out = {}
    for path in listing.split():
        if path.endswith(".json") and path.count("/") == 2 and not path.endswith("machine.json"):
            out[path.split("/", 1)[1]] = json.loads(git(r.world.origin, "show", f"results:{path}"))
    return out


def measured_commits(r: Rehearsal, benchmark: str) -> dict[str, set[str]]:
    """machine -> the commits whose result file holds a value of ``benchmark``."""
    out: dict[str, set[str]] = {}
    for key, data in results_files(r).items():
        row = (data.get("results") or {}).get(benchmark)
        if row and row[0] is not None and any(v is not None for v in _values(row[0])):
            out.setdefault(key.split("/")[0], set()).add(data["commit_hash"])
    return out


def _values(value: object) -> list:
    return value if isinstance(value, list) else [value]


def published_site(r: Rehearsal, run: act.Run, expect: str) -> list[str]:
    """The github-pages artifact of ``run``, opened in Chromium, draws ``expect``."""
    try:
        where = r.world.root / f"site-{run.run_id}"
        root = site.unpack(r.world.root / "artifacts", run.run_id, where)
        dom = site.open_in_chromium(root, where.with_suffix(".png"))
    except site.SiteError as exc:
        return [f"the published site: {exc}"]
    return [] if expect in dom else [f"the published site, drawn by Chromium, shows no {expect!r}"]


def ci(r: Rehearsal) -> list[str]:
    """lint and smoke-asv (the test job is `make test`, which .ci/run runs on every change)."""
    out = []
    for job in ("lint", "smoke-asv"):
        run = r.run("ci", "push", job=job)
        out += jobs(run, {job: "success"})
    return out


def compare(r: Rehearsal) -> list[str]:
    """PR 1 (planted work in every build) against its merge base: the instruction counts at the
    smoke sites (the whole suite twice costs over half an hour here)."""
    inputs = {"pr": str(PR), "profile": "smoke", "bench": "bench_instructions"}
    run = r.run("compare", "workflow_dispatch", inputs=inputs)
    out = jobs(run, {"trusted-inputs": "success", "compare": "failure"})  # red: a regression
    verdict = artifact_json(r, run, "compare-results", "verdict.json")
    if not verdict or verdict.get("kind") != "regression":
        out.append(f"compare's verdict is {verdict and verdict.get('kind')!r}, not 'regression'")
    report = artifact_text(r, run, "compare-report", "report-3.14.md")
    regressions = report.split("### Regressions", 1)[-1].split("\n### ", 1)[0]
    if "track_build_instructions('nested-2', 'full')" not in regressions:
        out.append("compare's report does not list the planted step (full build instructions)")
    meta = artifact_json(r, run, "compare-meta", "meta.json")
    if not meta or meta.get("pr") != PR:
        out.append("compare-meta does not name PR 1")
    return out


def comment(r: Rehearsal) -> list[str]:
    """The workflow_run event of the last compare run: one sticky comment on Bengal's PR."""
    (run,) = [x for x in r.runs if x.workflow == "compare"][-1:] or [None]
    if run is None:
        return ["no compare run to comment on (rehearse compare first)"]
    event = {
        "action": "completed",
        "workflow_run": {
            "id": run.run_id,
            "conclusion": "failure" if "failure" in run.jobs.values() else "success",
            "display_title": f"Compare pr={PR} (smoke)",
            "path": ".github/workflows/compare.yml",
            "event": "workflow_dispatch",
            "head_branch": "main",
            "repository": {"full_name": REPOSITORY},
            "head_repository": {"full_name": REPOSITORY},
        },
        "repository": {
            "full_name": REPOSITORY,
            "name": REPOSITORY.split("/")[1],
            "owner": {"login": OWNER},
            "default_branch": "main",
        },
    }
    path = r.world.root / "workflow_run.json"
    path.write_text(json.dumps(event))
    done = r.run(
        "comment", "workflow_run", event_path=path, secrets={"BENGAL_PR_COMMENT_TOKEN": "rehearsal"}
    )
    out = jobs(done, {"comment": "success"})
    posted = requests(r, "POST", f"/repos/{BENGAL}/issues/{PR}/comments")
    if len(posted) != 1 or "regress" not in str(posted[0]["body"]).lower():
        out.append(
            f"{len(posted)} comment(s) posted on {BENGAL}#{PR}, expected one naming the regression"
        )
    return out


def nightly(r: Rehearsal) -> list[str]:
    """Night 1 measures the two newest commits; a day brings a planted step; night 2 measures it,
    opens the regression issue and asks for a bisect of it."""
    out = []
    first = scenarios.nightly(r, exact_cap=2, scale_budget=0)
    out += jobs(first, {"select": "success", "bench": "success", "store": "success"})
    out += jobs(first, {"publish": "success", "deploy": "success"})
    if not requests(r, "POST", "/pages/deployments"):
        out.append("night 1: deploy sent no Pages deployment request")
    out += published_site(r, first, "bench_instructions")
    world.advance(r.world, ["full", "docs"])
    second = scenarios.nightly(r, exact_cap=2, scale_budget=0)
    out += jobs(second, {"bench": "success", "store": "success", "publish": "success"})
    out += jobs(second, {"deploy": "success", "notify": "success"})
    counts = measured_commits(r, "bench_instructions.BuildInstructions.track_build_instructions")
    if not any(len(c) == 4 for c in counts.values()):
        out.append(f"instruction counts of 4 commits expected on one series, got {counts}")
    if not requests(r, "POST", "/issues"):
        out.append("night 2: no regression issue was opened for the planted step")
    if not requests(r, "POST", "/actions/workflows/bisect.yml/dispatches"):
        out.append("night 2: no bisect was asked for")
    return out


def bisect(r: Rehearsal) -> list[str]:
    """The bisect night 2 asked for, with the inputs it sent."""
    asked = requests(r, "POST", "/actions/workflows/bisect.yml/dispatches")
    if not asked:
        return ["no bisect was asked for (rehearse nightly first)"]
    inputs = asked[-1]["body"]["inputs"]
    run = r.run("bisect", "workflow_dispatch", inputs=inputs)
    out = jobs(run, {"range": "success", "bisect": "success", "store": "success"})
    out += jobs(run, {"notify": "success"})
    planted = world.git(r.world.bengal, "log", "--format=%H", "--grep=full change", "main").split()
    answers = requests(r, "POST", "/comments")
    if not answers or planted[0][:8] not in str(answers[-1]["body"]):
        out.append(f"the bisect's answer does not name the planted commit {planted[0][:8]}")
    return out


def backfill(r: Rehearsal) -> list[str]:
    """The exact tier over Bengal's whole main: only what the nights left to do is measured."""
    commits = r.world.bengal_commits()
    run = r.run(
        "backfill", "workflow_dispatch",
        inputs={"range": f"{commits[0]}..main", "tier": "exact", "runners": "1"},
    )  # fmt: skip
    out = jobs(run, {"list": "success", "bench": "success", "store": "success"})
    out += jobs(run, {"publish": "success", "deploy": "success"})
    counts = measured_commits(r, "bench_instructions.BuildInstructions.track_build_instructions")
    if not any(c >= set(commits[1:]) for c in counts.values()):
        missing = sorted(set(commits[1:]) - set().union(*counts.values()))
        out.append(f"after the backfill, commits without counts: {missing}")
    return out


def forged(r: Rehearsal) -> list[str]:
    """Two new commits' counters part; once the first job has ended, its artifact is rewritten
    with doubled numbers (as another job's Bengal code could): the store refuses that one, in one
    line, and stores the other."""
    first, second = world.advance(r.world, ["docs", "code"], seed=3)
    name = f"run-exact-counters-{second}"  # the tip's job
    hit = faults.Faults(r.world.root / "artifacts", r.next_run_id, forge=name)
    run = scenarios.nightly(
        r, exact_cap=2, variables={"NIGHTLY_PARTS": "exact:counters"}, watch=hit
    )
    out = jobs(run, {"bench": "success", "store": "success"})
    refused = [line for line in run.output("store").splitlines() if "refused" in line]
    if (
        len(refused) != 1
        or name not in refused[0]
        or "outside its job's upload step" not in refused[0]
    ):
        out.append(f"the store's refusals are {refused}, expected one of {name}")
    counted = measured_commits(r, "bench_correctness.MissedEdits.track_missed_edit_outputs")
    if not any(first in c and second not in c for c in counted.values()):
        out.append("the other job's values were not stored, or the forged ones were")
    return out


REHEARSE: dict[str, Callable[[Rehearsal], list[str]]] = {
    "ci": ci,
    "compare": compare,
    "comment": comment,
    "nightly": nightly,
    "bisect": bisect,
    "backfill": backfill,
    "forged": forged,
}
