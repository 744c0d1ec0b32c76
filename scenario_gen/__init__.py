"""Reproducible Bengal sites of any size and shape, a scenario cache, and mutations.

Stdlib only: this runs inside asv benchmark environments where only Bengal is installed.
"""

from .cache import cache_dir, cache_root, cached_scenario, working_copy
from .edits import EDITS, STRUCTURE_EDITS, apply_edit
from .generate import generate, load_manifest, tree_hash
from .mutate import Change, Mutator
from .spec import GENERATOR_VERSION, KINDS, Scenario, ScenarioError

__all__ = [
    "EDITS",
    "GENERATOR_VERSION",
    "KINDS",
    "STRUCTURE_EDITS",
    "Change",
    "Mutator",
    "Scenario",
    "ScenarioError",
    "apply_edit",
    "cache_dir",
    "cache_root",
    "cached_scenario",
    "generate",
    "load_manifest",
    "tree_hash",
    "working_copy",
]
