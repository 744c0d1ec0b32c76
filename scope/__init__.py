"""The run's scope in one place: its profile, tier, machine series and pythons, and every
``BENGAL_BENCH_*`` variable the suite reads.

Why one module: the scope of a run decides which numbers it produces and in which series they
land, and every layer (the site generator's cache, the benchmarks, asv_local, the bisect, the
workflows) must read it alike. Nothing else reads these variables. Stdlib only, so that the
lowest layer can import it.

- ``BENGAL_BENCH_PROFILE``: ``smoke``, ``pr`` (default) or ``nightly``: the sites, sizes and
  sampling of a run (``benchmarks.profiles``);
- ``BENGAL_BENCH_TIER``: a tier of the history (``exact``, ``scale``): its own series;
- ``BENGAL_BENCH_MACHINE`` (and ``_OS``, ``_ARCH``, ``_CPU``, ``_NUM_CPU``, ``_RAM``): the asv
  machine's fields (``scope.machine``);
- ``BENGAL_BENCH_ENV_OVERRIDE``: the declared CI environment, re-declared (``scope.environment``);
- ``BENGAL_BENCH_CACHE``: where every cache of the suite lives;
- ``BENGAL_BENCH_REPO``: a Bengal git repository (the real site's source);
- ``BENGAL_BENCH_PROGRESS_FILE``: where long setup_caches append a line per measurement;
- ``BENGAL_BENCH_PROBE``: the instruction counts a bisect probe needs (the others are skipped).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PROFILE_ENV = "BENGAL_BENCH_PROFILE"
TIER_ENV = "BENGAL_BENCH_TIER"
MACHINE_ENV = "BENGAL_BENCH_MACHINE"
ENV_OVERRIDE_ENV = "BENGAL_BENCH_ENV_OVERRIDE"
CACHE_ENV = "BENGAL_BENCH_CACHE"
REPO_ENV = "BENGAL_BENCH_REPO"
PROGRESS_ENV = "BENGAL_BENCH_PROGRESS_FILE"
PROBE_ENV = "BENGAL_BENCH_PROBE"

PROFILES = ("smoke", "pr", "nightly")
DEFAULT_PROFILE = "pr"
# Not under a dot-directory such as ~/.cache: Bengal up to 0.1.7 skips every theme asset whose
# absolute path has a component starting with a dot (it then builds pages without CSS, exit 0).
DEFAULT_CACHE = "~/bengal-benchmarks-cache"
PYTHON = re.compile(r"3\.[0-9]{1,2}t?")  # an asv "pythons" entry: 3.14, or 3.14t free-threaded


@dataclass(frozen=True)
class TierScope:
    """A series of the history: the profile its parts run at and its machine name's suffix."""

    name: str
    profile: str
    series: str


# The exact tier: numbers the runner's load does not move, at the pr profile's sites; the scale
# tier: the nightly profile, in the series the nightly history had before tiers existed.
TIERS = {
    "exact": TierScope("exact", "pr", "exact"),
    "scale": TierScope("scale", "nightly", "nightly"),
}


def _env(name: str, environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    return (os.environ if environ is None else environ).get(name, "").strip()


def profile() -> str:
    """The active profile's name; ValueError naming the choices for another."""
    name = _env(PROFILE_ENV) or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(f"{PROFILE_ENV}={name!r}: expected one of {sorted(PROFILES)}")
    return name


def tier_name() -> str:
    """The active tier's name, or "" outside a tier (checked where it is used)."""
    return _env(TIER_ENV)


def tier_scope(name: str) -> TierScope:
    """The tier called ``name``; KeyError with the known names otherwise."""
    if name not in TIERS:
        raise KeyError(f"unknown tier {name!r} (tiers: {', '.join(TIERS)})")
    return TIERS[name]


def machine_overrides(fields: tuple[str, ...]) -> dict[str, str]:
    """``BENGAL_BENCH_MACHINE`` (the name) and ``BENGAL_BENCH_MACHINE_<FIELD>`` values set."""
    found = {}
    for field in fields:
        var = MACHINE_ENV + ("" if field == "machine" else "_" + field.upper())
        if value := _env(var):
            found[field] = value
    return found


def env_override(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """``key=value`` words that re-declare the CI environment (a rehearsal on another image)."""
    return _env(ENV_OVERRIDE_ENV, environ)


def cache_base() -> Path:
    """Where every cache of the suite lives (safe to delete)."""
    return Path(_env(CACHE_ENV) or DEFAULT_CACHE).expanduser()


def bengal_repo() -> Path | None:
    """A Bengal git repository named for the real site, if any."""
    value = _env(REPO_ENV)
    return Path(value).expanduser() if value else None


def progress_file() -> Path | None:
    value = _env(PROGRESS_ENV)
    return Path(value) if value else None


def probe() -> str:
    """The comma-separated instruction counts a bisect probe asks for ("" = all of them)."""
    return _env(PROBE_ENV)


def python_count(pythons: str) -> int:
    """How many asv environments one run measures: ``"3.14 3.14t"`` → 2 (asv's ``--pythons``
    as the workflows pass ``ASV_PYTHONS``); ValueError when it names none."""
    names = set(pythons.replace(",", " ").split())
    if not names or not all(PYTHON.fullmatch(n) for n in names):
        raise ValueError(f"pythons {pythons!r}: expected versions like '3.14' or '3.14 3.14t'")
    return len(names)
