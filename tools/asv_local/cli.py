"""Run asv against a local Bengal git repository instead of GitHub.

Why: ``asv.conf.json`` points at Bengal on GitHub, which neither the tests nor firewalled machines
can reach, and a contributor wants their *own* checkout measured (asv resolves ``main`` and
``HEAD`` in the repository named by ``repo``: with the GitHub URL, ``HEAD`` would be GitHub's
main). This writes ``asv.local.conf.json`` (``asv.conf.json`` with ``repo`` replaced,
git-ignored), records a fixed machine identity, pins asv_runner in the benchmark envs and runs
asv with that config, passing asv's exit status through (``run``: 2 when a benchmark
failed; ``continuous``: 1 on a regression). ``interleave`` (or ``continuous --until-decided``)
alternates base and head until every noisy benchmark is decided (``tools.asv_local.interleave``).

    # release history from PyPI (built with tools.asv_local.history, cached):
    python -m tools.asv_local --latest 3 run ALL
    python -m tools.asv_local --versions 0.1.2 0.5.1 run ALL --bench startup
    # a Bengal contributor's checkout: compare their branch with main
    python -m tools.asv_local --repo ~/src/bengal continuous main HEAD --factor 1.2
    # base and head alternating (ABAB…), rounds added until no benchmark is undecided
    python -m tools.asv_local --repo ~/src/bengal interleave --max-rounds 6 \
        --budget-minutes 100 --bench bench_full --show-stderr main HEAD
    # the same, spelled as asv continuous (what compare.yml runs)
    python -m tools.asv_local --repo ~/src/bengal continuous --until-decided --split main HEAD
    python -m tools.asv_local publish          # reuses the repo of the last asv.local.conf.json
    python -m tools.asv_local preview
    # a second environment on free-threaded Python, where python3.14t is on PATH
    python -m tools.asv_local --latest 3 --pythons "3.14 3.14t" run ALL

``asv setup`` is refused: it exits 1 on success in asv 0.6.6; ``asv run`` creates the envs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import scope
from scope import environment
from scope import machine as machine_id
from tools.asv_local import history as bengal_history
from tools.asv_local.site import SiteError
from tools.history import rebaseline

ROOT = Path(__file__).resolve().parents[2]
BASE_CONF = ROOT / "asv.conf.json"
LOCAL_CONF = ROOT / "asv.local.conf.json"
CONSTRAINTS = ROOT / "asv-constraints.txt"
# asv commands that take --machine (and so need the identity registered first).
MACHINE_COMMANDS = {"run", "continuous", "compare", "show", "dev"}
REFUSED = {"setup": "asv setup exits 1 on success in asv 0.6.6; `run` creates the envs"}
PYTHON = re.compile(r"3\.[0-9]{1,2}t?")  # 3.14, or 3.14t: the free-threaded build


class LocalError(Exception):
    """A user-facing failure: one line, exit status 2."""


def load_asv_json(path: Path) -> dict:
    """Parse an asv config (JSON with whole-line ``//`` comments, as asv writes and reads it)."""
    lines = [ln for ln in path.read_text().splitlines() if not ln.lstrip().startswith("//")]
    return json.loads("\n".join(lines))


def default_history_dir() -> Path:
    return bengal_history.cache_root() / "bengal" / "history"


def write_config(
    repo: Path,
    out: Path = LOCAL_CONF,
    *,
    results_dir: Path | None = None,
    html_dir: Path | None = None,
    env_dir: Path | None = None,
    branches: list[str] | None = None,
    pythons: list[str] | None = None,
) -> Path:
    """Write ``asv.conf.json`` with ``repo`` (and optionally the output dirs) replaced.

    When ``out`` is not in this repository, the relative paths and ``{conf_dir}`` (asv's working
    directory = the config's directory) are made absolute, so a test can keep its config and
    results in a temporary directory while still running this repository's benchmarks and driver.
    """
    repo = repo.expanduser().resolve()
    if not (repo / ".git").exists() and not (repo / "objects").is_dir():
        raise LocalError(f"{repo} is not a git repository")
    conf = load_asv_json(BASE_CONF)
    conf["repo"] = str(repo)
    if _is_release_history(repo):
        conf["show_commit_url"] = ""  # its commits are synthetic: no GitHub page to link to
    out = out.resolve()
    if out.parent != ROOT:
        for key in ("benchmark_dir", "env_dir", "results_dir", "html_dir"):
            conf[key] = str(ROOT / conf[key])
        for key in ("build_command", "install_command"):
            conf[key] = [c.replace("{conf_dir}", str(ROOT)) for c in conf[key]]
    for key, value in (("results_dir", results_dir), ("html_dir", html_dir), ("env_dir", env_dir)):
        if value is not None:
            conf[key] = str(value.expanduser().resolve())
    if branches:
        conf["branches"] = branches
    if pythons:
        conf["pythons"] = pythons
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "// Written by tools.asv_local from asv.conf.json; do not edit.\n"
        + json.dumps(conf, indent=4)
        + "\n"
    )
    return out


