"""Real Bengal builds every scenario kind: no broken links, every promised page, each token.

0.5.1 is the newest release; 0.1.2 (an early era: other CLI, other parser and theme)
runs with `-m slow` to keep the output paths honest across eras.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from scenario_gen import KINDS, Scenario, generate

REPO = Path(__file__).resolve().parents[1]
BAD_LOG = re.compile(r"broken|template render error|K-RUN-|asset_batch_processing_failed", re.I)


def _env_python(version: str) -> Path:
    install = pytest.importorskip("driver.install", reason="driver/ not available")
    return install.ensure_bengal_env(version)


def _build(python: Path, root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI": "1", "BENGAL_ALLOW_GIL": "1"}
    cmd = [str(python), "-m", "driver", "build", str(root), "--mode", "full", "--via", "cli"]
    r = subprocess.run(
        [*cmd, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert r.stdout.strip(), f"driver printed nothing (rc={r.returncode}): {r.stderr[-2000:]}"
    return json.loads(r.stdout)


@pytest.mark.parametrize("version", ["0.5.1", pytest.param("0.1.2", marks=pytest.mark.slow)])
@pytest.mark.parametrize("kind", KINDS)
def test_bengal_builds_the_scenario(version: str, kind: str, tmp_path: Path) -> None:
    python = _env_python(version)
    root = tmp_path / kind
    manifest = generate(Scenario(kind, 50, seed=0), root)
    result = _build(python, root)
    log = result.get("log", "")
    assert result.get("ok", False), result.get("error") or log[-3000:]
    bad = [line for line in log.splitlines() if BAD_LOG.search(line)]
    assert not bad, "\n".join(bad[:20])
    out = root / manifest["output_dir"]
    missing, tokenless = [], []
    for page in manifest["pages"]:
        html = out / page["output"]
        if not html.is_file():
            missing.append(page["output"])
        elif page["token"] not in html.read_text(encoding="utf-8", errors="replace"):
            tokenless.append(page["output"])
    assert not missing, f"{len(missing)} promised pages not written, e.g. {missing[:5]}"
    assert not tokenless, f"{len(tokenless)} pages without their token, e.g. {tokenless[:5]}"
