"""asv results written by asv's own code (``asv.results.Results``) from values a test chooses.

Why: the report's and the comment's rules (thresholds, directions, ordering) are about values, and
measuring each case for real would cost minutes; these files are what ``asv run`` writes for
such values, in asv's own format, under this suite's real benchmark names.
"""

from __future__ import annotations

import itertools
import json
import statistics
from pathlib import Path

from asv import util
from asv.results import Results
from asv.runner import BenchmarkResult

MACHINE = "synthetic"
PYTHON = "3.14"

# name -> (params, param_names, unit); values are given per parameter combination
Suite = dict[str, tuple[list[list[str]], list[str], str]]


def write(
    results: Path,
    suite: Suite,
    commits: dict[str, dict[str, list]],
    machine: str = MACHINE,
    profile: str | None = None,
) -> None:
    """One results file per commit (``{sha: {benchmark: [value per combination]}}``, None =
    failed, NaN = skipped, a list = that combination's samples, its median the value, as
    ``--record-samples`` keeps them; a benchmark left out has no result), oldest first, plus
    benchmarks.json and machine.json (with ``profile``, as scope.machine records it)."""
    results.mkdir(parents=True, exist_ok=True)
    benchmarks = {
        name: {"name": name, "params": params, "param_names": names, "unit": unit,
               "version": "1", "type": "track"}
        for name, (params, names, unit) in suite.items()
    }  # fmt: skip
    util.write_json(str(results / "benchmarks.json"), benchmarks, api_version=2)
    info = {"machine": machine, "os": "Linux", "arch": "x86_64", "cpu": "", "num_cpu": "2",
            "ram": "", "version": 1}  # fmt: skip
    extra = {"profile": profile} if profile else {}
    (results / machine).mkdir(exist_ok=True)
    (results / machine / "machine.json").write_text(json.dumps({**info, **extra}))
    for i, (sha, values) in enumerate(commits.items()):
        env = f"virtualenv-py{PYTHON}"
        params = {"machine": machine, "python": PYTHON, **extra}
        r = Results(params, {}, sha, 1_700_000_000_000 + i * 60_000, PYTHON, env, {})
        for name, combo_values in values.items():
            bench = benchmarks[name]
            n = len(list(itertools.product(*bench["params"]))) if bench["params"] else 1
            assert len(combo_values) == n, (name, n)
            empty = [None] * n
            samples = [v if isinstance(v, list) else None for v in combo_values]
            values = [statistics.median(v) if isinstance(v, list) else v for v in combo_values]
            r.add_result(
                bench, BenchmarkResult(values, samples, empty, 0, "", None), record_samples=True
            )
        r.save(str(results))
