"""Re-baselines: where a tier's history moved from one environment's series to the next.

Why: a change of the declared environment (``scope.environment``) gives the tier a new asv
machine name, so its numbers start a new series instead of a step in the old one (asv draws,
and detects steps in, each machine's graph apart: no regression issue, no bisect). The new
series starts empty; to join the two, the nightly re-measures the last commit the previous series
measured (``rebaseline_commit``), so that one commit has a value in both environments. This
module derives the re-baselines from the results directory itself (nothing else to keep in
step): every CI machine (``gha-…-<series>``) of a tier is one series; they follow each other in
the order of their newest measured commit.

    python -m tools.history.rebaseline RESULTS_DIR [--json OUT]     # the re-baselines, one a line
    python -m tools.history.rebaseline RESULTS_DIR --site HTML_DIR  # mark them on a published site

On a site, ``rebaselines.json`` lists them, each is a tag of ``index.json`` (asv draws tags as
labelled vertical lines on every graph) and ``rebaselines.html`` explains them, linked from a
line added to the site's pages. Stdlib-only.
"""

from __future__ import annotations

import argparse
import html
import itertools
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from catalogue import tiers
from scope.environment import CPU_KEY, FIELDS
from tools.history import failed_commits

PREFIX = "gha-"  # CI machines (scope.machine's gha preset); local ones are not series here
FILE_NAME = "rebaselines.json"
PAGE = "rebaselines.html"
BANNER = "<!-- bengal-rebaselines -->"
_CPU = re.compile(r"[\w ()@.,+-]{1,100}")


@dataclass
class Series:
    """One CI machine directory: a tier's series in one environment."""

    machine: str
    tier: str
    fields: dict[str, str]
    dates: dict[str, int] = field(default_factory=dict)  # measured commit -> its date (ms)
    cpus: dict[str, int] = field(default_factory=dict)  # CPU model -> benchmarks it measured

    @property
    def last(self) -> str | None:
        """The newest commit with a value (asv's ``date`` is the commit's date)."""
        return max(self.dates, key=lambda c: (self.dates[c], c)) if self.dates else None

    def order(self) -> tuple[int, int, str]:
        """Series follow each other by their newest commit; the newer of two that end at the
        same commit (the joining one) is the one that started later."""
        return (max(self.dates.values()), min(self.dates.values()), self.machine)


def tier_of(machine: str) -> str | None:
    """The tier whose series a CI machine name ends in (``-exact``, ``-nightly``)."""
    if not machine.startswith(PREFIX):
        return None
    return next((t.name for t in tiers.TIERS.values() if machine.endswith(f"-{t.series}")), None)