def _is_release_history(repo: Path) -> bool:
    """Whether ``repo`` was built by tools.asv_local.history (its commits exist nowhere else)."""
    proc = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--format=%ae", bengal_history.BRANCH],
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() == bengal_history.AUTHOR_EMAIL


def parse_pythons(value: str) -> list[str]:
    """``"3.14 3.14t"`` or ``"3.14,3.14t"`` → a list. One argument, so that a CI variable passes
    through as it is and argparse cannot take the asv command for another python."""
    pythons = [p for p in re.split(r"[\s,]+", value.strip()) if p]
    for python in pythons:
        if not PYTHON.fullmatch(python):
            raise LocalError(f"--pythons: {python!r} is not a version like 3.14 or 3.14t")
    if not pythons:
        raise LocalError("--pythons: no python given")
    return list(dict.fromkeys(pythons))


def asv_env(pythons: list[str] | None = None) -> dict[str, str]:
    """The environment for asv: each python{version} on PATH (asv's virtualenv plugin finds
    interpreters by name); asv_runner pinned."""
    for python in pythons or ["3.14"]:
        if shutil.which(f"python{python}") is None:
            hint = (
                "install Python 3.14 with pyenv, uv or your package manager and put it on PATH"
                if python == "3.14"
                else f"install a {python} interpreter, or leave {python} out of --pythons"
            )
            raise LocalError(
                f"python{python} is not on PATH: asv's virtualenv plugin needs it ({hint})"
            )
    env = dict(os.environ)
    env.setdefault("PIP_CONSTRAINT", str(CONSTRAINTS))
    return env


def run_asv(command: str, args: list[str], config: Path, machine: str | None) -> int:
    """Run ``asv COMMAND --config CONFIG [--machine M] ARGS``; returns asv's exit status."""
    if command in REFUSED:
        raise LocalError(REFUSED[command])
    argv = [sys.executable, "-m", "asv", command, "--config", str(config)]
    if machine and command in MACHINE_COMMANDS and "--machine" not in args:
        argv += ["--machine", machine]
    argv += args
    print("+ asv " + " ".join(argv[3:]), file=sys.stderr, flush=True)
    conf = load_asv_json(config)
    env = asv_env(conf.get("pythons") if command in MACHINE_COMMANDS else None)
    # bench_real takes Bengal's own docs site from this repository (a release history has no
    # site/: those benchmarks are then skipped with one line).
    env.setdefault(scope.REPO_ENV, conf["repo"])
    return subprocess.run(argv, env=env, cwd=config.parent).returncode


# asv continuous's options that mean nothing to one asv run of one commit (with their values)
CONTINUOUS_ONLY = {"--split": 0, "--interleave-rounds": 0, "--no-interleave-rounds": 0,
                   "--only-changed": 0, "--sort": 1, "--until-decided": 0}  # fmt: skip
UNTIL_DECIDED = "--until-decided"


def interleave(asv_args: list[str], config: Path, machine: str) -> int:
    """``interleave [--min-rounds N] [--max-rounds N] [--budget-minutes M] [--factor F]
    [asv run options] BASE HEAD`` (also ``continuous --until-decided ...``, with asv continuous's
    own options, whose display-only ones are dropped): ``tools.asv_local.interleave`` with one
    ``asv run SHA^!`` per side and round (``--record-samples --append-samples``)."""
    from tools.asv_local import interleave as ab

    if len(asv_args) < 2 or any(a.startswith("-") for a in asv_args[-2:]):
        raise LocalError("interleave: give the base and head commits last")
    *options, base_ref, head_ref = asv_args
    parser = argparse.ArgumentParser(prog="python -m tools.asv_local interleave")
    parser.add_argument("--min-rounds", type=int, default=ab.Budget.min_rounds)
    parser.add_argument("--max-rounds", type=int, default=ab.Budget.max_rounds)
    parser.add_argument("--budget-minutes", type=float, default=ab.Budget.minutes)
    parser.add_argument("--factor", type=float, help="one factor for every benchmark")
    args, rest = parser.parse_known_args(options)
    passed: list[str] = []
    skip = 0
    for arg in rest:
        if skip:
            skip -= 1
        elif arg.split("=", 1)[0] in CONTINUOUS_ONLY:
            skip = 0 if "=" in arg else CONTINUOUS_ONLY[arg]
        else:
            passed.append(arg)
    try:
        budget = ab.Budget(args.min_rounds, args.max_rounds, args.budget_minutes)
    except ValueError as exc:
        raise LocalError(f"interleave: {exc}") from None
    conf = load_asv_json(config)
    repo = Path(conf["repo"])
    base, head = (_full_sha(repo, ref) for ref in (base_ref, head_ref))
    extra = [a for a in ("--record-samples", "--append-samples") if a not in passed]

    def run_side(sha: str) -> int:
        return run_asv("run", [*passed, *extra, f"{sha}^!"], config, machine)

    outcome = ab.run(
        run_side, config.parent / conf["results_dir"], machine, base, head, budget,
        conf=config, factor=args.factor, pythons=conf.get("pythons"),
    )  # fmt: skip
    print(
        f"interleave: {outcome.rounds} rounds in {outcome.minutes:.1f} min, stopped: "
        f"{outcome.stopped}; asv exit statuses {outcome.asv_rcs}",
        file=sys.stderr,
    )
    return outcome.rc


