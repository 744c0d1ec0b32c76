"""Reading cProfile output: Bengal's bottlenecks, the top-function tables (``top.md``), and
what changed between two builds (``diff.md``: times and the call-count diff)."""

from __future__ import annotations

import argparse
import pstats
import re
from pathlib import Path

from tools.flame import ProfileError

ROOT = Path(__file__).resolve().parents[2]
TOP_N = 30
BENGAL_FRAME = re.compile(r"[/\\]site-packages[/\\]bengal[/\\]")
# pstats key: (filename, line, function name)
Func = tuple[str, int, str]


def short_path(filename: str) -> str:
    """Drop the env/interpreter prefix: ``bengal/rendering/x.py``, ``json/decoder.py``."""
    for marker in ("site-packages/", "/lib/python3.", f"{ROOT}/"):
        if marker in filename:
            rest = filename.split(marker, 1)[1]
            return rest.split("/", 1)[1] if marker == "/lib/python3." else rest
    return filename


def func_label(func: Func) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    return f"{short_path(filename)}:{line} {name}"


def is_bengal(func: Func) -> bool:
    return BENGAL_FRAME.search(func[0]) is not None and func[2] != "<module>"


def bengal_bottlenecks(stats: pstats.Stats, n: int = 5) -> list[tuple[Func, float, float, float]]:
    """Bengal functions ranked by own time plus time in the non-Bengal code they call directly.

    Rendering, parsing and I/O happen in libraries (templates, markdown, stdlib) called from
    Bengal; charging that time to the Bengal caller names the Bengal code responsible, while a
    Bengal frame that only calls other Bengal frames (an orchestrator) ranks low.
    Returns ``(func, charged_s, own_s, cumulative_s)``.
    """
    raw = stats.stats  # type: ignore[attr-defined]
    charged = {f: v[2] for f, v in raw.items() if is_bengal(f)}
    for callee, (_cc, _nc, _tt, _ct, callers) in raw.items():
        if is_bengal(callee):
            continue
        for caller, timing in callers.items():
            if caller in charged:
                charged[caller] += timing[3]
    ranked = sorted(charged.items(), key=lambda item: item[1], reverse=True)[:n]
    return [(f, c, raw[f][2], raw[f][3]) for f, c in ranked]


def _table(stats: pstats.Stats, key: int, n: int) -> str:
    """``key``: 2 = own time, 3 = cumulative (pstats' tuple layout)."""
    raw = stats.stats  # type: ignore[attr-defined]
    rows = sorted(raw.items(), key=lambda item: item[1][key], reverse=True)[:n]
    lines = ["| # | function | calls | own s | cumulative s |", "|---:|---|---:|---:|---:|"]
    for i, (func, (cc, nc, tt, ct, _)) in enumerate(rows, 1):
        calls = f"{nc}/{cc}" if nc != cc else str(nc)
        lines.append(f"| {i} | `{func_label(func)}` | {calls} | {tt:.3f} | {ct:.3f} |")
    return "\n".join(lines)


def top_markdown(stats: pstats.Stats, spec: str, args: argparse.Namespace, result: dict) -> str:
    bottlenecks = bengal_bottlenecks(stats)
    if not bottlenecks:
        raise ProfileError("the profile holds no frames from the bengal package")
    total = stats.total_tt  # type: ignore[attr-defined]
    lines = [
        f"# Profile: Bengal {spec}, {args.kind}-{args.pages} (seed {args.seed}), "
        f"variant `{args.variant}`",
        "",
        f"One validated build: {result.get('wall_s', 0):.2f} s wall, "
        f"{result.get('html_written')} of {result.get('html_total')} HTML pages written, "
        f"full rebuild: {result.get('full_rebuild')}; max_workers "
        f"{args.workers or 'Bengal default'}. cProfile total: {total:.2f} s"
        + (
            ""
            if args.workers == 1
            else " (several worker threads: cProfile mixes their call "
            "stacks, so cumulative times and callers are unreliable; trust own times and py-spy)"
        )
        + ". An in-process build's first run also pays for Bengal's lazy imports.",
        "",
        "## Top 5 bottlenecks in Bengal's own code",
        "",
        "Ranked by own time plus the time of the non-Bengal code (templates, markdown, stdlib) "
        "each function calls directly.",
        "",
    ]
    for i, (func, charged, own, cum) in enumerate(bottlenecks, 1):
        lines.append(
            f"{i}. `{func_label(func)}`: {charged:.3f} s "
            f"({100 * charged / total:.0f}% of profiled time; own {own:.3f} s, "
            f"cumulative {cum:.3f} s)"
        )
    lines += [
        "",
        f"## Top {TOP_N} by cumulative time",
        "",
        _table(stats, 3, TOP_N),
        "",
        f"## Top {TOP_N} by own time",
        "",
        _table(stats, 2, TOP_N),
        "",
    ]
    return "\n".join(lines)


