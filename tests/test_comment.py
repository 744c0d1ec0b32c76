"""The PR comment's trust boundary, fed as data: the compare run's record (compare-meta), the
workflow_run event, the asv results of the artifact and GitHub's API answers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import tiny_asv_pairs as tiny_asv
from tools.ci import comment_body, comment_gate, compare_meta, sticky_comment

ROOT = Path(__file__).resolve().parents[1]
BASE, HEAD = "a" * 40, "b" * 40
REPO = "bengal-bench/bengal-benchmarks"


def meta_record(**over: object) -> dict:
    record = {
        "repository": REPO,
        "run_id": 4242,
        "pr": 123,
        "base": BASE,
        "head": HEAD,
        "profile": "pr",
        "factor": "",
        "pythons": ["3.14"],
        "machine": "gha-ubuntu-x64",
    }
    return {**record, **over}


def write_meta(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.ci.compare_meta", "--out", str(tmp_path / "meta.json"),
         "--repository", REPO, "--run-id", "4242", "--base", BASE, "--head", HEAD,
         "--profile", "pr", "--machine", "gha-ubuntu-x64", *args],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip


def test_trusted_inputs_round_trip(tmp_path) -> None:
    proc = write_meta(tmp_path, "--pr", "123", "--pythons", "3.14 3.14t", "--factor", "1.2")
    assert proc.returncode == 0, proc.stderr
    meta = compare_meta.load(tmp_path / "meta.json")
    assert (meta.pr, meta.base, meta.head, meta.factor) == (123, BASE, HEAD, "1.2")
    assert meta.pythons == ("3.14", "3.14t") and meta.run_id == 4242
    assert write_meta(tmp_path).returncode == 0
    assert compare_meta.load(tmp_path / "meta.json").pr is None  # a plain base..head run


@pytest.mark.parametrize(
    "args,words",
    [
        (["--pr", "12; rm -rf /"], "pr '12; rm -rf /' is not a pull request number"),
        (["--pr", "0"], "pr '0' is not a pull request number"),
        (["--factor", "1.2 --bench x"], "factor '1.2 --bench x' is malformed"),
        (["--pythons", "3.14 pypy"], "python 'pypy' is not a version like 3.14 or 3.14t"),
    ],
)
def test_trusted_inputs_refuse_malformed_input(tmp_path, args: list[str], words: str) -> None:
    proc = write_meta(tmp_path, *args)
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: {words}", proc.stderr
    assert not (tmp_path / "meta.json").exists()


@pytest.mark.parametrize(
    "over,words",
    [
        ({"pr": "123"}, "pr '123' is malformed"),
        ({"head": "b" * 39}, "head"),
        ({"run_id": True}, "run_id True is malformed"),
        ({"extra": 1}, "fields"),
        ({"pythons": []}, "pythons [] is malformed"),
    ],
)
def test_a_tampered_record_is_refused(tmp_path, over: dict, words: str) -> None:
    path = tmp_path / "meta.json"
    path.write_text(json.dumps(meta_record(**over)))
    with pytest.raises(compare_meta.MetaError, match=words.replace("[", r"\[").replace("]", r"\]")):
        compare_meta.load(path)


# --- the run: which workflow_run events are trusted --------------------------------------------


def event(**over: object) -> dict:
    """A workflow_run event as GitHub sends it for a dispatched compare run of this repository."""
    run = {
        "id": 4242,
        "name": "Compare",
        "path": ".github/workflows/compare.yml",
        "event": "workflow_dispatch",
        "head_branch": "main",
        "conclusion": "failure",
        "display_title": "Compare pr=123 (pr)",
        "repository": {"full_name": REPO},
        "head_repository": {"full_name": REPO},
        **over,
    }
    return {"action": "completed", "workflow_run": run,
            "repository": {"full_name": REPO, "default_branch": "main"}}  # fmt: skip


def test_the_genuine_run_is_accepted() -> None:
    run = comment_gate.accept_run(event(), REPO)
    assert run == comment_gate.Run(
        4242, "failure", "Compare pr=123 (pr)", f"https://github.com/{REPO}/actions/runs/4242"
    )
    assert comment_gate.trusted_pr(run, compare_meta.make(meta_record()), REPO) == 123


@pytest.mark.parametrize(
    "over,words",
    [
        ({"head_repository": {"full_name": "mallory/bengal-benchmarks"}},
         "the run's code comes from 'mallory/bengal-benchmarks' (a fork?)"),
        ({"repository": {"full_name": "mallory/bengal-benchmarks"}},
         "the run belongs to 'mallory/bengal-benchmarks'"),
        ({"event": "pull_request"}, "the run was triggered by 'pull_request'"),
        ({"event": "pull_request_target"}, "the run was triggered by 'pull_request_target'"),
        ({"path": ".github/workflows/fork.yml"}, "the run is of '.github/workflows/fork.yml'"),
        ({"head_branch": "feature"}, "the run is on 'feature', not the default branch"),
    ],
    ids=["fork", "other-repository", "pull_request", "pull_request_target", "other-workflow",
         "other-branch"],
)  # fmt: skip
def test_untrusted_runs_are_refused(over: dict, words: str) -> None:
    with pytest.raises(comment_gate.Refused) as refused:
        comment_gate.accept_run(event(**over), REPO)
    assert words in str(refused.value) and "\n" not in str(refused.value)


def test_a_skipped_run_posts_nothing() -> None:
    with pytest.raises(comment_gate.NothingToPost, match="'skipped'"):
        comment_gate.accept_run(event(conclusion="skipped"), REPO)


@pytest.mark.parametrize("conclusion,words", [("cancelled", "was cancelled"),
                                              ("timed_out", "timed out")])  # fmt: skip
def test_a_cancelled_or_timed_out_run_says_no_verdict_for_its_head(
    tmp_path, conclusion: str, words: str
) -> None:
    """The comment must not keep an older head's "pass": it says there is no verdict for this
    head, why, and links the run."""
    run = comment_gate.accept_run(event(conclusion=conclusion), REPO)
    meta = compare_meta.Meta(**{**meta_record(), "pythons": ("3.14",)})
    empty = tmp_path / "compare-results"  # a cancelled run may have uploaded nothing
    found = comment_body.read_results(empty, meta, {})
    kind = comment_body.read_verdict(empty)
    body = comment_body.render(found, meta, {}, conclusion=run.conclusion, verdict=kind,
                               run_url=run.url)  # fmt: skip
    lines = body.splitlines()
    assert lines[2] == f"## ⚪ Bengal benchmarks: no verdict for `{HEAD[:8]}`"
    assert f"The workflow run {words}: this is no verdict." in lines
    assert f"[workflow run]({run.url})" in body and "No results for either commit." in body
    comment_body.check_body(body, {})


def test_an_older_run_never_overwrites_a_newer_runs_comment() -> None:
    def body(run_id: int) -> str:
        return f"{sticky_comment.MARKER}\n{sticky_comment.run_marker(run_id)}\n"

    newer = {"id": 9, "user": {"login": "bench-bot"}, "body": body(4300), "html_url": "u9"}
    github = FakeGitHub("bench-bot", [newer])
    url, notes = comment_gate.post(github, "lbliii/bengal", 123, body(4242), {})
    assert [c[0] for c in github.calls] == ["GET", "GET"] and url == "u9"  # nothing written
    assert notes == ["the comment shows run 4300, newer than run 4242: not replaced"]
    github = FakeGitHub("bench-bot", [{**newer, "body": body(4100)}])
    comment_gate.post(github, "lbliii/bengal", 123, body(4242), {})
    assert github.calls[-1] == ("PATCH", "/repos/lbliii/bengal/issues/comments/9",
                                {"body": body(4242)})  # fmt: skip


@pytest.mark.parametrize(
    "title,meta,words",
    [
        ("Compare pr=124 (pr)", {}, "names PR 123, the run's name (set at dispatch) names PR 124"),
        ("Compare pr=none (pr)", {}, "the run's name (set at dispatch) names PR None"),
        ("Compare pr=123 (pr)", {"pr": 9}, "compare-meta names PR 9"),
        ("Compare pr=123 (pr)", {"run_id": 1}, "compare-meta names run 1"),
        ("Compare 123", {}, "carries no PR number"),
        ("Compare pr=123x", {}, "carries no PR number"),
    ],
)  # fmt: skip
def test_a_pr_number_the_trusted_sources_disagree_on_is_refused(
    title: str, meta: dict, words: str
) -> None:
    run = comment_gate.accept_run(event(display_title=title), REPO)
    with pytest.raises(comment_gate.Refused, match=re.escape(words)):
        comment_gate.trusted_pr(run, compare_meta.make(meta_record(**meta)), REPO)


def test_a_plain_refs_comparison_has_no_pr() -> None:
    run = comment_gate.accept_run(event(display_title="Compare pr=none (smoke)"), REPO)
    assert comment_gate.trusted_pr(run, compare_meta.make(meta_record(pr=None)), REPO) is None


def api_lists(created: str, completed: str = "2025-01-01T10:05:00Z", n: int = 1) -> tuple:
    artifacts = {
        "artifacts": [{"name": "compare-meta", "created_at": created}] * n
        + [{"name": "compare-results", "created_at": "2025-01-01T11:00:00Z"}]
    }
    jobs = {"jobs": [{"name": "trusted-inputs", "conclusion": "success",
                      "completed_at": completed},
                     {"name": "compare", "conclusion": "failure",
                      "completed_at": "2025-01-01T11:00:05Z"}]}  # fmt: skip
    return artifacts, jobs


def test_compare_meta_must_come_from_the_trusted_job() -> None:
    comment_gate.check_meta_artifact(*api_lists("2025-01-01T10:04:58Z"))
    with pytest.raises(comment_gate.Refused, match="after trusted-inputs finished"):
        comment_gate.check_meta_artifact(*api_lists("2025-01-01T10:30:00Z"))  # re-uploaded
    with pytest.raises(comment_gate.Refused, match="2 compare-meta artifact"):
        comment_gate.check_meta_artifact(*api_lists("2025-01-01T10:04:58Z", n=2))


# --- the body: rendered from real asv results, checked line by line ----------------------------


@pytest.fixture(scope="module")
def tiny() -> tiny_asv.Tiny:
    return tiny_asv.project()


def artifact(tiny: tiny_asv.Tiny, dest: Path, *heads: str) -> Path:
    """The compare-results artifact's layout (``asv/<machine>/``, ``verdict.json``) for the pair
    (a, head), from the tiny project's real results. asv records an existing environment's
    python as its path; a CI environment records its version, which is put in its place."""
    folder = dest / "asv" / tiny_asv.MACHINE
    folder.mkdir(parents=True)
    keep = {tiny.shas["a"], *(tiny.shas[h] for h in heads)}
    for path in (tiny.results / tiny_asv.MACHINE).glob("*.json"):
        data = json.loads(path.read_text())
        if data.get("commit_hash") in keep:
            data["python"] = "3.14"
            (folder / path.name).write_text(json.dumps(data))
    return dest


def tiny_meta(tiny: tiny_asv.Tiny, head: str, **over: object) -> compare_meta.Meta:
    return compare_meta.make(
        meta_record(base=tiny.shas["a"], head=tiny.shas[head], machine=tiny_asv.MACHINE, **over)
    )


def test_the_suites_allow_list_comes_from_its_catalogue() -> None:
    allowed = comment_body.allowed_benchmarks()
    assert allowed["bench_full.FullBuild.time_full_build"] == comment_body.Known("", "full", False)
    assert allowed["bench_full.FullBuildReference.track_pages_per_second"].unit == "pages/s"
    # inherited from the private _Rebuild / _RebuildWork, which asv itself does not list
    assert "bench_incremental.IncrementalBuild.time_rebuild" in allowed
    assert allowed["bench_incremental.IncrementalWork.track_speedup_over_full"].unit == "x"
    assert not any("._" in name for name in allowed)
    assert "bench_startup.ImportTime.timeraw_import_bengal" in allowed
    # the direction too, as catalogue.thresholds reads it by importing the suite
    from catalogue import thresholds

    declared = {d.name for d in thresholds.declarations() if d.higher_is_better}
    assert comment_body.higher_is_better(allowed) == declared
    assert allowed["bench_full.FullBuildMemory.peakmem_full_build"].family == "memory"
    assert "bench_incremental.DefaultCommandWork.track_speedup_over_full" in declared


class FakeGitHub:
    """GitHub's comment API as data: records every call, answers like GitHub."""

    def __init__(self, login: str, comments: list[dict]) -> None:
        self.login, self.comments, self.calls = login, comments, []

    def __call__(self, method: str, url: str, payload: dict | None) -> object:
        url = "/" + url.removeprefix(sticky_comment.API).lstrip("/")
        self.calls.append((method, url, payload))
        if url.endswith("/user"):
            return {"login": self.login}
        if "/comments?" in url:
            return self.comments
        return {"html_url": f"https://github.com/lbliii/bengal/pull/123#{method}"}


