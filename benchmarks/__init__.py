"""asv benchmarks for Bengal.

asv imports only this package from the repository root, so the shared code the benchmarks run on
(``scenario_gen`` and ``driver``, both stdlib-only) is put on ``sys.path`` here, before any
benchmark module imports it.
"""

import sys
from pathlib import Path

_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)
