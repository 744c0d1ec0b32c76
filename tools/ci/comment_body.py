"""The PR comment's body, rendered by this repository's code from asv's results JSON.

Why: the compare job that wrote the results ran the pull request's code, so every byte of its
artifact may be hostile. Only what this suite defines reaches the comment: benchmark names from an
allow-list, the suite's catalogue (``catalogue/catalogue.json``, written from the classes; never
the artifact's), parameter values shaped like this
suite's (short words and numbers), values that are numbers, commits that compare-meta names.
Anything else is left out and counted. ``check_body`` then accepts only lines this renderer
writes, so no free text (the compare job's markdown, a link, a mention) can be posted.

A noisy benchmark (``tools.noise.is_noisy``: times, memory, single-shot values) is decided here
again from the artifact's samples with the report's own function (``tools.noise.decide``), and
each one whose samples cannot tell is listed under the table with its evidence: undecided is
never a pass.

Stdlib only: the comment job installs nothing.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import catalogue
from tools import noise
from tools.ci.compare_meta import Meta
from tools.ci.sticky_comment import MARKER, run_marker

# asv stores parameter values as reprs: this suite's are short strings and numbers.
PARAM = r"'[A-Za-z0-9_.-]{1,40}'|-?[0-9]{1,9}(?:\.[0-9]{1,6})?|None|True|False"
VERDICTS = ("pass", "regression", "undecided", "failure", "crash", "error")
MAX_SAMPLES = 1000  # per parameter combination
MAX_FILE_BYTES = 8 * 2**20
MAX_FILES = 64
MAX_ROWS = 100  # per python; the run's report has them all
MAX_COMBOS = 1000  # parameter combinations of one benchmark
MAX_BODY = 60000  # GitHub refuses comments over 65536 characters

EXPLANATION = (
    "Values are asv's medians on one runner; the verdict (noisy benchmarks: a significance "
    "test on their samples against each one's floor; counts: each threshold; each direction) "
    "and the full report are in the workflow run."
)
TABLE_HEAD = "| family | benchmark | base | head | head / base |"
TABLE_RULE = "|---|---|---:|---:|---:|"
LEFT_OUT = "not this suite's benchmarks, commits or pythons, or malformed"
UNDECIDED_HEAD = "**Undecided** (the samples cannot tell; not a pass):"
# Conclusions of a compare run that ended before its verdict, as the comment says them.
ENDED_EARLY = {"cancelled": "was cancelled", "timed_out": "timed out"}


class BodyError(Exception):
    """The body, or what it would be made of, is not what this renderer writes: one line."""


# --- the allow-list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """What the catalogue says of one of the suite's benchmarks."""

    unit: str  # a track_'s unit, "" for asv's own (seconds, bytes)
    family: str
    higher_is_better: bool


def allowed_benchmarks(catalogue_json: Path = catalogue.JSON_PATH) -> dict[str, Known]:
    """``{asv name: Known}`` for every benchmark of the suite's catalogue (``module.Class.method``,
    or ``module.function``)."""
    try:
        entries = catalogue.load(catalogue_json)
    except catalogue.CatalogueError as exc:
        raise BodyError(str(exc)) from None
    return {e.name: Known(e.unit, e.family, e.higher_is_better) for e in entries}


def noisy_floors(factor: str = "", catalogue_json: Path = catalogue.JSON_PATH) -> dict[str, float]:
    """``{asv name: floor}`` of the benchmarks decided from samples: the declared threshold, or
    ``factor - 1`` when the run had one factor for every benchmark (compare-meta's)."""
    try:
        entries = catalogue.load(catalogue_json)
        one = float(factor) - 1.0 if factor else None
    except (catalogue.CatalogueError, ValueError) as exc:
        raise BodyError(str(exc)) from None
    return {
        e.name: one if one is not None else float(e.threshold or 0.0)
        for e in entries
        if noise.is_noisy(e.name, e.exact, e.threshold)
    }


def higher_is_better(allowed: dict[str, Known]) -> set[str]:
    """The benchmarks whose drop is the regression (speedups, rates)."""
    return {name for name, known in allowed.items() if known.higher_is_better}