def _full_sha(repo: Path, ref: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        raise LocalError(f"interleave: {ref!r} is not a commit of {repo}")
    return proc.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.asv_local",
        description="Run asv with asv.conf.json's repo replaced by a local Bengal repository.",
    )
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--repo", type=Path, help="a local Bengal git repository or checkout")
    src.add_argument("--versions", nargs="+", metavar="X.Y.Z", help="build a release history")
    src.add_argument("--latest", type=int, metavar="N", help="history of the N newest releases")
    parser.add_argument(
        "--history-dir", type=Path, default=None, help="where --versions/--latest build the repo"
    )
    parser.add_argument("--config-out", type=Path, default=LOCAL_CONF)
    parser.add_argument("--results-dir", type=Path)
    parser.add_argument("--html-dir", type=Path)
    parser.add_argument("--env-dir", type=Path)
    parser.add_argument("--branch", action="append", help="branches asv follows (default main)")
    parser.add_argument(
        "--pythons",
        metavar="'X.Y[t] ...'",
        help="asv environments, one per python, in one argument (default: asv.conf.json's "
        "3.14); '3.14 3.14t' adds free-threaded Python",
    )
    parser.add_argument("--machine-preset", default="local", choices=["local", "gha"])
    parser.add_argument(
        "--no-vendor",
        action="store_true",
        help="publish: keep asv's CDN links (default: served from the site, tools.asv_local.site)",
    )
    parser.add_argument(
        "command",
        help="asv command: run, continuous, publish, compare, ...; or interleave (base and "
        "head alternating until decided: tools.asv_local.interleave)",
    )
    parser.add_argument("asv_args", nargs=argparse.REMAINDER, help="passed to asv")
    args = parser.parse_args(argv)
    try:
        if args.versions or args.latest:
            repo = (args.history_dir or default_history_dir()).expanduser()
            releases = bengal_history.select_versions(
                bengal_history.fetch_releases(), args.versions, args.latest
            )
            bengal_history.build_history(repo.resolve(), releases)
        elif args.repo:
            repo = args.repo
        elif args.config_out.exists():
            repo = Path(load_asv_json(args.config_out)["repo"])
        else:
            raise LocalError("no repository: give --repo PATH, --versions ... or --latest N")
        config = write_config(
            repo,
            args.config_out,
            results_dir=args.results_dir,
            html_dir=args.html_dir,
            env_dir=args.env_dir,
            branches=args.branch,
            pythons=parse_pythons(args.pythons) if args.pythons else None,
        )
        ident = machine_id.identity(args.machine_preset)
        measures = args.command in MACHINE_COMMANDS or args.command == "interleave"
        if measures:
            machine_id.register(ident, config)
        started = time.time() - 1  # file times may be coarser than this clock
        if args.command == "interleave" or (
            args.command == "continuous" and UNTIL_DECIDED in args.asv_args
        ):
            rc = interleave(args.asv_args, config, ident["machine"])
        else:
            rc = run_asv(args.command, args.asv_args, config, ident["machine"])
        if measures:
            results = config.parent / load_asv_json(config)["results_dir"] / ident["machine"]
            if results.is_dir():  # the CPU model that measured each new result
                environment.stamp_cpu(results, started)
        if args.command == "publish" and rc == 0 and not args.no_vendor:
            from tools.asv_local import site as asv_site

            asv_site.vendor(config.parent / load_asv_json(config)["html_dir"])
        if args.command == "publish" and rc == 0:
            conf = load_asv_json(config)
            rebaseline.mark_site(
                config.parent / conf["html_dir"],
                rebaseline.rebaselines(config.parent / conf["results_dir"]),
            )
        return rc
    except (LocalError, bengal_history.HistoryError, RuntimeError, SiteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
