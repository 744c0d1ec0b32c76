"""Which regressions a freshly published asv site lists that the previous one did not.

Why: asv's only notification is ``regressions.json`` / an Atom feed; the nightly workflow opens or
updates an issue when the list *gains* an entry. Entries are compared by (benchmark with params,
graph, commit after the jump) using commit hashes, not asv's revision numbers, because a backfill
inserts older commits and renumbers every revision.

    python -m tools.ci.new_regressions OLD_SITE NEW_SITE [--markdown FILE] [--github-output]

``OLD_SITE`` may be missing (first publish: every entry is new). Exit 0 whether or not there are
new entries; ``--fail-on-new`` exits 1 when there are. ``--github-output`` writes ``new`` (the
count) and, for the first new jump (of the exact tier's series when there is one: a bisect
probes commits by instruction counts), ``benchmark``, ``good`` (last commit before the jump,
empty when the jump is that single commit) and ``bad`` (first commit after it): the hook for a
bisect of the range.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from tools.ci import github_output


@dataclass(frozen=True, order=True)
class Jump:
    """One regression step of one benchmark series."""

    benchmark: str  # asv's entry name, params included
    graph: str  # graph path: machine, python, branch… of the series
    after: str  # first commit with the worse value
    before: str | None  # last good commit (None: the step is that single commit)
    before_value: float
    after_value: float

    @property
    def key(self) -> tuple[str, str, str]:
        """The graph without ``<param>-null`` segments: asv adds one to every graph of the older
        series when newer machines record a field they lack (scope.environment's fields),
        which moves no series and must not make its known regressions new."""
        graph = "/".join(p for p in self.graph.split("/") if not p.endswith("-null"))
        return (self.benchmark, graph, self.after)


def load_site(site: Path) -> list[Jump]:
    """The regression jumps of a published site (``[]`` when there is no site yet)."""
    reg, index = site / "regressions.json", site / "index.json"
    if not reg.exists():
        return []
    if not index.exists():
        raise SystemExit(f"error: {site} has regressions.json but no index.json")
    regressions = json.loads(reg.read_text()).get("regressions", [])
    rev_to_hash = json.loads(index.read_text()).get("revision_to_hash", {})

    def commit(rev: int | None) -> str | None:
        return None if rev is None else rev_to_hash.get(str(rev), f"rev{rev}")

    jumps: list[Jump] = []
    for entry in regressions:
        name, graph, _params, _idx, _last, _best, steps = entry[:7]
        for before, after, v_before, v_after in steps:
            jumps.append(Jump(name, graph, commit(after) or "", commit(before), v_before, v_after))
    return jumps


def new_jumps(old: list[Jump], new: list[Jump]) -> list[Jump]:
    seen = {j.key for j in old}
    return sorted(j for j in new if j.key not in seen)


def markdown(jumps: list[Jump], site_url: str = "", commit_url: str = "") -> str:
    """A table for the issue body: benchmark, series, commits, before → after."""
    if not jumps:
        return "No new regressions.\n"

    def link(sha: str | None) -> str:
        if not sha:
            return "—"
        return f"[`{sha[:8]}`]({commit_url}{sha})" if commit_url else f"`{sha[:8]}`"

    lines = [
        f"asv's step detection found {len(jumps)} new regression(s)"
        + (f" on the [published site]({site_url}#regressions)." if site_url else "."),
        "",
        "| Benchmark | Series | Commits | Before | After | Ratio |",
        "|---|---|---|---|---|---|",
    ]
    for j in jumps:
        ratio = f"{j.after_value / j.before_value:.2f}" if j.before_value else "∞"
        commits = f"{link(j.before)}..{link(j.after)}" if j.before else link(j.after)
        series = j.graph.removeprefix("graphs/").rsplit("/", 1)[0]
        lines.append(
            f"| `{j.benchmark}` | {series} | {commits} | {j.before_value:.4g} "
            f"| {j.after_value:.4g} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def bisect_target(jumps: list[Jump]) -> dict[str, str]:
    """``benchmark``, ``good``, ``bad`` of the first jump, the exact tier's first; or empty."""
    if not jumps:
        return {"benchmark": "", "good": "", "bad": ""}
    exact = [j for j in jumps if "-exact/" in j.graph or j.graph.endswith("-exact")]
    j = (exact or jumps)[0]
    return {"benchmark": j.benchmark, "good": j.before or "", "bad": j.after}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.new_regressions", description=__doc__)
    parser.add_argument("old_site", type=Path)
    parser.add_argument("new_site", type=Path)
    parser.add_argument("--markdown", type=Path, help="write the issue body here")
    parser.add_argument("--site-url", default="")
    parser.add_argument("--commit-url", default="https://github.com/lbliii/bengal/commit/")
    parser.add_argument("--github-output", action="store_true")
    parser.add_argument("--fail-on-new", action="store_true")
    args = parser.parse_args(argv)
    if not (args.new_site / "index.json").exists():
        print(f"error: {args.new_site} is not a published asv site", file=sys.stderr)
        return 2
    found = new_jumps(load_site(args.old_site), load_site(args.new_site))
    body = markdown(found, args.site_url, args.commit_url)
    if args.markdown:
        args.markdown.write_text(body)
    print(f"{len(found)} new regression(s)")
    for j in found:
        print(f"  {j.benchmark} @ {j.after[:8]}: {j.before_value:.4g} -> {j.after_value:.4g}")
    if args.github_output and not github_output.write(new=len(found), **bisect_target(found)):
        return 2
    return 1 if (found and args.fail_on_new) else 0


if __name__ == "__main__":
    sys.exit(main())