# --- reading the artifact ----------------------------------------------------------------------


@dataclass
class Results:
    """What the artifact's results say, reduced to allowed names and numbers."""

    # (python, "name(params)") -> {"base": value, "head": value}; value None = failed
    values: dict[tuple[str, str], dict[str, float | None]] = field(default_factory=dict)
    # (python, "name(params)") -> {"base": samples, "head": samples}, where recorded
    samples: dict[tuple[str, str], dict[str, list[float]]] = field(default_factory=dict)
    # (python, "name(params)") -> {"base": asv's stats, "head": ...}: ci_99_a, ci_99_b, repeat
    stats: dict[tuple[str, str], dict[str, dict[str, float]]] = field(default_factory=dict)
    left_out: int = 0  # result entries or files that were not this suite's, or malformed
    commits: set[str] = field(default_factory=set)  # which of base/head have results


def read_results(results_dir: Path, meta: Meta, allowed: dict[str, Known]) -> Results:
    """asv's result files under ``results_dir/asv/<machine>/``, kept only where they are
    this suite's benchmarks at compare-meta's commits and pythons."""
    out = Results()
    folder = results_dir / "asv" / meta.machine
    files = sorted(p for p in folder.glob("*.json") if p.name != "machine.json")
    if len(files) > MAX_FILES:
        out.left_out += len(files) - MAX_FILES
        files = files[:MAX_FILES]
    side_of = {meta.base: "base", meta.head: "head"}
    for path in files:
        data = _load_json(path)
        if not (
            isinstance(data, dict)
            and isinstance(data.get("commit_hash"), str)
            and data["commit_hash"] in side_of
            and isinstance(data.get("python"), str)
            and data["python"] in meta.pythons
            and isinstance(data.get("result_columns"), list)
            and all(isinstance(c, str) for c in data["result_columns"])
            and {"result", "params"} <= set(data["result_columns"])
            and isinstance(data.get("results"), dict)
        ):
            out.left_out += 1
            continue
        side, python = side_of[data["commit_hash"]], data["python"]
        columns = data["result_columns"]
        i_result, i_params = columns.index("result"), columns.index("params")
        i_samples = columns.index("samples") if "samples" in columns else None
        for key, entry in data["results"].items():
            rows = _entry_rows(key, entry, i_result, i_params, allowed)
            if rows is None:
                out.left_out += 1
                continue
            for name, value in rows:
                out.values.setdefault((python, name), {})[side] = value
            for name, samples in _entry_samples(entry, i_samples, rows).items():
                out.samples.setdefault((python, name), {})[side] = samples
            for name, stats in _entry_stats(entry, columns, rows).items():
                out.stats.setdefault((python, name), {})[side] = stats
            out.commits.add(side)
    return out


def _load_json(path: Path) -> object:
    if path.stat().st_size > MAX_FILE_BYTES:
        return None
    try:
        return json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None


def _entry_rows(
    key: object, entry: object, i_result: int, i_params: int, allowed: dict[str, Known]
) -> list[tuple[str, float | None]] | None:
    """One benchmark's ``(display name, value)`` per parameter combination; None if not ours."""
    if not (isinstance(key, str) and key in allowed and isinstance(entry, list)):
        return None
    if len(entry) <= max(i_result, i_params):
        return None
    values, params = entry[i_result], entry[i_params]
    if not (isinstance(params, list) and all(isinstance(p, list) for p in params)):
        return None
    if not all(isinstance(v, str) and re.fullmatch(PARAM, v) for p in params for v in p):
        return None
    if math.prod(len(p) for p in params) > MAX_COMBOS:
        return None
    combos = list(itertools.product(*params)) if params else [()]
    if values is None:  # asv: the benchmark failed as a whole
        values = [None] * len(combos)
    if not isinstance(values, list) or len(values) != len(combos):
        return None
    rows = []
    for combo, value in zip(combos, values, strict=True):
        if value is not None and not _is_number(value):
            return None
        name = f"{key}({', '.join(combo)})" if combo else key
        rows.append((name, None if value is None else float(value)))
    return rows


