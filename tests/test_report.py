"""tools.report on results of a real asv run of this suite (the session's ``asv_smoke_run``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.asv_session import AsvRun
from tools.report import data as rd

ROOT = Path(__file__).resolve().parent.parent
SITE = "https://example.org/bengal-benchmarks"


def report(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.report", *args], cwd=ROOT, text=True, capture_output=True
    )


def common(run: AsvRun) -> list[str]:
    return ["--results", str(run.results), "--repo", str(run.repo)]


def asv_compare_marks(run: AsvRun, factor: float) -> dict[str, str]:
    """asv's own verdict per benchmark: the Change column of ``asv compare``."""
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "asv"),
            "compare",
            "--config",
            str(run.conf),
            "--factor",
            str(factor),
            run.base,
            run.head,
        ],
        cwd=run.conf.parent,
        text=True,
        capture_output=True,
        check=True,
    )
    marks = {}
    for line in proc.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[4].startswith("bench_"):
            marks[cells[4]] = cells[0]
    assert marks, proc.stdout
    return marks


def test_markdown_classification_agrees_with_asv_compare(asv_smoke_run: AsvRun) -> None:
    proc = report(
        "markdown",
        *common(asv_smoke_run),
        "--base",
        "v0.1.2",
        "--head",
        "v0.5.1",
        "--factor",
        "1.1",
        "--site-url",
        SITE,
    )
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    rows = rd.compare(
        rd.load(asv_smoke_run.results, repo=asv_smoke_run.repo),
        *[
            rd.load(asv_smoke_run.results).commit(s)
            for s in (asv_smoke_run.base, asv_smoke_run.head)
        ],
        factor=1.1,
    )
    by_name = {r.name: r for r in rows}
    marks = asv_compare_marks(asv_smoke_run, 1.1)
    assert set(marks) == set(by_name)
    for name, mark in marks.items():
        row = by_name[name]
        up = rd.higher_is_better(row.key)
        expected = {
            "!": "failure",
            "*": "improvement",
            "+": "improvement" if up else "regression",
            "-": "regression" if up else "improvement",
            "x": "unchanged",
            "": "failure" if row.head and row.head.failed else "unchanged",
        }[mark]
        if row.decision is not None:
            # a noisy benchmark, decided from its samples (tools.noise): a change it decides is
            # one asv sees too; asv's factor alone may flag what the samples cannot tell
            assert row.status in ("undecided", "unchanged", expected), (name, mark, row)
        else:
            assert row.status == expected, (name, mark, row)
        # every benchmark appears once in the markdown, linked to its asv graph
        assert text.count(f"[`{name}`]({SITE}/#{row.key}") == 1, name
    # sections in the order a reviewer acts on them
    positions = [
        text.find(t)
        for t in ("Failures (", "Regressions (", "Undecided (", "Improvements (", "Unchanged (")
        if t in text
    ]
    assert positions == sorted(positions)
    assert "### Recommendations" in text


def test_graph_links_use_asv_url_scheme(asv_smoke_run: AsvRun) -> None:
    text = report(
        "markdown",
        *common(asv_smoke_run),
        "--base",
        asv_smoke_run.base[:8],
        "--head",
        asv_smoke_run.head[:8],
        "--site-url",
        SITE + "/",
    ).stdout
    assert f"({SITE}/#bench_full.FullBuild.time_full_build?p-site=%27nested-8%27)" in text


