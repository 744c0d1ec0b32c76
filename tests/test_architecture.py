"""The layers import downwards only: scope → scenario_gen → driver → benchmarks → catalogue →
tools, and only tools/ci's own modules import tools/ci (it is GitHub glue)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("scope", "scenario_gen", "driver", "benchmarks", "catalogue", "tools", "tests")
# What each folder may import of this repository (the rest of its imports: stdlib or packages).
MAY_IMPORT = {
    "scope": {"scope"},
    "scenario_gen": {"scope", "scenario_gen"},
    "driver": {"scope", "scenario_gen", "driver"},
    "benchmarks": {"scope", "scenario_gen", "driver", "benchmarks"},
    "catalogue": {"scope", "catalogue", "benchmarks"},
}


def imports(path: Path) -> set[str]:
    """The first-party modules ``path`` imports (absolute imports; relative ones stay inside)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names]
        found |= {n for n in names if n.split(".")[0] in FIRST_PARTY}
    return found


def test_each_layer_imports_only_the_layers_below_it() -> None:
    wrong = []
    for folder, allowed in MAY_IMPORT.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            for name in imports(path):
                if not any(name == a or name.startswith(a + ".") for a in allowed):
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_nothing_outside_tools_ci_imports_it() -> None:
    outside = [
        path
        for folder in ("tools", "benchmarks", "catalogue", "scope", "driver", "scenario_gen")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if not path.is_relative_to(ROOT / "tools" / "ci")
    ]
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in outside
        for name in imports(path)
        if name == "tools.ci" or name.startswith("tools.ci.")
    ]
    assert wrong == []


def test_scope_is_the_only_reader_of_the_suites_variables() -> None:
    """Every BENGAL_BENCH_* variable is read in scope/__init__.py (others may set one for a
    child process, through scope's names)."""
    readers = []
    for folder in ("scenario_gen", "driver", "benchmarks", "catalogue", "tools", "rehearsal"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text()
            if '"BENGAL_BENCH_' in text or "'BENGAL_BENCH_" in text:
                readers.append(str(path.relative_to(ROOT)))
    assert readers == [], readers