def mine(comment_id: int, login: str = "bench-bot") -> dict:
    return {"id": comment_id, "user": {"login": login}, "body": sticky_comment.MARKER + "\nold"}


def test_genuine_case_renders_and_edits_our_own_comment(tiny, tmp_path) -> None:
    results = artifact(tiny, tmp_path / "compare-results", "slow")
    verdict = subprocess.run(
        [sys.executable, "-m", "tools.ci.verdict", "--asv-rc", "0", "--report-rc", "1",
         "--json", str(results / "verdict.json")],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert verdict.returncode == 1, verdict.stderr
    run = comment_gate.accept_run(event(), REPO)
    meta = tiny_meta(tiny, "slow")
    assert comment_gate.trusted_pr(run, meta, REPO) == 123
    allowed = comment_body.allowed_benchmarks(tiny.catalogue)
    found = comment_body.read_results(results, meta, allowed)
    verdict_kind = comment_body.read_verdict(results)
    body = comment_body.render(
        found, meta, allowed, conclusion=run.conclusion, verdict=verdict_kind, run_url=run.url
    )
    lines = body.splitlines()
    assert lines[0] == sticky_comment.MARKER and lines[1] == sticky_comment.run_marker(4242)
    assert lines[2] == "## 🔴 Bengal benchmarks: regression"
    (row,) = [line for line in lines if "time_work" in line]
    base, head, ratio = [cell.strip() for cell in row.split("|")[3:6]]
    assert base.endswith(" ms") and head.endswith(" ms") and 3 < float(ratio) < 6, row
    assert "| tiny | `bench_tiny.Work.track_items` | 3 | 3 | 1.00 |" in lines
    github = FakeGitHub("bench-bot", [mine(7, "mallory"), mine(8)])
    url, notes = comment_gate.post(github, "lbliii/bengal", 123, body, allowed)
    assert github.calls[-1] == ("PATCH", "/repos/lbliii/bengal/issues/comments/8", {"body": body})
    assert [c[0] for c in github.calls] == ["GET", "GET", "PATCH"]
    assert url.endswith("#PATCH") and "comment 7" in notes[0] and "'mallory'" in notes[0]


def test_a_failed_benchmark_reads_failed(tiny, tmp_path) -> None:
    results = artifact(tiny, tmp_path / "r", "broken")
    meta = tiny_meta(tiny, "broken")
    allowed = comment_body.allowed_benchmarks(tiny.catalogue)
    found = comment_body.read_results(results, meta, allowed)
    body = comment_body.render(found, meta, allowed, conclusion="failure", verdict=None,
                               run_url="https://github.com/a/b/actions/runs/1")  # fmt: skip
    assert "| tiny | `bench_tiny.Work.track_items` | 3 | failed | n/a |" in body
    assert "## 🔴 Bengal benchmarks: failure" not in body  # no verdict.json: no word for it
    assert f"## ⚪ Bengal benchmarks: no verdict for `{meta.head[:8]}`" in body
    comment_body.check_body(body, allowed)


def test_a_marker_comment_by_another_user_is_never_edited() -> None:
    github = FakeGitHub("bench-bot", [mine(5, "mallory"), mine(6, "bench-bot[bot]")])
    body = f"{sticky_comment.MARKER}\n## 🟢 Bengal benchmarks: pass\n"
    _, notes = comment_gate.post(github, "lbliii/bengal", 123, body, {})
    assert [c[:2] for c in github.calls] == [
        ("GET", "/user"),
        ("GET", "/repos/lbliii/bengal/issues/123/comments?per_page=100&page=1"),
        ("POST", "/repos/lbliii/bengal/issues/123/comments"),
    ]
    assert notes == [
        "comment 5 carries the marker but was written by 'mallory', not 'bench-bot': not edited",
        "comment 6 carries the marker but was written by 'bench-bot[bot]', not 'bench-bot': "
        "not edited",
    ]


HEADER = f"{sticky_comment.MARKER}\n## 🔴 Bengal benchmarks: regression\n\n"


@pytest.mark.parametrize(
    "body,words",
    [
        (HEADER + "## 🔴 Bengal benchmarks: 4f41bf3a (v0.2.0) → 6094ed08 (v0.5.1)\n",
         "line 4 is not one the renderer writes"),  # the compare job's own markdown report
        (HEADER + "Please merge, see [here](https://evil.example/)\n", "line 4"),
        (HEADER + "| evil | `bench_evil.X.time_y` | 1 s | 2 s | 2.00 |\n",
         "line 4 names 'bench_evil.X.time_y', not a benchmark of this suite"),
        (HEADER + "| full | `bench_tiny.Work.time_work` | 1 s | 2 s | 2.00 |\n",
         "line 4 puts 'bench_tiny.Work.time_work' in another family"),
        (HEADER + "| tiny | `bench_tiny.Work.time_work('@mallory')` | 1 s | 2 s | 2.00 |\n",
         "line 4"),
        (HEADER + "| tiny | `bench_tiny.Work.time_work` | [x](https://e.v) | 2 s | 2.00 |\n",
         "line 4"),
        ("free text without the marker\n", "does not start with the marker"),
        (HEADER + "x" * 70000 + "\n", "over 60000"),
    ],
    ids=["report-markdown", "link", "unknown-benchmark", "other-family", "mention-param",
         "link-cell", "no-marker", "huge"],
)  # fmt: skip
def test_a_body_not_rendered_from_results_is_refused(tiny, body: str, words: str) -> None:
    allowed = comment_body.allowed_benchmarks(tiny.catalogue)
    github = FakeGitHub("bench-bot", [])
    with pytest.raises(comment_gate.Refused, match=re.escape(words)):
        comment_gate.post(github, "lbliii/bengal", 123, body, allowed)
    assert github.calls == []  # refused before any API call


def test_hostile_results_are_left_out(tiny, tmp_path) -> None:
    """Names, parameters and values that are not this suite's never reach the body."""
    results = artifact(tiny, tmp_path / "r", "same")
    folder = results / "asv" / tiny_asv.MACHINE
    (path,) = [p for p in folder.glob("*.json") if tiny.shas["same"][:8] in p.name]
    data = json.loads(path.read_text())
    entry = data["results"]["bench_tiny.Work.track_items"]
    data["results"]["bench_evil.Mallory.track_x](https://evil)"] = entry
    data["results"]["bench_tiny.Work.time_work"][1] = [["'[click](https://evil)'"]]
    path.write_text(json.dumps(data))
    other = dict(data, commit_hash="c" * 40)  # a commit compare-meta does not name
    (folder / "other.json").write_text(json.dumps(other))
    (folder / "junk.json").write_text("{not json")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "shapes.json").write_text(json.dumps(dict(data, commit_hash=[1], python={})))
    huge = dict(data, results={"bench_tiny.Work.track_items": [[], [["1"] * 40] * 4]})
    (folder / "huge.json").write_text(json.dumps(huge))  # 40**4 combinations
    meta = tiny_meta(tiny, "same")
    allowed = comment_body.allowed_benchmarks(tiny.catalogue)
    found = comment_body.read_results(results, meta, allowed)
    body = comment_body.render(found, meta, allowed, conclusion="success", verdict="pass",
                               run_url="https://github.com/a/b/actions/runs/1")  # fmt: skip
    assert "evil" not in body and "Mallory" not in body
    assert found.left_out == 7 and f"7 result entries left out: {comment_body.LEFT_OUT}." in body
    assert "| tiny | `bench_tiny.Work.track_items` | 3 | 3 | 1.00 |" in body
    comment_body.check_body(body, allowed)


