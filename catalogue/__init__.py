"""The suite's catalogue: every asv benchmark and what it declares, derived from the classes.

Why: the benchmarks are the only list of themselves. Each class says its thresholds
(``regression_threshold``), its direction (``higher_is_better``), its units and its
``setup_cache``; a class whose numbers the runner's load cannot move says ``exact = True``. From
that, this module derives each benchmark's family, and the tier parts it runs in
(``catalogue.tiers``: the parts are grouped by ``setup_cache``). asv.conf.json's thresholds
(``catalogue.thresholds``), the tiers' parts, the PR comment's families and units and the README's
table all read it, so adding a benchmark means writing one class.

``build()`` imports the benchmark modules; ``catalogue.json`` is what it gives, written by
``python -m catalogue write`` and checked by ``python -m catalogue check`` (and a test), so
that stdlib-only jobs (the PR comment, the plan) read the catalogue without importing the suite.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"
JSON_PATH = Path(__file__).resolve().parent / "catalogue.json"
PREFIXES = ("time_", "timeraw_", "mem_", "peakmem_", "track_")
FORMAT = 1


class CatalogueError(Exception):
    """The catalogue cannot be read or is stale: one line."""


@dataclass(frozen=True)
class Entry:
    """One asv benchmark (``module.Class.method``, or ``module.function``) and its declarations."""

    name: str
    family: str  # the report's and comment's group (see ``family``)
    unit: str  # a track_'s declared unit; "" for asv's own (seconds, bytes)
    threshold: float | None  # None: declares none (catalogue.thresholds refuses that)
    higher_is_better: bool  # speedups and rates: their drop is the regression
    not_a_regression: bool  # a spread or other context value: no step detection
    setup_cache: str  # the name of its setup_cache function, "" without one
    exact: bool  # a count the runner's load does not move: the exact tier measures it

    @property
    def owner(self) -> str:
        """``module.Class`` (``module.function`` for a function)."""
        return self.name.rsplit(".", 1)[0] if self.name.count(".") == 2 else self.name

    @property
    def method(self) -> str:
        return self.name.rsplit(".", 1)[-1]


def family(name: str) -> str:
    """A benchmark's family: its module without ``bench_``, except that memory figures
    (``peakmem_``, RSS) of any module but the scaling ladder are ``memory``."""
    module, _, rest = name.partition(".")
    method = rest.rsplit(".", 1)[-1]
    base = module.removeprefix("bench_")
    if base != "scaling" and (method.startswith("peakmem_") or re.search(r"rss|mem", method)):
        return "memory"
    return base


def build(bench_dir: Path = BENCH_DIR) -> list[Entry]:
    """Every benchmark asv would discover in ``bench_dir`` (module.Class.method, inherited
    methods included, names starting with ``_`` skipped), with what it declares."""
    package = bench_dir.name
    if str(bench_dir.parent) not in sys.path:
        sys.path.insert(0, str(bench_dir.parent))
    found = []
    for path in sorted(bench_dir.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{path.stem}")
        for cls_name, cls in vars(module).items():
            if (
                not inspect.isclass(cls)
                or cls_name.startswith("_")
                or cls.__module__ != module.__name__
            ):
                continue
            for attr in sorted(dir(cls)):
                if attr.startswith(PREFIXES) and callable(method := getattr(cls, attr)):
                    found.append(_entry(f"{path.stem}.{cls_name}.{attr}", cls, method))
        for fn_name, fn in vars(module).items():
            if fn_name.startswith(PREFIXES) and inspect.isfunction(fn):
                found.append(_entry(f"{path.stem}.{fn_name}", None, fn))
    return found


def _entry(name: str, cls: type | None, method: object) -> Entry:
    def attr(key: str, default: object) -> object:
        return getattr(method, key, getattr(cls, key, default) if cls else default)

    threshold = attr("regression_threshold", None)
    cache = getattr(cls, "setup_cache", None) if cls else None
    unit = getattr(method, "unit", "") if name.rsplit(".", 1)[-1].startswith("track_") else ""
    return Entry(
        name=name,
        family=family(name),
        unit=str(unit),
        threshold=None if threshold is None else float(threshold),  # type: ignore[arg-type]
        higher_is_better=bool(attr("higher_is_better", False)),
        not_a_regression=bool(attr("not_a_regression", False)),
        setup_cache=getattr(cache, "__name__", "") if cache else "",
        exact=bool(attr("exact", False)),
    )


def to_json(entries: list[Entry]) -> str:
    rows = {e.name: {k: v for k, v in asdict(e).items() if k != "name"} for e in entries}
    return json.dumps({"format": FORMAT, "benchmarks": rows}, indent=1, sort_keys=True) + "\n"


def load(path: Path = JSON_PATH) -> list[Entry]:
    """The written catalogue (stdlib only: no benchmark module is imported)."""
    try:
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            raise CatalogueError(f"{path}: format {data.get('format')!r}, expected {FORMAT}")
        return [Entry(name=n, **fields) for n, fields in data["benchmarks"].items()]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CatalogueError(f"{path}: not a catalogue ({exc})") from None


def owners(entries: list[Entry]) -> dict[str, list[Entry]]:
    """The entries by ``module.Class``, in the catalogue's order."""
    found: dict[str, list[Entry]] = {}
    for e in entries:
        found.setdefault(e.owner, []).append(e)
    return found


def benchmarks_table(entries: list[Entry]) -> str:
    """Markdown for the README: one row per family, its classes, units, thresholds and parts."""
    from catalogue import tiers

    by_family: dict[str, list[Entry]] = {}
    for e in entries:
        by_family.setdefault(e.family, []).append(e)
    lines = [
        "| family | benchmarks | classes | units | thresholds | tier parts |",
        "|---|---:|---|---|---|---|",
    ]
    for fam in sorted(by_family):
        group = by_family[fam]
        classes = sorted({e.owner.split(".", 1)[1] for e in group})
        units = sorted({e.unit or _asv_unit(e.method) for e in group})
        limits = sorted({e.threshold for e in group if e.threshold is not None})
        parts = sorted({p for e in group for p in tiers.parts_of(e)})
        lines.append(
            f"| {fam} | {len(group)} | {', '.join(f'`{c}`' for c in classes)} | "
            f"{', '.join(units)} | {', '.join(f'{t:.0%}' for t in limits)} | "
            f"{', '.join(parts)} |"
        )
    return "\n".join(lines) + "\n"


def _asv_unit(method: str) -> str:
    if method.startswith(("time_", "timeraw_")):
        return "s"
    return "bytes" if method.startswith(("mem_", "peakmem_")) else "unit"