def test_html_page_has_its_charts(asv_smoke_run: AsvRun, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    proc = report("html", *common(asv_smoke_run), "--html-history", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    page = out.read_text()
    assert "<script src" not in page  # plotly.js inline: the file works offline
    assert "Plotly.newPlot" in page
    titles = (
        "history relative to the first commit",
        "Build time vs pages",
        "Memory growth",
        "Incremental speedup",
        "time per phase",
    )
    assert len(re.findall(r'class="plotly-graph-div"', page)) >= len(titles)
    for title in (*titles, "Recommendations", "Comparison"):
        assert title in page, title


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base", "v9.9.9", "--head", "v0.5.1"], "unknown commit"),
        (["--base", "v0.1.2", "--head", "abcdef12"], "no results for commit"),
        (["--machine", "elsewhere", "--base", "v0.1.2", "--head", "v0.5.1"], "machine"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(
    asv_smoke_run: AsvRun, args: list[str], message: str
) -> None:
    proc = report("markdown", *common(asv_smoke_run), *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert message in proc.stderr


def test_not_a_results_folder(tmp_path: Path) -> None:
    proc = report("markdown", "--results", str(tmp_path), "--base", "a", "--head", "b")
    assert proc.returncode == 2 and "not an asv results folder" in proc.stderr


def _row(name: str, params: tuple[str, ...], status: str) -> rd.Row:
    return rd.Row(name, name, params, rd.family(name), None, None, status, "red", 1.5, True, "")


def test_profile_variants_follow_the_regressed_builds() -> None:
    from tools.report.cli import profile_variants

    rows = [
        _row("bench_incremental.IncrementalBuild.time_rebuild", ("'one_page'",), "regression"),
        _row("bench_incremental.IncrementalBuild.time_rebuild", ("'noop'",), "improvement"),
        _row("bench_full.FullBuild.time_full_build", ("'nested-50'",), "regression"),
        _row("bench_correctness.IncrementalCorrectness.track_x", ("'add_page'",), "regression"),
        _row("bench_incremental.IncrementalWork.track_speedup", ("'one_page'",), "regression"),
    ]
    # add_page has no profile variant: its regression is profiled as a full build
    assert profile_variants(rows) == ["one_page", "full"]


def test_variants_of_a_real_run_are_profile_variants(asv_smoke_run: AsvRun) -> None:
    from tools.report.cli import PROFILE_VARIANTS

    proc = subprocess.run(
        [sys.executable, "-m", "tools.report", "variants", "--results",
         str(asv_smoke_run.results), "--base", asv_smoke_run.base, "--head", asv_smoke_run.head],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    assert len(lines) == len(set(lines)) and set(lines) <= set(PROFILE_VARIANTS), lines


def _m(value: float | None, n: int = 0) -> rd.Measurement:
    """A time, with ``n`` samples around ``value`` (±1%) when n > 0."""
    samples = [value * (1 + 0.01 * (i % 3 - 1)) for i in range(n)] if n and value else None
    return rd.Measurement(
        "bench_full.FullBuild.time_full_build", (), value, None, samples, "1", "s"
    )


NAN = float("nan")


@pytest.mark.parametrize(
    ("base", "head", "status", "note"),
    [
        (None, _m(None), "failure", "newly failing (new benchmark)"),
        (None, _m(NAN), "unchanged", "new benchmark, skipped (n/a)"),
        (None, _m(1.0), "unchanged", "new benchmark"),
        (_m(None), None, "unchanged", "failed at base, not run at head"),
        (_m(None), _m(None), "failure", "also failed at base"),
        (_m(None), _m(NAN), "failure", "failed at base, skipped at head"),  # not "fixed"
        (_m(None), _m(1.0), "improvement", "fixed (failed at base)"),
        (_m(NAN), None, "unchanged", "skipped at base, not run at head"),
        (_m(NAN), _m(None), "failure", "newly failing (skipped at base)"),
        (_m(NAN), _m(NAN), "unchanged", "skipped (n/a)"),
        (_m(NAN), _m(1.0), "unchanged", "skipped at base (n/a)"),
        (_m(1.0), None, "failure", "vanished at head (measured at base)"),
        (_m(1.0), _m(None), "failure", "newly failing"),
        (_m(1.0), _m(NAN), "failure", "skipped at head (measured at base)"),
        (_m(1.0, 8), _m(2.0, 8), "regression", ""),
        # a time measured once a side (no samples, no statistics): the samples cannot tell
        (
            _m(1.0),
            _m(2.0),
            "undecided",
            "too few samples (1 vs 1): the test cannot reach p < 0.002, nor give an interval",
        ),
    ],
)
def test_failure_skip_and_fixed_table_case_by_case(base, head, status, note) -> None:
    ref = head or base
    row = rd._row(ref.name, ref, base, head, 1.1)
    assert (row.status, row.note) == (status, note)
    assert row.mark == {"failure": "red", "regression": "red", "improvement": "green"}.get(
        status, "yellow"
    )


def test_every_pair_of_states_has_an_outcome() -> None:
    states = ("absent", "failed", "skipped", "measured")
    pairs = {(a, b) for a in states for b in states} - {("absent", "absent")}
    assert set(rd.OUTCOMES) | {("measured", "measured")} == pairs


@pytest.mark.parametrize(
    ("ratio", "text"),
    [(1.0046, "+0.46%"), (1.001, "+0.10%"), (0.999, "-0.10%"), (1.0, "+0.00%"),
     (1.5, "+50.0%"), (0.5, "-50.0%"), (5.0, "+400%"), (float("inf"), "∞"), (None, "n/a")],
)  # fmt: skip
def test_changes_read_in_percent_down_to_a_tenth(ratio: float | None, text: str) -> None:
    assert rd.percent_change(ratio) == text


def test_cost_sums_asv_durations_per_family(asv_smoke_run) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.report.cost", "--results", str(asv_smoke_run.results),
         "--commit", asv_smoke_run.head[:8]],
        cwd=ROOT, text=True, capture_output=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = dict(re.findall(r"^\| ([^|*]+?) \| ([\d.]+) \|", proc.stdout, re.M))
    # The shared measurements (builds and edits) together are the largest part of a smoke run.
    shared = {
        "setup_cache families.builds.measure_once",
        "setup_cache families.builds.measure_edits",
    }
    assert shared <= rows.keys(), proc.stdout
    others = [float(v) for k, v in rows.items() if k not in shared]
    assert sum(float(rows[k]) for k in shared) > max(others), proc.stdout
    total = float(re.search(r"\*\*total\*\* \| \*\*([\d.]+)\*\*", proc.stdout).group(1))
    assert abs(total - sum(map(float, rows.values()))) < 0.05 * len(rows) + 0.1


def test_cost_of_an_unknown_commit_is_one_line(asv_smoke_run) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.report.cost", "--results", str(asv_smoke_run.results),
         "--commit", "deadbeef"],
        cwd=ROOT, text=True, capture_output=True,
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr


def test_instruction_regressions_are_listed_first() -> None:
    def m(key: str, value: float) -> rd.Measurement:
        # the wall time with 8 samples (one per interleaved round), the count exact
        samples = [value * (1 + 0.01 * (i % 4)) for i in range(8)]
        return rd.Measurement(key, (), value, None, samples, "1", "s")

    keys = (
        "bench_full.FullBuildReference.track_cli_wall_seconds",
        "bench_instructions.StartupInstructions.track_startup_instructions",
    )
    base = rd.Commit("a" * 40, 1, "a", {k: m(k, 100.0) for k in keys})
    head = rd.Commit("b" * 40, 2, "b", {k: m(k, 150.0) for k in keys})
    rs = rd.ResultSet(Path("."), "m", [base, head], {}, {})
    rows = rd.compare(rs, base, head, factor=1.1)
    assert [(r.family, r.status) for r in rows] == [
        ("instructions", "regression"),
        ("full", "regression"),
    ]