def gate_cli(tmp_path: Path, tiny: tiny_asv.Tiny, **over: object) -> subprocess.CompletedProcess:
    (tmp_path / "event.json").write_text(json.dumps(event(**over)))
    results = artifact(tiny, tmp_path / "compare-results", "same")
    proc = write_meta(tmp_path, "--pr", "123")
    assert proc.returncode == 0, proc.stderr
    meta = json.loads((tmp_path / "meta.json").read_text())
    meta.update(base=tiny.shas["a"], head=tiny.shas["same"], machine=tiny_asv.MACHINE)
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    return subprocess.run(
        [sys.executable, "-m", "tools.ci.comment_gate", "--event", str(tmp_path / "event.json"),
         "--repository", REPO, "--meta", str(tmp_path / "meta.json"), "--results", str(results),
         "--catalogue", str(tiny.catalogue), "--dry-run"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip


def test_gate_cli_end_to_end(tiny, tmp_path) -> None:
    proc = gate_cli(tmp_path, tiny, conclusion="success")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = proc.stdout.splitlines()[:3]
    assert first[0] == sticky_comment.MARKER and first[1] == sticky_comment.run_marker(4242)
    assert first[2].startswith("## ⚪ Bengal benchmarks: no verdict for `")
    assert "| tiny | `bench_tiny.Work.track_items` | 3 | 3 | 1.00 |" in proc.stdout


def test_gate_cli_refuses_in_one_line(tiny, tmp_path) -> None:
    proc = gate_cli(tmp_path, tiny, event="pull_request")
    assert proc.returncode == 1
    assert proc.stdout == (
        "::error::comment refused: the run was triggered by 'pull_request'; only "
        "workflow_dispatch or repository_dispatch runs are trusted\n"
    )


def test_a_missing_record_is_refused(tmp_path) -> None:
    with pytest.raises(compare_meta.MetaError, match="no compare-meta artifact from trusted-"):
        compare_meta.load(tmp_path / "compare-meta" / "meta.json")


# --- the cut: what matters most is never cut ---------------------------------------------------

PHASE = "bench_phases.Phases.track_phase_ms"
MISSED = "bench_correctness.MissedEdits.track_missed_edit_outputs"
SPEEDUP = "bench_incremental.IncrementalWork.track_speedup_over_full"
COUNT = "bench_instructions.BuildInstructions.track_build_instructions"


def _synthetic_body(tmp_path: Path, n_fill: int, fill: float, n_missed: int) -> str:
    """A comment over asv results with ``n_fill`` phase rows that got ``fill`` times slower,
    ``n_missed`` missed-edit counters that went 0 → 1, a speedup drop 10 → 4 and an
    instruction count measured at base only."""
    from tests import asv_synthetic

    phases = [f"'p{i}'" for i in range(n_fill)]
    edits = [f"'e{i}'" for i in range(n_missed)]
    suite = {
        PHASE: ([phases], ["phase"], "ms"),
        MISSED: ([["'incremental'"], edits], ["mode", "edit"], "files"),
        SPEEDUP: ([["'one_page'"]], ["edit"], "x"),
        COUNT: ([["'nested-8'"], ["'full'"]], ["site", "build"], "instructions"),
    }
    base = {PHASE: [100.0] * n_fill, MISSED: [0] * n_missed, SPEEDUP: [10.0], COUNT: [7e9]}
    head = {PHASE: [100.0 * fill] * n_fill, MISSED: [1] * n_missed, SPEEDUP: [4.0]}
    asv_synthetic.write(tmp_path / "asv", suite, {BASE: base, HEAD: head})
    meta = compare_meta.make(meta_record(machine=asv_synthetic.MACHINE))
    allowed = comment_body.allowed_benchmarks()
    found = comment_body.read_results(tmp_path, meta, allowed)
    assert not found.left_out
    body = comment_body.render(
        found, meta, allowed, conclusion="failure", verdict="regression",
        run_url="https://github.com/a/b/actions/runs/1",
        higher=comment_body.higher_is_better(allowed),
    )  # fmt: skip
    comment_body.check_body(body, allowed)
    return body


def table_rows(body: str) -> list[str]:
    """The comment's rows without their family cell."""
    return [r.split(" | ", 1)[1] for r in body.splitlines() if re.match(r"\| [a-z]+ \| `", r)]


def test_the_cut_keeps_a_new_miss_a_vanished_value_and_a_speedup_drop(tmp_path) -> None:
    body = _synthetic_body(tmp_path, n_fill=120, fill=1.3, n_missed=1)
    rows = [
        line.split(" | ", 1)[1] for line in body.splitlines() if re.match(r"\| [a-z]+ \| `", line)
    ]
    assert len(rows) == comment_body.MAX_ROWS
    total = 120 + 1 + 1 + 1
    assert f"… and {total - comment_body.MAX_ROWS} more rows in the run's report." in body
    # most severe first: the vanished count, the counter that left 0, the speedup's drop
    assert rows[0].startswith(f"`{COUNT}('nested-8', 'full')` | 7e+09 instructions | — |")
    assert rows[1] == f"`{MISSED}('incremental', 'e0')` | 0 files | 1 files | n/a |"
    assert rows[2] == f"`{SPEEDUP}('one_page')` | 10 x | 4 x | 0.40 |"
    assert all(f"`{PHASE}(" in row and row.endswith("| 1.30 |") for row in rows[3:])


def test_the_cut_never_drops_counters_that_left_zero(tmp_path) -> None:
    body = _synthetic_body(tmp_path, n_fill=20, fill=3.0, n_missed=110)
    rows = [
        line.split(" | ", 1)[1] for line in body.splitlines() if re.match(r"\| [a-z]+ \| `", line)
    ]
    assert sum(f"`{MISSED}(" in row for row in rows) == 110  # over MAX_ROWS, all of them
    assert not any(f"`{PHASE}(" in row for row in rows)  # the others make room
    assert "… and 21 more rows in the run's report." in body  # 20 phases and the speedup


# --- undecided: a noisy benchmark whose samples cannot tell ------------------------------------

WALL = "bench_full.FullBuildReference.track_cli_wall_seconds"
EXACT_COUNT = "bench_correctness.MissedEdits.track_missed_edit_outputs"


def _noisy_artifact(tmp_path: Path, base: list, head: list) -> tuple[Path, compare_meta.Meta]:
    """asv results (asv's own writer) of the suite's single-shot wall time, one sample per
    round, at two commits, laid out as the compare artifact."""
    from tests import asv_synthetic

    meta = compare_meta.Meta(**{**meta_record(), "pythons": ("3.14",), "machine": "synthetic"})
    suite = {
        WALL: ([["'nested-8'"]], ["site"], "s"),
        EXACT_COUNT: ([["'full'"]], ["mode"], "files"),
    }
    results = tmp_path / "compare-results"
    asv_synthetic.write(results / "asv", suite,
                        {meta.base: {WALL: [base], EXACT_COUNT: [0]},
                         meta.head: {WALL: [head], EXACT_COUNT: [0]}})  # fmt: skip
    return results, meta


@pytest.mark.parametrize(
    ("base", "head", "listed"),
    [
        (
            [2.0, 3.4, 2.2, 3.9],
            [2.1, 3.8, 2.4, 3.5],
            "n 4/4 · spread 68%/58% · p n/a · 90% CI -38.5%…+75.0%",
        ),
        (2.0, 2.05, "n 1/1 · p n/a · floor 50%"),  # one value a side: never a pass
        ([2.0, 2.02, 2.01, 1.99, 2.0, 2.03, 1.98, 2.0], [2.01, 2.0] * 4, None),  # unchanged
    ],
    ids=["four-rounds-a-side", "single-shot", "decided"],
)
def test_undecided_benchmarks_are_listed_with_their_evidence(
    tmp_path: Path, base, head, listed: str | None
) -> None:
    results, meta = _noisy_artifact(tmp_path, base, head)
    allowed = comment_body.allowed_benchmarks()
    found = comment_body.read_results(results, meta, allowed)
    body = comment_body.render(found, meta, allowed, conclusion="failure", verdict="undecided",
                               run_url="https://github.com/a/b/actions/runs/1",
                               floors=comment_body.noisy_floors(meta.factor))  # fmt: skip
    comment_body.check_body(body, allowed)
    lines = body.splitlines()
    assert lines[2] == "## 🟡 Bengal benchmarks: undecided"
    if listed is None:
        assert comment_body.UNDECIDED_HEAD not in lines
        return
    (row,) = [line for line in lines if line.startswith(f"- `{WALL}('nested-8')`: ")]
    assert listed in row and row.endswith("floor 50%"), row
    assert lines.index(comment_body.UNDECIDED_HEAD) < lines.index(row)
    assert not any(line.startswith(f"- `{EXACT_COUNT}") for line in lines)  # exact: never undecided


def test_the_gate_refuses_an_undecided_line_it_would_not_write() -> None:
    allowed = comment_body.allowed_benchmarks()
    head = f"{sticky_comment.MARKER}\n{comment_body.UNDECIDED_HEAD}\n"
    good = (
        f"- `{WALL}('nested-8')`: "
        "n 8/8 · spread 21%/25% · p 0.041 · 90% CI -2.0%…+14.2% · floor 10%"
    )
    comment_body.check_body(f"{head}{good}\n", allowed)
    for bad, words in (
        (good + " [x](https://evil)", "not one the renderer writes"),
        (good.replace("p 0.041", "p soon"), "not one the renderer writes"),
        (good.replace(WALL, "bench_full.Evil.time_x"), "not a benchmark of this suite"),
    ):
        with pytest.raises(comment_body.BodyError, match=re.escape(words)):
            comment_body.check_body(f"{head}{bad}\n", allowed)