def _load(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def series(results_dir: Path, tier: str | None = None) -> list[Series]:
    """Every CI series in ``results_dir`` (of ``tier`` if given), oldest first."""
    found = []
    if not results_dir.is_dir():
        return found
    for mdir in sorted(p for p in results_dir.iterdir() if p.is_dir()):
        name = tier_of(mdir.name)
        machine = _load(mdir / "machine.json")
        if name is None or machine is None or (tier and name != tier):
            continue
        s = Series(mdir.name, name, {f: str(machine.get(f, "")) for f in FIELDS})
        for path in mdir.glob("*.json"):
            result = _load(path) if path.name != "machine.json" else None
            if not result or failed_commits.classify(result) != "ok":
                continue
            sha, date = result.get("commit_hash"), result.get("date")
            if isinstance(sha, str) and isinstance(date, int):
                s.dates[sha] = max(date, s.dates.get(sha, date))
            models = result.get(CPU_KEY)
            for model in models.values() if isinstance(models, dict) else []:
                # written by a job that ran Bengal: shown only when it reads as a CPU model
                name = str(model) if _CPU.fullmatch(str(model)) else "(not a CPU model name)"
                s.cpus[name] = s.cpus.get(name, 0) + 1
        if s.dates:
            found.append(s)
    return sorted(found, key=Series.order)


def previous_series(results_dir: Path, tier: str, current: str) -> str | None:
    """The machine of the tier's newest series other than ``current`` (None: there is none)."""
    others = [s for s in series(results_dir, tier) if s.machine != current]
    return others[-1].machine if others else None


def rebaseline_commit(results_dir: Path, tier: str, current: str) -> str | None:
    """The commit the nightly must measure in the ``current`` series so that it joins the
    previous one: the previous series' last measured commit, until ``current`` has it."""
    chain = series(results_dir, tier)
    others = [s for s in chain if s.machine != current]
    now = [s for s in chain if s.machine == current]
    if not others:
        return None
    last = others[-1].last
    return None if now and last in now[0].dates else last


def rebaselines(results_dir: Path) -> list[dict[str, object]]:
    """Each move of a tier to a new series: from, to, the commit that joins them (measured in
    both, or still ``pending``), what changed, and the CPU models of the new series."""
    out: list[dict[str, object]] = []
    for name in tiers.TIERS:
        chain = series(results_dir, name)
        for old, new in itertools.pairwise(chain):
            changed = {
                f: [old.fields[f] or "(none)", new.fields[f] or "(none)"]
                for f in FIELDS
                if old.fields[f] != new.fields[f]
            }
            out.append(
                {
                    "tier": name,
                    "from": old.machine,
                    "to": new.machine,
                    "commit": old.last,
                    "remeasured": old.last in new.dates,
                    "changed": changed,
                    "cpu_models": dict(sorted(new.cpus.items())),
                }
            )
    return out


def describe(entry: dict) -> str:
    """One line: ``exact: python_patch 3.14.10 → 3.14.11 at 1234abcd (re-measured)``."""
    changed = entry["changed"] or {"machine": [entry["from"], entry["to"]]}
    what = ", ".join(f"{f} {a} → {b}" for f, (a, b) in changed.items())  # type: ignore[union-attr]
    state = "re-measured" if entry["remeasured"] else "not re-measured yet"
    return f"{entry['tier']}: {what} at {str(entry['commit'])[:8]} ({state})"


def tag(entry: dict) -> str:
    """The label asv draws on every graph at the joining commit."""
    return f"re-baseline {entry['tier']} ({', '.join(entry['changed']) or 'machine'})"


def mark_site(site: Path, entries: list[dict[str, object]]) -> int:
    """Write rebaselines.json and rebaselines.html, tag the joining commits in index.json and add
    a line to the site's pages; returns the number of tags added."""
    (site / FILE_NAME).write_text(json.dumps(entries, indent=1) + "\n")
    index_path = site / "index.json"
    index = _load(index_path) or {}
    revision = {sha: int(rev) for rev, sha in (index.get("revision_to_hash") or {}).items()}
    tagged = 0
    for entry in entries:
        if entry["commit"] in revision:
            index.setdefault("tags", {})[tag(entry)] = revision[str(entry["commit"])]
            tagged += 1
    if tagged:
        index_path.write_text(json.dumps(index))
    rows = "".join(f"<li>{html.escape(describe(e))}</li>" for e in entries) or "<li>none</li>"
    (site / PAGE).write_text(
        "<!doctype html><meta charset='utf-8'><title>Re-baselines</title>"
        "<h1>Re-baselines</h1><p>A tier's numbers moved to a new series when the declared "
        "environment changed (runner image, Python patch, valgrind, or this suite's measurement "
        "revision: scope/environment.py). No step is detected across one; the joining commit "
        "is measured in both series and tagged on every graph.</p>"
        f"<ul>{rows}</ul><p><a href='index.html'>back to the graphs</a></p>\n"
    )
    if entries:
        line = (
            f"{BANNER}<div style='padding:0.3em 1em;background:#ffe;border-bottom:1px solid #ccb'>"
            f"{len(entries)} re-baseline(s): no step across them: "
            f"{html.escape(describe(entries[-1]))} <a href='{PAGE}'>all re-baselines</a></div>"
        )
        for page in ("index.html", "regressions.html"):
            path = site / page
            if path.exists() and BANNER not in (text := path.read_text()):
                at = text.find(">", text.find("<body")) + 1 if "<body" in text else 0
                path.write_text(text[:at] + line + text[at:])
    return tagged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.history.rebaseline", description=__doc__)
    parser.add_argument("results", type=Path, help="an asv results directory")
    parser.add_argument("--json", type=Path, help="write the re-baselines here")
    parser.add_argument("--site", type=Path, help="a published asv site to mark them on")
    args = parser.parse_args(argv)
    if not args.results.is_dir():
        print(f"error: {args.results} is not a directory", file=sys.stderr)
        return 2
    if args.site and not (args.site / "index.json").exists():
        print(f"error: {args.site} is not a published asv site (no index.json)", file=sys.stderr)
        return 2
    entries = rebaselines(args.results)
    print(f"### Re-baselines ({len(entries)})\n")  # markdown: also a run summary
    for entry in entries:
        print(f"- {describe(entry)}")
    print("\n### Series and the CPU models that measured them\n")
    for s in series(args.results):
        models = ", ".join(f"{m}: {n}" for m, n in sorted(s.cpus.items())) or "none recorded"
        print(f"- `{s.machine}`: {len(s.dates)} commit(s); benchmarks per CPU model: {models}")
    if args.json:
        args.json.write_text(json.dumps(entries, indent=1) + "\n")
    if args.site:
        mark_site(args.site, entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
