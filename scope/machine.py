"""A fixed asv machine identity per declared environment, so runner changes don't split the graphs
and environment changes never hide inside one series.

Every machine field (name, os, arch, cpu, num_cpu, ram) becomes a path segment of the published
graphs and part of each series' key: a hosted runner's kernel version or RAM size changing from one
night to the next would start a new, disconnected series. The ``gha`` preset pins those strings for
GitHub-hosted runners; ``local`` derives stable (kernel-free) values from this machine. Any field
can be overridden with ``BENGAL_BENCH_MACHINE``, ``..._OS``, ``..._ARCH``, ``..._CPU``,
``..._NUM_CPU``, ``..._RAM``.

The environment a series is measured in (``scope.environment``: runner image, exact Python
patch, valgrind version, the suite's measurement revision) is recorded in every identity
(``image``, ``python_patch``, ``valgrind``, ``revision``: the same four fields on every machine,
so no series' graph path gains a ``-null`` segment), and for the ``gha`` preset it is also the
name: ``gha-<image>-py<patch>-vg<valgrind>-r<revision>``, e.g.
``gha-ubuntu2404-py3.14.10-vg3.22.0-r1-exact``. Changing any declared element starts a new
series (``tools.history.rebaseline``). The CPU model is not a field: every field is a graph path
segment, and the model varies between runners of one series (``scope.environment.CPU_KEY``
records it per benchmark in the result files instead).

The benchmark profile (``$BENGAL_BENCH_PROFILE``: smoke, pr, nightly) is part of the identity:
the machine name ends in ``-<profile>`` and a ``profile`` field is stored with it. asv keys result
files by machine name (``results/<machine>/<commit>-<env>.json``) and makes the machine a graph
parameter, so a 50-page ``pr`` run can never overwrite or extend the 1,000-page ``nightly``
series; ``tools.ci.merge_results`` checks the ``profile`` field.

A tier of the history (``$BENGAL_BENCH_TIER``, ``scope.TIERS``) is a series of its own: the
name ends in the tier's series (``-exact``: the exact tier, run at the ``pr`` profile, never
mixes with a ``pr`` backfill of the whole suite); the ``scale`` tier keeps the ``nightly``
series' name. No ``tier`` field is stored: asv makes every machine field a path segment of every
graph, and a field only some machines have would move the existing series' graphs (and make
every known regression look new to ``tools.ci.new_regressions``).

    python -m scope.machine --preset gha [--config asv.conf.json]   # registers, prints the name
    python -m scope.machine --preset gha --name                     # prints the name only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import scope
from scope import environment

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ("machine", "os", "arch", "cpu", "num_cpu", "ram")
PROFILE_FIELD = "profile"

PRESETS: dict[str, dict[str, str]] = {
    # GitHub-hosted runners for public repositories (4 vCPU, 16 GB); the name's middle and the
    # os come from the declared environment (gha_identity).
    "gha": {
        "machine": "gha",
        "os": "",
        "arch": "x86_64",
        "cpu": "github-hosted",
        "num_cpu": "4",
        "ram": "16GB",
    },
}


def gha_identity() -> dict[str, str]:
    """The ``gha`` preset in the declared environment: its key is part of the name."""
    decl = declared_environment()
    ident = dict(PRESETS["gha"])
    ident["machine"] = f"gha-{decl.key}"
    ident["os"] = decl.image
    return {**ident, **decl.fields()}


def declared_environment() -> environment.Environment:
    try:
        return environment.declared()
    except environment.DeclarationError as exc:
        raise MachineError(str(exc)) from None


def _ram_gb() -> str:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        return f"{round(pages / 2**30)}GB"
    except (ValueError, OSError, AttributeError):
        return "unknown"


def local_identity() -> dict[str, str]:
    """This machine, without the kernel version or exact byte counts that drift over time."""
    return {
        "machine": "local",
        "os": platform.system(),
        "arch": platform.machine() or "unknown",
        "cpu": environment.cpu_model(),
        "num_cpu": str(os.cpu_count() or 1),
        "ram": _ram_gb(),
        # what this machine has: its name does not change with them, its graphs do
        "image": environment.actual_image_os(),
        "python_patch": platform.python_version(),
        "valgrind": environment.valgrind_version() or "none",
        "revision": str(environment.MEASUREMENT_REVISION),
    }


class MachineError(RuntimeError):
    """A user-facing failure: one line."""


def active_profile() -> str:
    """The profile ``scope.profile()`` names (MachineError for an unknown one)."""
    try:
        return scope.profile()
    except ValueError as exc:
        raise MachineError(str(exc)) from None


def profile_machine(name: str, profile: str) -> str:
    """``name`` with the ``-<profile>`` suffix (added once)."""
    return name if name.endswith(f"-{profile}") else f"{name}-{profile}"


def identity(
    preset: str = "local", profile: str | None = None, tier: str | None = None
) -> dict[str, str]:
    """The identity for ``preset`` (gha or local) and ``profile`` (default: the active one),
    with ``BENGAL_BENCH_MACHINE*`` overrides; the name always ends in ``-<profile>``, or in
    ``-<series>`` of ``tier`` (default ``$BENGAL_BENCH_TIER``) when its own profile is active, or
    in ``-<series>-<profile>`` when another is (a rehearsal's smoke-sized sites)."""
    if preset == "local":
        ident = local_identity()
    elif preset == "gha":
        ident = gha_identity()
    else:
        raise MachineError(f"unknown machine preset {preset!r}; use local or {', '.join(PRESETS)}")
    ident.update(scope.machine_overrides(FIELDS))
    profile = profile or active_profile()
    tier = tier if tier is not None else scope.tier_name()
    if tier:
        try:
            series = scope.tier_scope(tier)
        except KeyError as exc:
            raise MachineError(str(exc.args[0])) from None
        ident["machine"] = profile_machine(ident["machine"], series.series)
        if series.profile != profile:  # the tier's parts at other sites: a series of its own
            ident["machine"] = profile_machine(ident["machine"], profile)
    else:
        ident["machine"] = profile_machine(ident["machine"], profile)
    ident[PROFILE_FIELD] = profile
    return ident


def asv_machine_argv(ident: dict[str, str]) -> list[str]:
    """Arguments for ``asv machine`` that record ``ident`` without asking anything."""
    argv = ["machine", "--yes"]
    for field in FIELDS:
        argv += [f"--{field}", ident[field]]
    return argv


def register(ident: dict[str, str], config: Path | None = None) -> None:
    """Record ``ident`` in ``~/.asv-machine.json`` (other machines' entries are kept).

    ``asv machine --yes`` silently drops every field that equals this host's default (e.g.
    ``--arch x86_64`` on an x86_64 host), so the stored identity, and with it the graph paths,
    would depend on the runner after all. After asv has validated the entry, the whole identity
    (``profile`` and the environment's fields included, which ``asv machine`` has no flag for)
    is written in one atomic replace of the file, under a lock: asv copies every field into
    machine.json and each result, and asv runs that start at the same time on one host (jobs of
    a rehearsal, a test suite's background run) never see an entry without them.
    """
    import fcntl

    conf = config or ROOT / "asv.conf.json"  # asv refuses to run without a config file
    from asv.machine import MachineCollection

    path = Path(MachineCollection.get_machine_file_path())
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        before = path.read_text() if path.exists() else None
        cmd = [sys.executable, "-m", "asv", *asv_machine_argv(ident), "--config", str(conf)]
        with tempfile.TemporaryDirectory() as scratch:  # asv writes its copy there, not here
            env = {**os.environ, "HOME": scratch}
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"asv machine failed (rc={proc.returncode}): {proc.stderr.strip()}")
        try:
            entries = json.loads(before) if before else {}
        except ValueError:
            entries = {}
        entries = entries if isinstance(entries, dict) else {}
        entries[ident["machine"]] = dict(ident)
        entries["version"] = MachineCollection.api_version
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries, indent=4, sort_keys=True))
        tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scope.machine", description=__doc__)
    parser.add_argument("--preset", default="local", choices=["local", *PRESETS])
    parser.add_argument("--config", type=Path, default=None, help="asv config to run asv with")
    parser.add_argument("--name", action="store_true", help="print the name, register nothing")
    args = parser.parse_args(argv)
    try:
        ident = identity(args.preset)
        if not args.name:
            register(ident, args.config)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(ident["machine"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
