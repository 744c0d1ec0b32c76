"""The asv suite as asv's own discovery sees it, per profile: what a published history keys on.

``python -m tests.asv_names > tests/data/asv-benchmarks.json`` writes the snapshot that
``tests/test_asv_names.py`` holds the suite to.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ("smoke", "pr", "nightly")
KEPT = ("type", "unit", "version", "param_names", "params", "timeout")


def discovered(profile: str) -> dict[str, dict]:
    """asv_runner's listing of the suite at ``profile`` (its own process: profiles are read at
    import), reduced to what names a series and its values."""
    code = (
        "import io, sys; from asv_runner.discovery import list_benchmarks; "
        "fp = io.StringIO(); list_benchmarks('benchmarks', fp); sys.stdout.write(fp.getvalue())"
    )
    env = {**os.environ, "BENGAL_BENCH_PROFILE": profile}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    return {b["name"]: {k: b.get(k) for k in KEPT} for b in json.loads(out)}


def snapshot() -> dict[str, dict[str, dict]]:
    return {p: dict(sorted(discovered(p).items())) for p in PROFILES}


if __name__ == "__main__":
    fp = io.StringIO()
    json.dump(snapshot(), fp, indent=1)
    print(fp.getvalue())