def _by_label(stats: pstats.Stats) -> dict[str, tuple[float, float]]:
    """Own and cumulative seconds per function, keyed without line numbers (they move)."""
    merged: dict[str, tuple[float, float]] = {}
    for (filename, _line, name), (_cc, _nc, tt, ct, _) in stats.stats.items():  # type: ignore
        label = name if filename == "~" else f"{short_path(filename)} {name}"
        own, cum = merged.get(label, (0.0, 0.0))
        merged[label] = (own + tt, cum + ct)
    return merged


def diff_markdown(
    base: pstats.Stats,
    head: pstats.Stats,
    base_spec: str,
    head_spec: str,
    base_wall: float,
    head_wall: float,
    n: int = 25,
) -> str:
    """Functions that got slower from ``base`` to ``head`` (one build each: deltas per build)."""
    a, b = _by_label(base), _by_label(head)
    rows = []
    for label in set(a) | set(b):
        own_a, cum_a = a.get(label, (0.0, 0.0))
        own_b, cum_b = b.get(label, (0.0, 0.0))
        rows.append((label, own_b - own_a, cum_b - cum_a, own_a, own_b, cum_a, cum_b))

    def table(key: int, title: str) -> list[str]:
        slower = sorted((r for r in rows if r[key] > 0.0005), key=lambda r: r[key], reverse=True)[
            :n
        ]
        out = [
            f"## {title}",
            "",
            "| function | Δ own ms | Δ cumulative ms | own ms "
            f"{base_spec} → {head_spec} | cumulative ms |",
            "|---|---:|---:|---:|---:|",
        ]
        out += [
            f"| `{r[0]}` | {1000 * r[1]:+.1f} | {1000 * r[2]:+.1f} | {1000 * r[3]:.1f} → "
            f"{1000 * r[4]:.1f} | {1000 * r[5]:.1f} → {1000 * r[6]:.1f} |"
            for r in slower
        ]
        return [*out, ""] if slower else [*out, "(nothing got slower)", ""]

    return "\n".join(
        [
            f"# What got slower: Bengal {base_spec} → {head_spec}",
            "",
            f"One build each (deltas per build). Build wall time: {base_wall:.2f} s → "
            f"{head_wall:.2f} s ({head_wall / base_wall:.2f}x). Functions are matched by module "
            "and name; a function only in one version counts as 0 in the other.",
            "",
            *table(2, "Slower by cumulative time"),
            *table(1, "Slower by own time"),
            *calls_table(base, head, base_spec, head_spec),
        ]
    )


CALLS_TOP_N = 20


def _calls_by_label(stats: pstats.Stats) -> dict[str, int]:
    """Calls (primitive and recursive) per Bengal function, keyed without line numbers."""
    calls: dict[str, int] = {}
    for func, (_cc, nc, _tt, _ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        if is_bengal(func):
            label = f"{short_path(func[0])} {func[2]}"
            calls[label] = calls.get(label, 0) + nc
    return calls


def calls_diff(
    base: pstats.Stats, head: pstats.Stats, n: int = CALLS_TOP_N
) -> list[tuple[str, int, int]]:
    """``(function, base calls, head calls)`` of the Bengal functions whose call count changed
    most (by absolute change; ties by name). Call counts are what a one-worker build did, not
    how long it took, so they do not follow the machine's load."""
    a, b = _calls_by_label(base), _calls_by_label(head)
    changed = [(f, a.get(f, 0), b.get(f, 0)) for f in set(a) | set(b) if a.get(f, 0) != b.get(f, 0)]
    return sorted(changed, key=lambda r: (-abs(r[2] - r[1]), r[0]))[:n]


def calls_table(
    base: pstats.Stats, head: pstats.Stats, base_spec: str, head_spec: str
) -> list[str]:
    rows = calls_diff(base, head)
    out = [
        f"## Call counts: top {CALLS_TOP_N} Bengal functions by absolute change",
        "",
        "`ncalls` from cProfile: how often each function ran, not how fast, so the machine's "
        "load does not move it. With one worker (`--workers 1`) identical builds differ only "
        "where Bengal uses time-based caches or random choices, by a few calls: a large change "
        "here is a change in the work done, whatever the timings above say.",
        "",
        f"| function | Δ calls | calls {base_spec} → {head_spec} |",
        "|---|---:|---:|",
    ]
    out += [f"| `{f}` | {h - b:+d} | {b} → {h} |" for f, b, h in rows]
    return [*out, ""] if rows else [*out, "(no Bengal function changed its call count)", ""]