def _entry_samples(
    entry: list, i_samples: int | None, rows: list[tuple[str, float | None]]
) -> dict[str, list[float]]:
    """The recorded samples per display name: only lists of finite numbers, one per combination
    (anything else: no samples, the value alone)."""
    if i_samples is None or len(entry) <= i_samples or not isinstance(entry[i_samples], list):
        return {}
    per_combo = entry[i_samples]
    if len(per_combo) != len(rows):
        return {}
    out = {}
    for (name, _), samples in zip(rows, per_combo, strict=True):
        if (
            isinstance(samples, list)
            and 0 < len(samples) <= MAX_SAMPLES
            and all(_is_number(v) and math.isfinite(v) for v in samples)
        ):
            out[name] = [float(v) for v in samples]
    return out


STATS = ("ci_99_a", "ci_99_b", "repeat")


def _entry_stats(
    entry: list, columns: list[str], rows: list[tuple[str, float | None]]
) -> dict[str, dict[str, float]]:
    """asv's 99% interval and sample count per display name, where they are finite numbers."""
    found: dict[str, list] = {}
    for stat in STATS:
        i = columns.index(f"stats_{stat}") if f"stats_{stat}" in columns else None
        if i is None or len(entry) <= i or not isinstance(entry[i], list):
            return {}
        if len(entry[i]) != len(rows):
            return {}
        found[stat] = entry[i]
    out = {}
    for j, (name, _) in enumerate(rows):
        values = {stat: found[stat][j] for stat in STATS}
        if all(_is_number(v) and math.isfinite(v) for v in values.values()):
            out[name] = {k: float(v) for k, v in values.items()}
    return out


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) or math.isnan(value)  # NaN: asv's "skipped"


def read_verdict(results_dir: Path) -> str | None:
    """The verdict kind the compare job recorded, if it is one of VERDICTS."""
    data = _load_json(path) if (path := results_dir / "verdict.json").is_file() else None
    kind = data.get("kind") if isinstance(data, dict) else None
    return kind if kind in VERDICTS else None


# --- rendering ---------------------------------------------------------------------------------


def headline(conclusion: str, verdict: str | None) -> str:
    """The verdict word: the compare job's, when it agrees with the run's conclusion (which
    GitHub sets: the job fails exactly when the verdict is not pass)."""
    if verdict is not None and (verdict == "pass") == (conclusion == "success"):
        return verdict
    return "no verdict"


def render(
    results: Results,
    meta: Meta,
    allowed: dict[str, Known],
    *,
    conclusion: str,
    verdict: str | None,
    run_url: str,
    higher: frozenset[str] | set[str] = frozenset(),
    floors: dict[str, float] | None = None,
) -> str:
    """The whole comment: marker, verdict, commits and run link, one table per python, and
    under it the undecided benchmarks with their evidence.

    ``higher``: the benchmarks where higher is better (their drop is the regression);
    ``floors``: the noisy benchmarks and their floors (``noisy_floors``)."""
    word = headline(conclusion, verdict)
    mark = {"pass": "🟢", "no verdict": "⚪", "undecided": "🟡"}.get(word, "🔴")
    title = f"no verdict for `{meta.head[:8]}`" if word == "no verdict" else word
    lines = [
        MARKER,
        run_marker(meta.run_id),
        f"## {mark} Bengal benchmarks: {title}",
        "",
        f"`{meta.base[:8]}` → `{meta.head[:8]}` · [workflow run]({run_url})",
        "",
    ]
    if conclusion in ENDED_EARLY:
        lines += [f"The workflow run {ENDED_EARLY[conclusion]}: this is no verdict.", ""]
    lines.append(EXPLANATION)
    missing = {"base", "head"} - results.commits
    if missing:
        which = "either" if len(missing) == 2 else f"the {missing.pop()}"
        lines += ["", f"No results for {which} commit."]
    for python in meta.pythons:
        rows = [(name, v) for (py, name), v in results.values.items() if py == python]
        if not rows:
            continue
        ranked = sorted(rows, key=lambda r: (_order(r[1], r[0].split("(", 1)[0] in higher), r[0]))
        kept = [r for r in ranked if _order(r[1], False)[0] < KEPT_KINDS]
        kept += [r for r in ranked if r not in kept][: max(0, MAX_ROWS - len(kept))]
        kept.sort(key=ranked.index)
        lines += ["", f"### Python {python}", "", TABLE_HEAD, TABLE_RULE]
        for name, sides in kept:
            known = allowed[name.split("(", 1)[0]]
            base, head = sides.get("base", ...), sides.get("head", ...)
            lines.append(
                f"| {known.family} | `{name}` | {_value(name, base, known.unit)} "
                f"| {_value(name, head, known.unit)} | {_ratio(base, head)} |"
            )
        if len(rows) > len(kept):
            lines.append(f"… and {len(rows) - len(kept)} more rows in the run's report.")
        undecided = _undecided(results, python, rows, floors or {}, higher)
        if undecided:
            lines += ["", UNDECIDED_HEAD, ""]
            lines += [f"- `{name}`: {d.evidence()}" for name, d in undecided[:MAX_ROWS]]
            if len(undecided) > MAX_ROWS:
                lines.append(f"… and {len(undecided) - MAX_ROWS} more rows in the run's report.")
    if results.left_out:
        n = results.left_out
        lines += ["", f"{n} result {'entry' if n == 1 else 'entries'} left out: {LEFT_OUT}."]
    return "\n".join(lines) + "\n"


