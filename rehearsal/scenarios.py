"""Each workflow's rehearsal: its event, its cheap settings, and what it must leave behind.

The settings are repository variables and dispatch inputs, the knobs a maintainer has too; the
workflows' logic is the same as on GitHub. ``CHEAP`` makes the sites smoke-sized and the runs
few; the bench jobs use this machine's valgrind instead of installing it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from rehearsal import act, github
from rehearsal.world import PR, REPOSITORY, World
from scope import environment

DEPLOY_PAGES = "actions/deploy-pages@d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e"
STAND_INS = Path(__file__).resolve().parent / "stand-ins"

# Repository variables of every rehearsal: smoke-sized sites, one python, the host's valgrind,
# every commit of the local history in the nightly's window (its commits carry 0.1.2's date).
CHEAP = {
    "BENCH_PROFILE": "smoke",
    "BENCH_INSTALL_VALGRIND": "false",
    "ASV_PYTHONS": "3.14",
    "NIGHTLY_WINDOW_DAYS": "100000",
    # one bench job at a time: act runs a matrix's jobs side by side on this host, where they
    # share one home and one process table (a job's leftovers step stopped the other's build)
    "BENCH_MAX_PARALLEL": "1",
}


def host_environment() -> str:
    """``BENGAL_BENCH_ENV_OVERRIDE`` for this machine: its image and valgrind, declared as what
    the rehearsal's series are measured with (scope.environment)."""
    image = environment.actual_image_os()
    name = re.sub(r"^([a-z]+)(\d+)$", r"\1-\2", image)  # debian12 -> debian-12
    return f"image={name} valgrind={environment.valgrind_version() or '0.0.0'}"


@dataclass
class Rehearsal:
    """One world, its fake GitHub API, and the runs made in it (each with its own run id)."""

    world: World
    api: github.World
    url: str
    runs: list[act.Run] = field(default_factory=list)

    @classmethod
    def start(cls, world: World) -> Rehearsal:
        api = github.World(
            world.root / "requests.jsonl", world.root / "artifacts", world.root / "logs",
            world.origin,
        )  # fmt: skip
        (world.root / "artifacts").mkdir(exist_ok=True)
        (world.root / "logs").mkdir(exist_ok=True)
        _, url = github.serve(api)
        return cls(world, api, url)

    def requests(self) -> list[dict]:
        path = self.api.record
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    @property
    def next_run_id(self) -> int:
        return 100 + len(self.runs)

    def run(self, workflow: str, event: str, **kwargs: object) -> act.Run:
        run_id = self.next_run_id
        kwargs["variables"] = {
            **CHEAP,
            "SITE_URL": f"{self.url}/_pages/",
            environment.OVERRIDE_ENV: host_environment(),
            **kwargs.get("variables", {}),
        }  # type: ignore[dict-item]
        extra = ["--local-repository", f"{DEPLOY_PAGES}={STAND_INS / 'deploy-pages'}"]
        result = act.run(self.world, workflow, event, run_id, self.url, extra=extra, **kwargs)  # type: ignore[arg-type]
        self.runs.append(result)
        return result


def nightly(r: Rehearsal, exact_cap: int = 2, scale_budget: int = 0, **kwargs: object) -> act.Run:
    """A nightly run (workflow_dispatch, as the schedule would start it)."""
    inputs = {"exact_cap": str(exact_cap), "scale_budget": str(scale_budget)}
    return r.run("nightly", "workflow_dispatch", inputs=inputs, **kwargs)


def results_branch(r: Rehearsal) -> Path:
    """A fresh checkout of origin's results branch."""
    dest = r.world.root / "results-check"
    from rehearsal.world import git

    if dest.exists():
        git(dest, "fetch", "-q", "origin", "results")
        git(dest, "reset", "-q", "--hard", "origin/results")
    else:
        git(r.world.root, "clone", "-q", "-b", "results", str(r.world.origin), str(dest))
    return dest


__all__ = ["PR", "REPOSITORY", "Rehearsal", "nightly", "results_branch"]
