"""Everything this repository knows about Bengal's history, detected by probing.

This package is the only code that may know how Bengal's CLI, Python API, cache and statistics
changed over time. It never branches on version numbers: it inspects the installed Bengal
(imports, ``inspect.signature``, dataclass fields, ``--help`` output), because benchmarks also run
on the commits between releases. Callers use ``from driver import compat`` and ``compat.X``.

Modules, cut at the seams: ``probes`` (capabilities; not ``probe``, which is the function),
``build`` (how a build is asked for), ``settings`` (bengal.toml written for each era), ``logs``
(stats and logs), ``outputs`` (output, cache and asset checks), ``serve`` (the dev server).

Eras (for readers; the code detects features, not eras):
- CLI: ``bengal build SRC`` → ``bengal site build SRC`` → both → ``bengal build --source SRC``.
- API: ``Site.build(**kwargs)`` → ``Site.build(BuildOptions(...))``.
- Incremental: opt-in ``--incremental`` (default full) → ``--incremental/--no-incremental``
  (default auto: incremental when a cache exists).
- Cache: ``<output>/.bengal-cache.json`` → ``<root>/.bengal/``.
- Stats: ``bengal.utils.build_stats.BuildStats`` → ``bengal.orchestration.stats.models``;
  per-phase ``*_time_ms`` fields, later also ``phase_timings_ms``.
"""

from __future__ import annotations

from driver.compat.build import (
    DEPLOYMENT_ENV,
    MODES,
    STARTUP_ARGS,
    api_build,
    cli_argv,
    import_api,
    incremental_supported,
    needs_clean,
    without_deployment_env,
)
from driver.compat.logs import (
    ERROR_PATTERNS,
    PHASES,
    last_error,
    log_errors,
    log_problems,
    logged_events_mark,
    logged_problems_since,
    normalise_stats,
    stats_from_log,
    structured_log_problems,
)
from driver.compat.outputs import (
    TEXT_SUFFIXES,
    asset_copies,
    asset_problem,
    autodoc_pages,
    cache_bytes,
    cache_paths,
    clean,
    is_cache_path,
    normalise_output,
    output_dir,
    renders_body,
)
from driver.compat.probes import (
    BUILD_ENV,
    IMPORT_API_STATEMENT,
    BengalMissing,
    Caps,
    CliBroken,
    CliCaps,
    probe,
    probe_cli,
)
from driver.compat.serve import (
    SERVE_ENV,
    ServeCaps,
    is_request_line,
    probe_serve,
    serve_argv,
    serve_rebuild_report,
    server_work_pending,
)
from driver.compat.settings import (
    NoSingleWorker,
    is_site,
    prepare_serve_site,
    read_config,
    set_workers,
    single_worker,
)

__all__ = [
    "BUILD_ENV",
    "DEPLOYMENT_ENV",
    "ERROR_PATTERNS",
    "IMPORT_API_STATEMENT",
    "MODES",
    "PHASES",
    "SERVE_ENV",
    "STARTUP_ARGS",
    "TEXT_SUFFIXES",
    "BengalMissing",
    "Caps",
    "CliBroken",
    "CliCaps",
    "NoSingleWorker",
    "ServeCaps",
    "api_build",
    "asset_copies",
    "asset_problem",
    "autodoc_pages",
    "cache_bytes",
    "cache_paths",
    "clean",
    "cli_argv",
    "import_api",
    "incremental_supported",
    "is_cache_path",
    "is_request_line",
    "is_site",
    "last_error",
    "log_errors",
    "log_problems",
    "logged_events_mark",
    "logged_problems_since",
    "needs_clean",
    "normalise_output",
    "normalise_stats",
    "output_dir",
    "prepare_serve_site",
    "probe",
    "probe_cli",
    "probe_serve",
    "read_config",
    "renders_body",
    "serve_argv",
    "serve_rebuild_report",
    "server_work_pending",
    "set_workers",
    "single_worker",
    "stats_from_log",
    "structured_log_problems",
    "without_deployment_env",
]
