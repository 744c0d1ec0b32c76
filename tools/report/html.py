"""The HTML page of ``tools.report``: one self-contained file, plotly.js embedded (no CDN).

Charts: each family's history across commits (relative to its first value, so one chart holds
seconds and MB), build time and peak memory against pages (the scaling ladder), incremental
speedups by change kind, per-phase time per commit. The comparison table and recommendations
are the same as the markdown's.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from tools.report import data as rd

MARKS = {"red": "#d62728", "yellow": "#e6b000", "green": "#2ca02c"}
LADDER = r"^bench_scaling\.ScalingLadder\."
SPEEDUP = r"^bench_incremental\..*\.track_speedup_over_full$"
PHASES = r"^bench_phases\..*\.track_phase_ms$"


def _ok(m: rd.Measurement | None) -> bool:
    return m is not None and not m.failed and not m.skipped


def _param(m: rd.Measurement) -> str:
    return ", ".join(p.strip("'\"") for p in m.params)


def _select(commit: rd.Commit, pattern: str) -> list[rd.Measurement]:
    import re

    return [m for m in commit.measurements.values() if _ok(m) and re.search(pattern, m.key)]


def history_charts(history: list[rd.Commit]) -> list[go.Figure]:
    """One chart per family: every benchmark's value over commits, relative to its first."""
    labels = [c.label for c in history]
    figures = []
    for fam in rd.FAMILIES:
        names = sorted(
            {n for c in history for n, m in c.measurements.items() if rd.family(m.key) == fam}
        )
        fig = go.Figure()
        for name in names:
            ms = [c.measurements.get(name) for c in history]
            first = next((m.value for m in ms if _ok(m) and m.value), None)
            if first is None:
                continue
            ys = [m.value / first if _ok(m) else None for m in ms]
            text = [m.display() + (f" {m.unit}" if m.unit else "") if m else "—" for m in ms]
            fig.add_trace(
                go.Scatter(
                    x=labels,
                    y=ys,
                    mode="lines+markers",
                    name=name,
                    text=text,
                    hovertemplate="%{x}<br>%{text}<extra>%{fullData.name}</extra>",
                )
            )
        if fig.data:
            fig.update_layout(
                title=f"{fam}: history relative to the first commit "
                "(up is worse unless higher is better)",
                yaxis_title="relative to first commit",
                xaxis_title="commit",
                height=420,
                legend={"font": {"size": 9}},
            )
            figures.append(fig)
    return figures


def scaling_charts(history: list[rd.Commit]) -> list[go.Figure]:
    """Build time and peak RSS against pages, one line per commit (the scaling ladder)."""
    out = []
    for metric, title, unit in (
        ("track_build_seconds", "Build time vs pages", "s"),
        ("track_peak_rss", "Memory growth: peak RSS vs pages", "MB"),
    ):
        fig = go.Figure()
        for c in history:
            points = sorted((int(_param(m)), m.value) for m in _select(c, LADDER + metric))
            if points:
                fig.add_trace(
                    go.Scatter(
                        x=[p for p, _ in points],
                        y=[v for _, v in points],
                        mode="lines+markers",
                        name=c.label,
                    )
                )
        if fig.data:
            fig.update_layout(title=title, xaxis_title="pages", yaxis_title=unit, height=400)
            out.append(fig)
    return out


def speedup_chart(base: rd.Commit, head: rd.Commit) -> list[go.Figure]:
    fig = go.Figure()
    for c in (base, head):
        ms = _select(c, SPEEDUP)
        if ms:
            fig.add_trace(
                go.Bar(
                    x=[f"{_param(m)} ({m.key.split('.')[1]})" for m in ms],
                    y=[m.value for m in ms],
                    name=c.label,
                )
            )
    if not fig.data:
        return []
    fig.add_hline(y=5, line_dash="dash", annotation_text="5x target")
    fig.update_layout(
        title="Incremental speedup over a full build, by change kind",
        yaxis_title="x (higher is better)",
        barmode="group",
        height=420,
    )
    return [fig]


