"""How each era is asked for one build: the command line, or the in-process call.

Why here: the flags and the API changed over time (see ``driver.compat``); the caps probed by
``driver.compat.probes`` say which of them this Bengal has.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from driver.compat.probes import Caps, CliCaps, _build_options_class

MODES = ("full", "incremental", "default")


# The CLI invocation that starts Bengal and does no site work; every era's CLI has `--version`.
STARTUP_ARGS = ("--version",)


def needs_clean(caps: Caps | CliCaps, mode: str) -> bool:
    """Whether a full build has to delete caches/output first (no way to ask for one)."""
    if mode != "full":
        return False
    if isinstance(caps, Caps):
        return "incremental" not in caps.api_fields
    return caps.cli_incremental == "none"


def cli_argv(caps: CliCaps, root: Path, mode: str) -> list[str]:
    """The command line of a build of ``root`` in ``mode``."""
    argv = [caps.cli, *caps.cli_build]
    if mode == "incremental" and caps.cli_incremental != "none":
        argv.append("--incremental")
    elif mode == "full" and caps.cli_incremental == "both":
        argv.append("--no-incremental")
    # "full" with an opt-in --incremental: the default already is a full build.
    if caps.cli_source == "option":
        argv += ["--source", os.fspath(root)]
    else:
        argv.append(os.fspath(root))
    return argv


def import_api() -> None:
    """Import what an in-process build needs, so that a timed build does not pay for it."""
    from bengal.core.site import Site  # noqa: F401

    _build_options_class()


def api_build(caps: Caps, root: Path, mode: str) -> Any:
    """Build ``root`` in-process; returns Bengal's stats object."""
    from bengal.core.site import Site

    kwargs: dict[str, Any] = {}
    if "quiet" in caps.api_fields:
        kwargs["quiet"] = True
    if mode == "incremental":
        kwargs["incremental"] = True
    elif mode == "full" and "incremental" in caps.api_fields:
        kwargs["incremental"] = False
    kwargs = {k: v for k, v in kwargs.items() if k in caps.api_fields}
    site = Site.from_config(root)
    if caps.api == "options":
        options_cls = _build_options_class()
        assert options_cls is not None
        return site.build(options_cls(**kwargs))
    return site.build(**kwargs)


def incremental_supported(caps: Caps | CliCaps) -> bool:
    if isinstance(caps, Caps):
        return "incremental" in caps.api_fields
    return caps.cli_incremental != "none"


# Bengal (0.1.3 on, ``bengal.config.env_overrides`` from 0.1.5) sets a site's baseurl from the
# deployment platform it finds in the environment when the config sets none: "/<repository>" on
# GitHub Actions (``GITHUB_ACTIONS`` and ``GITHUB_REPOSITORY``; 0.1.3 an absolute github.io URL),
# Netlify's and Vercel's URLs, ``BENGAL_BASEURL``. On a CI runner its pages then link
# /<repository>/assets/… while it writes /assets/…, another site than on a workstation. Builds
# run without these variables (``driver`` removes them from its process, which its CLI builds
# and dev servers inherit).
DEPLOYMENT_ENV = ("GITHUB_ACTIONS", "NETLIFY", "VERCEL", "BENGAL_BASEURL", "BENGAL_BASE_URL")


def without_deployment_env(environ: MutableMapping[str, str]) -> list[str]:
    """Remove the deployment platforms' variables from ``environ``; the names removed."""
    found = [name for name in DEPLOYMENT_ENV if name in environ]
    for name in found:
        del environ[name]
    return found
