"""A regression report people act on, from asv's results: markdown for a PR, or one HTML page.

    python -m tools.report markdown --results .asv/results --base 1a2b3c4d --head 5e6f7a8b \\
        --site-url https://example.github.io/bengal-benchmarks [--out report.md]
    python -m tools.report html --results .asv/results --base v0.1.2 --head v0.5.1 \\
        --repo bengal-history --out report.html [--html-history]

Failures first, then regressions, undecided, improvements and unchanged, grouped by family; each
row says what the statistics say (see ``tools.report.data``; a noisy benchmark's row carries its
evidence: samples per side, spread, p-value, interval, floor). Bad input (unknown commit, no
results for a commit, another machine's folder) is one line on stderr and exit status 2;
``--fail-on regression`` makes regressions and failures exit 1, and, when there are none,
undecided benchmarks exit 3 (after writing the report): undecided is never a pass.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import scenario_gen
from tools import noise
from tools.report import data as rd

ROOT = Path(__file__).resolve().parents[2]
MARKS = {"red": "🔴", "yellow": "🟡", "green": "🟢"}
TITLES = {
    "failure": "❌ Failures",
    "regression": "Regressions",
    "undecided": "Undecided (the samples cannot tell: not a pass)",
    "improvement": "Improvements",
    "unchanged": "Unchanged",
}


def graph_url(site_url: str, rs: rd.ResultSet, row: rd.Row) -> str:
    """asv's graph page for one benchmark, its parameters selected (``#name?p-param=value``)."""
    url = f"{site_url.rstrip('/')}/#{row.key}"
    names = rs.benchmarks.get(row.key, {}).get("param_names", [])
    query = "&".join(
        f"p-{quote(n, safe='')}={quote(v, safe='')}"
        for n, v in zip(names, row.params, strict=False)
    )
    return f"{url}?{query}" if query else url


def _plural(status: str, n: int) -> str:
    return status if n == 1 or status in ("unchanged", "undecided") else status + "s"


def _significant(row: rd.Row) -> str:
    if row.status == "failure" or row.ratio is None:
        return "n/a"
    if row.decision is not None:
        return row.decision.evidence()
    if row.significant is None:
        return "no stats (factor only)"
    return "yes" if row.significant else "no"


def _table(rows: list[rd.Row], rs: rd.ResultSet, site_url: str | None) -> list[str]:
    out = []
    for fam in rd.FAMILIES:
        group = [r for r in rows if r.family == fam]
        if not group:
            continue
        out += [
            f"**{fam}**",
            "",
            "| | benchmark | before | after | change | significant / evidence | note |",
            "|---|---|---:|---:|---:|---|---|",
        ]
        for r in group:
            name = f"`{r.name}`"
            if site_url:
                name = f"[{name}]({graph_url(site_url, rs, r)})"
            direction = " ↑" if rd.higher_is_better(r.key) else ""
            out.append(
                f"| {MARKS[r.mark]} | {name}{direction} | "
                f"{r.base.display() if r.base else '—'} | "
                f"{r.head.display() if r.head else '—'} | {rd.percent_change(r.ratio)} | "
                f"{_significant(r)} | {r.note} |"
            )
        out.append("")
    return out