def phase_chart(history: list[rd.Commit]) -> list[go.Figure]:
    phases = sorted({_param(m) for c in history for m in _select(c, PHASES)})
    fig = go.Figure()
    for phase in phases:
        ys = [
            next((m.value for m in _select(c, PHASES) if _param(m) == phase), None) for c in history
        ]
        fig.add_trace(go.Bar(x=[c.label for c in history], y=ys, name=phase))
    if not fig.data:
        return []
    fig.update_layout(
        title="Full build: time per phase", yaxis_title="ms", barmode="stack", height=420
    )
    return [fig]


def _cell(m: rd.Measurement | None) -> str:
    return html.escape(m.display()) if m else "—"


def _rows_html(rows: list[rd.Row]) -> str:
    body = []
    for r in rows:
        ratio = rd.percent_change(r.ratio)
        sig = (
            "n/a"
            if r.ratio is None
            else r.decision.evidence()
            if r.decision is not None
            else {None: "no stats", True: "yes", False: "no"}[r.significant]
        )
        body.append(
            f"<tr><td style='color:{MARKS[r.mark]}'>●</td><td>{r.status}</td><td>{r.family}</td>"
            f"<td><code>{html.escape(r.name)}</code>{' ↑' if rd.higher_is_better(r.key) else ''}"
            f"</td><td>{_cell(r.base)}</td><td>{_cell(r.head)}</td><td>{ratio}</td>"
            f"<td>{sig}</td><td>{html.escape(r.note)}</td></tr>"
        )
    return (
        "<table><tr><th></th><th>status</th><th>family</th><th>benchmark</th><th>before</th>"
        "<th>after</th><th>change</th><th>significant / evidence</th><th>note</th></tr>"
        + "".join(body)
        + "</table>"
    )


def page(
    rs: rd.ResultSet,
    base: rd.Commit,
    head: rd.Commit,
    rows: list[rd.Row],
    history: list[rd.Commit],
    markdown_text: str,
) -> str:
    groups = {
        "family histories": history_charts(history),
        "scaling ladder (build time and memory vs pages)": scaling_charts(history),
        "incremental speedups": speedup_chart(base, head),
        "per-phase time": phase_chart(history),
    }
    figures = [f for group in groups.values() for f in group]
    empty = ", ".join(name for name, group in groups.items() if not group)
    no_data = f"<p><b>No data (failed, skipped or not run) for: {empty}</b></p>" if empty else ""
    charts = "\n".join(f.to_html(full_html=False, include_plotlyjs=False) for f in figures)
    found, missing = rd.recommendations(head)
    recs = (
        "".join(
            f"<li><b>{html.escape(r.title)}.</b> Evidence: {html.escape(r.evidence)}</li>"
            for r in found
        )
        or "<li>None: every check passed on the head commit.</li>"
    )
    if missing:
        recs += f"<li>Not checked (no results): {html.escape(', '.join(missing))}.</li>"
    counts = " · ".join(f"{sum(r.status == s for r in rows)} {s}" for s in rd.STATUSES)
    title = f"Bengal benchmarks: {base.label} → {head.label}"
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:1.5em;max-width:1300px}}
table{{border-collapse:collapse;font-size:12px}}td,th{{border:1px solid #ddd;padding:2px 6px}}
code{{font-size:11px}}</style>
<script type="text/javascript">{get_plotlyjs()}</script></head>
<body><h1>{html.escape(title)}</h1>
<p>Machine <code>{html.escape(rs.machine)}</code>; {len(history)} commits in the history charts.
<b>{counts}</b></p>
<h2>Recommendations</h2><ul>{recs}</ul>
<h2>Charts</h2>
{no_data}
{charts}
<h2>Comparison</h2>
{_rows_html(rows)}
<details><summary>Markdown (as posted on a pull request)</summary>
<pre>{html.escape(markdown_text)}</pre></details>
</body></html>
"""