def _undecided(
    results: Results,
    python: str,
    rows: list[tuple[str, dict]],
    floors: dict[str, float],
    higher: frozenset[str] | set[str],
) -> list[tuple[str, noise.Decision]]:
    """The noisy benchmarks measured at both commits whose samples cannot tell (by name)."""
    out = []
    for name, sides in sorted(rows):
        key = name.split("(", 1)[0]
        base, head = sides.get("base", ...), sides.get("head", ...)
        if key not in floors or not all(
            isinstance(v, float) and math.isfinite(v) for v in (base, head)
        ):
            continue
        samples = results.samples.get((python, name), {})
        stats = results.stats.get((python, name), {})
        up = key in higher
        if samples:
            d = noise.decide(
                samples.get("base", [base]), samples.get("head", [head]), floors[key], up
            )
        elif len(stats) == 2 and min(s["repeat"] for s in stats.values()) > 1:
            d = noise.decide_from_stats(base, stats["base"], head, stats["head"], floors[key], up)
        else:
            d = noise.decide([base], [head], floors[key], up)
        if d.outcome == "undecided":
            out.append((name, d))
    return out


KEPT_KINDS = 3  # the cut never drops failures, lost values and counters that left 0


def _order(sides: dict, higher_is_better: bool) -> tuple[int, float]:
    """Most severe first: failed at head (0); measured at base, gone or skipped at head (1);
    a count that left 0 (2); then by how much worse head is than base, a speedup's drop
    counted like a time's rise (3); the rest, e.g. new benchmarks (4)."""
    base, head = sides.get("base", ...), sides.get("head", ...)
    measured_base = isinstance(base, float) and not math.isnan(base)
    if head is None:
        return (0, 0.0)
    if measured_base and (head is ... or (isinstance(head, float) and math.isnan(head))):
        return (1, 0.0)
    if base == 0.0 and isinstance(head, float) and head != 0.0 and not math.isnan(head):
        return (2, 0.0)
    ratio = _ratio_value(base, head)
    if ratio is None or ratio <= 0:
        return (4, 0.0)
    return (3, -(1 / ratio if higher_is_better else ratio))


def _ratio_value(base: object, head: object) -> float | None:
    if not (isinstance(base, float) and isinstance(head, float)) or not base:
        return None
    ratio = head / base
    return ratio if math.isfinite(ratio) else None


def _ratio(base: object, head: object) -> str:
    ratio = _ratio_value(base, head)
    return "n/a" if ratio is None else f"{ratio:.2f}"


