"""The arithmetic of the scaling exponents: per-page work over the ladder, the fixed part of a
one-page build removed (benchmarks/families/builds.py, read by benchmarks/bench_scaling.py)."""

from __future__ import annotations

import pytest

from benchmarks import bench_scaling
from benchmarks.families import builds, log_log_slope
from benchmarks.profiles import PROFILE
from benchmarks.sites import site_id


def cache_of(cost) -> dict:
    """A measure_once result whose reference builds cost ``cost(pages)`` CPU seconds."""
    sizes = (1, *PROFILE.ladder)
    return {"reference": {site_id("nested", n): {"cpu_s": cost(n)} for n in sizes}}


@pytest.mark.parametrize(
    ("cost", "exponent"),
    [
        (lambda n: 9.0 + 0.05 * (n - 1), 1.0),  # fixed start-up and assets, linear pages
        (lambda n: 9.0 + 0.001 * (n - 1) ** 2, 2.0),  # quadratic pages
        (lambda n: 9.0 + 0.3 * (n - 1) ** 0.5, 0.5),
    ],
)
def test_exponent_of_the_pages_beyond_the_fixed_part(cost, exponent) -> None:
    got = bench_scaling.ScalingExponents().track_time_exponent(cache_of(cost))
    assert got == pytest.approx(exponent, abs=1e-9)
    # the same builds' raw CPU times would hide it behind the fixed part
    sizes = list(PROFILE.ladder)
    assert log_log_slope(sizes, [cost(n) for n in sizes]) < exponent * 0.9


def test_work_that_does_not_grow_is_said_not_guessed() -> None:
    with pytest.raises(RuntimeError, match="does not grow over the ladder"):
        bench_scaling.ScalingExponents().track_time_exponent(cache_of(lambda n: 9.0 - 0.001 * n))


def test_a_failed_reference_build_fails_the_exponent_with_its_error() -> None:
    cache = cache_of(lambda n: 9.0 + n)
    cache["reference"][site_id("nested", PROFILE.ladder[-1])] = {
        "error": "BuildFailed: did not finish in 1800 s at 10000 pages"
    }
    with pytest.raises(RuntimeError, match="did not finish in 1800 s"):
        bench_scaling.ScalingExponents().track_time_exponent(cache)


def test_a_one_page_rebuild_of_a_site_that_failed_to_build_says_why() -> None:
    """A size whose reference build failed has no state to edit: its error, not a missing file."""
    failed = {"error": "BuildFailed: Bengal's Render deadline expired: 3689 done, 2132 dropped"}
    got = builds._one_page_rebuild(5000, failed)
    assert got == {
        "error": "no built nested-5000 to edit: "
        "BuildFailed: Bengal's Render deadline expired: 3689 done, 2132 dropped"
    }


def test_after_a_size_fails_larger_sizes_of_that_kind_are_not_built(monkeypatch) -> None:
    """A build limit is spent once per kind: the failure names the size that failed first."""
    sites = [("flat", 1000), ("nested", 1000), ("nested", 5000), ("nested", 10000)]
    built = []

    def build(kind: str, pages: int) -> dict:
        built.append((kind, pages))
        if pages == 5000:
            return {"error": "BuildFailed: did not finish in 900 s at 5821 pages"}
        return {"cpu_s": pages / 10}

    monkeypatch.setattr(builds, "reference_sites", lambda: sites)
    monkeypatch.setattr(builds, "_reference_build", build)
    got = builds.reference_builds()
    assert built == sites[:3]
    assert got["nested-10000"] == {
        "error": "not built: nested-5000 failed first "
        "(BuildFailed: did not finish in 900 s at 5821 pages)"
    }
    assert got["flat-1000"] == {"cpu_s": 100.0} and got["nested-1000"] == {"cpu_s": 100.0}
