"""Shared fixtures: cached Bengal virtualenvs (one per release, dependencies of its day)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def bengal_env() -> Callable[..., Path]:
    """``bengal_env("0.5.1", pin_dependencies=True)`` → that env's python (created once, cached
    under ``$BENGAL_BENCH_CACHE/bengal/``)."""
    from driver.install import ensure_bengal_env

    def get(version: str, *, pin_dependencies: bool = True) -> Path:
        return ensure_bengal_env(version, pin_dependencies=pin_dependencies)

    return get


@pytest.fixture(scope="session")
def asv_smoke_run():
    """One real asv run of every benchmark (smoke profile) on 0.1.2 and 0.5.1 per session."""
    from tests import asv_session

    return asv_session.smoke_run()
