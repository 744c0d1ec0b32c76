"""What each workflow's rehearsal must leave behind; every function returns its failures, one
line each (empty: it passed).

The checks read what a maintainer would look at: how each job ended, the results branch on
origin, the requests sent to GitHub's API (``requests.jsonl``), and the published site as
Chromium draws it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from rehearsal import act, scenarios, site
from rehearsal.scenarios import Rehearsal
from rehearsal.world import git


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


def results_files(r: Rehearsal) -> dict[str, dict]:
    """Every result file on origin's results branch: ``machine/file`` -> its JSON."""
    listing = git(r.world.origin, "ls-tree", "-r", "--name-only", "results", "--", "results")
    out = {}
    for path in listing.split():
        if path.endswith(".json") and path.count("/") == 2 and not path.endswith("machine.json"):
            out[path.split("/", 1)[1]] = json.loads(git(r.world.origin, "show", f"results:{path}"))
    return out


def stored_parts(r: Rehearsal, part_names: dict[str, tuple[str, ...]]) -> dict[tuple, int]:
    """(machine, commit, part) -> how many result files hold a value of one of the part's
    benchmarks (``part_names``: part -> benchmark name prefixes)."""
    found: dict[tuple, int] = {}
    for key, data in results_files(r).items():
        machine = key.split("/")[0]
        names = list(data.get("results") or {})
        for part, prefixes in part_names.items():
            if any(n.startswith(prefixes) for n in names):
                k = (machine, data["commit_hash"], part)
                found[k] = found.get(k, 0) + 1
    return found


def published_site(r: Rehearsal, run: act.Run, expect: str) -> list[str]:
    """The github-pages artifact of ``run``, opened in Chromium, draws ``expect``."""
    try:
        where = r.world.root / f"site-{run.run_id}"
        root = site.unpack(r.world.root / "artifacts", run.run_id, where)
        dom = site.open_in_chromium(root, where.with_suffix(".png"))
    except site.SiteError as exc:
        return [f"the published site: {exc}"]
    return [] if expect in dom else [f"the published site, drawn by Chromium, shows no {expect!r}"]


def nightly(r: Rehearsal) -> list[str]:
    run = scenarios.nightly(r, exact_cap=2, scale_budget=0)
    out = jobs(run, {"select": "success", "bench": "success", "store": "success"})
    out += jobs(run, {"publish": "success", "deploy": "success"})
    if not requests(r, "POST", "/pages/deployments"):
        out.append("deploy sent no Pages deployment request")
    out += published_site(r, run, "bench_")
    return out


REHEARSE: dict[str, Callable[[Rehearsal], list[str]]] = {
    "nightly": nightly,
}
