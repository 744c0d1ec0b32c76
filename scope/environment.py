"""The one declaration of the CI environment a series is measured in, and the check of a runner.

Why: instruction counts and work counters repeat to within hundredths of a percent, but only on
one interpreter, one valgrind and one suite: a new Python patch release or valgrind moves the
counts, and a series that mixed them would show a step that no Bengal commit made (the nightly
would open an issue and the bisect would blame an innocent commit). So every element that can
move a number is declared here, it is part of the asv machine name of every CI series
(``scope.machine``: a change of any of them starts a new, empty series, which the nightly
re-baselines, ``tools.history.rebaseline``), and each bench job checks its runner against it before
measuring. The workflows pin the same values (``runs-on``, ``python-version``); a test checks
that they agree with this module.

``MEASUREMENT_REVISION`` is this suite's own revision of what a benchmark measures: bump it when
a change to ``benchmarks/``, ``driver/`` or ``scenario_gen/`` changes the meaning or scale of a
recorded number (another site, another edit, another counter), so the new numbers start a
series of their own instead of a step in the old one.

A rehearsal on another machine declares its own environment with
``BENGAL_BENCH_ENV_OVERRIDE="image=debian-12 valgrind=3.19.0"`` (any of image, python,
valgrind, revision; the workflows pass the repository variable of that name): the check then
holds it to that, and the names of its series say where they were measured. The image is read
from /etc/os-release, not from ``$ImageOS``, which act sets from the ``runs-on`` label.

This module is stdlib-only: the check (``tools.ci.env_check``) runs before anything is
installed.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import scope

IMAGE = "ubuntu-24.04"  # the runs-on label of every job
PYTHON = "3.14.10"  # the exact patch of every python-version (free-threaded: "3.14.10t")
VALGRIND = "3.22.0"  # Ubuntu 24.04's apt valgrind (3.22.0-0ubuntu3)
MEASUREMENT_REVISION = 1  # bump when a benchmark's meaning changes (see above)

OVERRIDE_ENV = scope.ENV_OVERRIDE_ENV
# Fields recorded in machine.json and every result's params (scope.machine): constant within
# a series, since the series' name holds them all.
FIELDS = ("image", "python_patch", "valgrind", "revision")
OS_RELEASE = Path("/etc/os-release")
CPU_KEY = "cpu_model"  # result-file key: benchmark -> the CPU model that measured it
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_IMAGE = re.compile(r"^[a-z]+-\d+(\.\d+)?$")


class DeclarationError(Exception):
    """A user-facing failure: one line, exit status 2."""


@dataclass(frozen=True)
class Environment:
    image: str  # a runs-on label: ubuntu-24.04
    python: str  # an exact patch: 3.14.10
    valgrind: str  # 3.22.0
    revision: int

    @property
    def image_os(self) -> str:
        """GitHub's ``$ImageOS`` for the image (ubuntu-24.04 → ubuntu24), which is also what
        /etc/os-release says of it (ID and VERSION_ID's major)."""
        name, _, version = self.image.partition("-")
        return name + version.split(".")[0]

    @property
    def python_ft(self) -> str:
        return self.python + "t"

    @property
    def key(self) -> str:
        """The series key: every declared element, readable, in asv's machine-name alphabet."""
        image = re.sub(r"[^a-z0-9]", "", self.image.lower())
        return f"{image}-py{self.python}-vg{self.valgrind}-r{self.revision}"

    def fields(self) -> dict[str, str]:
        """The machine.json fields (strings: asv makes each a graph parameter)."""
        return {
            "image": self.image,
            "python_patch": self.python,
            "valgrind": self.valgrind,
            "revision": str(self.revision),
        }


DECLARED = Environment(IMAGE, PYTHON, VALGRIND, MEASUREMENT_REVISION)


def declared(environ: dict[str, str] | os._Environ[str] | None = None) -> Environment:
    """The declaration, with ``$BENGAL_BENCH_ENV_OVERRIDE`` (``key=value`` words) applied."""
    text = scope.env_override(environ)
    if not text:
        return DECLARED
    changes: dict[str, object] = {}
    for word in text.replace(",", " ").split():
        key, sep, value = word.partition("=")
        if not sep or key not in ("image", "python", "valgrind", "revision"):
            raise DeclarationError(
                f"{OVERRIDE_ENV}: {word!r} is not image=, python=, valgrind= or revision="
            )
        if key == "revision":
            if not value.isdigit():
                raise DeclarationError(f"{OVERRIDE_ENV}: revision must be an integer: {value!r}")
            changes[key] = int(value)
        elif key == "image" and not _IMAGE.match(value):
            raise DeclarationError(f"{OVERRIDE_ENV}: image {value!r} is not like ubuntu-24.04")
        elif key in ("python", "valgrind") and not _VERSION.match(value):
            raise DeclarationError(f"{OVERRIDE_ENV}: {key} {value!r} is not like 3.14.10")
        else:
            changes[key] = value
    return replace(DECLARED, **changes)  # type: ignore[arg-type]


# -- what the runner actually has --------------------------------------------------------------


def actual_image_os(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """The image this job runs on, as ID and VERSION_ID's major of its /etc/os-release
    (``ubuntu24`` on GitHub's ubuntu-24.04, like its ``$ImageOS``). ``$ImageOS`` is only the
    fallback: act sets it from the ``runs-on`` label whatever the host is."""
    fields: dict[str, str] = {}
    try:
        for line in OS_RELEASE.read_text().splitlines():
            key, _, value = line.partition("=")
            fields[key] = value.strip().strip('"')
    except OSError:
        pass
    if fields.get("ID"):
        return fields["ID"] + fields.get("VERSION_ID", "").split(".")[0]
    return (os.environ if environ is None else environ).get("ImageOS") or "unknown"


def python_version(exe: str) -> tuple[str, bool] | None:
    """(``platform.python_version()``, free-threaded build?) of ``exe``; None if not on PATH."""
    path = shutil.which(exe)
    if path is None:
        return None
    code = "import platform,sysconfig;print(platform.python_version(),"
    code += "bool(sysconfig.get_config_var('Py_GIL_DISABLED')))"
    proc = subprocess.run([path, "-c", code], capture_output=True, text=True, timeout=60)
    version, _, ft = proc.stdout.strip().partition(" ")
    return (version, ft == "True") if proc.returncode == 0 and version else None


def valgrind_version() -> str | None:
    """``valgrind --version`` without its prefix (valgrind-3.22.0 → 3.22.0); None if missing."""
    path = shutil.which("valgrind")
    if path is None:
        return None
    proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    return proc.stdout.strip().removeprefix("valgrind-") or None


def cpu_model() -> str:
    """The CPU model this job runs on (recorded with each result, not part of the key)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def stamp_cpu(machine_dir: Path, since: float, cpu: str | None = None) -> int:
    """Record ``cpu`` (default: this machine's) for the benchmarks of each result file asv wrote
    in ``machine_dir`` since ``since`` (a ``time.time()``), under ``CPU_KEY``; returns the
    number of files stamped. Benchmarks already stamped keep their model (a file asv extended)."""
    cpu = cpu or cpu_model()
    stamped = 0
    for path in sorted(machine_dir.glob("*.json")):
        if path.name == "machine.json" or path.stat().st_mtime < since:
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
            continue
        models = data.get(CPU_KEY) if isinstance(data.get(CPU_KEY), dict) else {}
        data[CPU_KEY] = {**{name: cpu for name in data["results"]}, **models}
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        stamped += 1
    return stamped


def differences(
    decl: Environment, pythons: list[str], valgrind: bool = True, environ: dict | None = None
) -> list[str]:
    """How this runner differs from ``decl``: one short phrase per difference.

    The interpreters checked are the ones asv's virtualenv plugin will take (``python3.14`` and
    ``python3.14t`` on PATH), not the one running this check."""
    found = []
    image = actual_image_os(environ)
    if image != decl.image_os:
        found.append(f"runner image is {image}, declared {decl.image_os} ({decl.image})")
    for python in pythons:
        ft = python.endswith("t")
        want = decl.python_ft if ft else decl.python
        got = python_version(f"python{python}")
        if got is None:
            found.append(f"python{python} is not on PATH, declared {want}")
        elif got[0] != decl.python or got[1] != ft:
            have = got[0] + ("t" if got[1] else "")
            found.append(f"python{python} is {have}, declared {want}")
    if valgrind:
        vg = valgrind_version()
        if vg != decl.valgrind:
            have = "not on PATH" if vg is None else vg
            found.append(f"valgrind is {have}, declared {decl.valgrind}")
    return found
