"""Reproducible Bengal sites of any size and shape, a scenario cache, and mutations.

Stdlib only: this runs inside asv benchmark environments where only Bengal is installed.
"""

from .cache import cache_dir, cached_scenario, working_copy
from .generate import generate, load_manifest, tree_hash
from .mutate import Change, Mutator
from .spec import GENERATOR_VERSION, KINDS, Scenario, ScenarioError

__all__ = [
    "GENERATOR_VERSION",
    "KINDS",
    "Change",
    "Mutator",
    "Scenario",
    "ScenarioError",
    "cache_dir",
    "cached_scenario",
    "generate",
    "load_manifest",
    "tree_hash",
    "working_copy",
]