def markdown(
    rs: rd.ResultSet,
    base: rd.Commit,
    head: rd.Commit,
    rows: list[rd.Row],
    site_url: str | None,
    factor: float | None,
) -> str:
    counts = {s: sum(r.status == s for r in rows) for s in rd.STATUSES}
    if factor is not None:
        factor_text = f"factor {factor:g} for every benchmark"
    elif rs.thresholds:
        factor_text = "factor 1 + `regressions_thresholds` of asv.conf.json per benchmark"
    else:
        factor_text = f"factor {rd.DEFAULT_FACTOR:g}"
    worst = (
        "🔴" if counts["failure"] or counts["regression"] else "🟡" if counts["undecided"] else "🟢"
    )
    lines = [
        f"## {worst} Bengal benchmarks: {base.label} → {head.label}",
        "",
        f"Machine `{rs.machine}`; an exact count changes when the ratio is beyond the "
        f"{factor_text}. A noisy benchmark (time, memory, single-shot values) is decided from "
        "its samples: a regression when a Mann-Whitney test separates them "
        f"(p < {noise.ALPHA:g}) and the whole {noise.EQUIVALENCE:.0%} interval of head/base lies "
        "beyond that floor, unchanged when the interval lies within it, undecided otherwise; "
        "its row says n, spread, p, interval and floor. ↑ = higher is better.",
        "",
        " · ".join(f"**{counts[s]}** {_plural(s, counts[s])}" for s in rd.STATUSES),
        "",
    ]
    for status in rd.STATUSES:
        group = [r for r in rows if r.status == status]
        if not group:
            continue
        if status == "unchanged":
            lines += [
                f"<details><summary>{TITLES[status]} ({len(group)})</summary>",
                "",
                *_table(group, rs, site_url),
                "</details>",
                "",
            ]
        else:
            lines += [f"### {TITLES[status]} ({len(group)})", "", *_table(group, rs, site_url)]
    found, missing = rd.recommendations(head)
    lines += ["### Recommendations", ""]
    lines += [f"- **{r.title}.** Evidence: {r.evidence}" for r in found]
    if not found:
        lines.append("- None: every check passed on the head commit.")
    if missing:
        lines.append(f"- Not checked (no results at {head.label}): {', '.join(missing)}.")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.report", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "format",
        choices=("markdown", "html", "variants"),
        help="variants: the tools.flame --variant of each regressed kind of build, one a line",
    )
    parser.add_argument("--results", type=Path, default=ROOT / ".asv" / "results")
    parser.add_argument("--machine", help="asv machine name (default: the only one)")
    parser.add_argument("--base", help="baseline commit (hash prefix; tag/branch with --repo)")
    parser.add_argument("--head", help="commit under test")
    parser.add_argument(
        "--repo",
        type=Path,
        help="Bengal git repo, to resolve tags and label "
        "commits (default: the repo of asv.local.conf.json, if any)",
    )
    parser.add_argument(
        "--conf",
        type=Path,
        default=ROOT / "asv.conf.json",
        help="asv config whose regressions_thresholds set per-benchmark factors",
    )
    parser.add_argument("--factor", type=float, help="one factor for every benchmark instead")
    parser.add_argument("--python", help="only this asv environment's python (e.g. 3.14t)")
    parser.add_argument("--site-url", help="published asv site, for links to each graph")
    parser.add_argument(
        "--html-history",
        action="store_true",
        help="html: history charts over every commit in the results "
        "(default base/head: the oldest and newest)",
    )
    parser.add_argument("--fail-on", choices=("never", "regression"), default="never")
    parser.add_argument("--out", type=Path, help="output file (default: stdout)")
    args = parser.parse_args(argv)
    try:
        repo = args.repo or _default_repo()
        rs = rd.load(args.results, args.machine, args.conf, repo, args.python)
        if args.html_history and args.format == "html":
            base = rs.commit(args.base, repo) if args.base else rs.commits[0]
            head = rs.commit(args.head, repo) if args.head else rs.commits[-1]
        elif not (args.base and args.head):
            raise rd.ReportError("--base and --head are required (html: or --html-history)")
        else:
            base, head = rs.commit(args.base, repo), rs.commit(args.head, repo)
        rows = rd.compare(rs, base, head, args.factor)
        if args.format == "markdown":
            text = markdown(rs, base, head, rows, args.site_url, args.factor)
        elif args.format == "variants":
            text = "".join(f"{v}\n" for v in profile_variants(rows))
        else:
            from tools.report import html as report_html

            history = rs.commits if args.html_history else [base, head]
            md = markdown(rs, base, head, rows, args.site_url, args.factor)
            text = report_html.page(rs, base, head, rows, history, md)
    except rd.ReportError as exc:
        print(f"tools.report: error: {exc}", file=sys.stderr)
        return 2
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        print(args.out)
    else:
        sys.stdout.write(text)
    if args.fail_on != "regression":
        return 0
    if any(r.status in ("failure", "regression") for r in rows):
        return 1
    return UNDECIDED_RC if any(r.status == "undecided" for r in rows) else 0


UNDECIDED_RC = 3  # --fail-on regression: nothing regressed or failed, but something is undecided


PROFILE_VARIANTS = ("full", *scenario_gen.EDITS)


def profile_variants(rows: list[rd.Row]) -> list[str]:
    """Which build to profile for the evidence of each regression: the edit a regressed
    incremental benchmark measured (its ``edit`` parameter), else the full build."""
    variants: list[str] = []
    for row in rows:
        if row.status != "regression":
            continue
        edits = [p.strip("'\"") for p in row.params if p.strip("'\"") in PROFILE_VARIANTS]
        variant = edits[0] if edits else "full"
        if variant not in variants:
            variants.append(variant)
    return variants


def _default_repo() -> Path | None:
    from tools.flame.builds import default_repo

    repo = default_repo()
    if repo and ((repo / "HEAD").exists() or (repo / ".git").exists()):
        return repo
    return None


if __name__ == "__main__":
    sys.exit(main())