def _value(name: str, value: object, unit: str) -> str:
    if value is ...:
        return "—"
    if value is None:
        return "failed"
    assert isinstance(value, float)
    if math.isnan(value):
        return "n/a"
    leaf = name.split("(", 1)[0].rsplit(".", 1)[-1]
    if leaf.startswith(("time_", "timeraw_")):
        scales = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))
    elif leaf.startswith(("peakmem_", "mem_")):
        scales = ((1e9, "GB"), (1e6, "MB"), (1e3, "kB"), (1.0, "B"))
    else:
        return f"{value:.4g}" + (f" {unit}" if unit else "")
    for scale, suffix in scales:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {suffix}"
    return f"{value / scales[-1][0]:.3g} {scales[-1][1]}"


# --- the gate on the text ----------------------------------------------------------------------

NUMBER = r"-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?"
VALUE = rf"(?:failed|n/a|—|{NUMBER}(?: (?:s|ms|µs|ns|GB|MB|kB|B|[A-Za-z/%]{{1,12}}))?)"
ROW = re.compile(
    rf"\| (?P<family>[a-z]{{1,20}}) \| `(?P<key>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*){{1,2}})"
    rf"(?:\((?P<params>(?:{PARAM})(?:, (?:{PARAM}))*)\))?` "
    rf"\| {VALUE} \| {VALUE} \| (?:n/a|{NUMBER}) \|"
)
PCT = r"[0-9]{1,9}(?:\.[0-9]{1,2})?%"
SIGNED = r"[+-][0-9]{1,9}\.[0-9]%"
UNDECIDED_ROW = re.compile(
    rf"- `(?P<key>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*){{1,2}})"
    rf"(?:\((?:{PARAM})(?:, (?:{PARAM}))*\))?`: "
    rf"n [0-9]{{1,6}}/[0-9]{{1,6}}(?: · spread (?:{PCT}|n/a)/(?:{PCT}|n/a))? "
    rf"· p (?:n/a|{NUMBER}) (?:· [0-9]{{2}}% CI {SIGNED}…{SIGNED} )?· floor {PCT}"
)
FIXED = [
    re.compile(re.escape(line))
    for line in (MARKER, "", EXPLANATION, TABLE_HEAD, TABLE_RULE, UNDECIDED_HEAD)
] + [
    re.compile(r"<!-- bengal-benchmarks:run=[0-9]{1,20} -->"),
    re.compile(
        r"## (?:🟢|🔴|⚪|🟡) Bengal benchmarks: "
        r"(?:pass|regression|undecided|failure|crash|error|no verdict for `[0-9a-f]{8}`)"
    ),
    re.compile(r"The workflow run (?:was cancelled|timed out): this is no verdict\."),
    re.compile(
        r"`[0-9a-f]{8}` → `[0-9a-f]{8}` · \[workflow run\]"
        r"\(https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/actions/runs/[0-9]+\)"
    ),
    re.compile(r"No results for (?:either|the base|the head) commit\."),
    re.compile(r"### Python 3\.[0-9]{1,2}t?"),
    re.compile(r"… and [0-9]+ more rows in the run's report\."),
    re.compile(rf"[0-9]+ result (?:entry|entries) left out: {re.escape(LEFT_OUT)}\."),
]  # fmt: skip


def check_body(body: str, allowed: dict[str, Known]) -> None:
    """BodyError unless every line is one this renderer writes, naming allowed benchmarks."""
    if len(body) > MAX_BODY:
        raise BodyError(f"the body has {len(body)} characters, over {MAX_BODY}")
    lines = body.split("\n")
    if lines[0] != MARKER or lines[-1] != "":
        raise BodyError("the body does not start with the marker line and end with a newline")
    for number, line in enumerate(lines[:-1], 1):
        row = ROW.fullmatch(line)
        if row:
            if row["key"] not in allowed:
                raise BodyError(
                    f"line {number} names {row['key']!r}, not a benchmark of this suite"
                )
            if row["family"] != allowed[row["key"]].family:
                raise BodyError(f"line {number} puts {row['key']!r} in another family")
            continue
        undecided = UNDECIDED_ROW.fullmatch(line)
        if undecided:
            if undecided["key"] not in allowed:
                raise BodyError(
                    f"line {number} names {undecided['key']!r}, not a benchmark of this suite"
                )
            continue
        if not any(rx.fullmatch(line) for rx in FIXED):
            raise BodyError(f"line {number} is not one the renderer writes: {line[:80]!r}")
