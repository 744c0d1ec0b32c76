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
def valgrind() -> str:
    """valgrind (instruction counts), installed with apt-get when missing."""
    from tests import system_packages

    exe = system_packages.ensure("valgrind", "valgrind")
    assert exe, "valgrind is missing and `apt-get install valgrind` did not provide it"
    return exe


SMOKE_FIXTURE = "asv_smoke_run"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that read the smoke run go last: it runs in the background meanwhile."""
    readers = [item for item in items if SMOKE_FIXTURE in getattr(item, "fixturenames", ())]
    items[:] = [item for item in items if item not in readers] + readers


@pytest.fixture(scope="session", autouse=True)
def smoke_run_in_background(request: pytest.FixtureRequest) -> None:
    """Start the smoke run as the session starts, if any selected test reads it."""
    if any(SMOKE_FIXTURE in getattr(i, "fixturenames", ()) for i in request.session.items):
        from tests import asv_session

        request.getfixturevalue("valgrind")  # its instruction benchmarks count under valgrind
        asv_session.start_smoke_run()


@pytest.fixture(scope="session")
def asv_smoke_run(valgrind: str):
    """One real asv run of every benchmark (smoke profile) on 0.1.2 and 0.5.1 per session
    (``valgrind``: the instruction benchmarks run too)."""
    from tests import asv_session

    return asv_session.smoke_run()
