"""Where each era writes its output and cache, and how its output is checked.

Why: the cache moved from the output directory to ``<root>/.bengal/``, assets gained
fingerprints and bundles, and some outputs carry volatile strings that differ between two
builds of the same sources.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from driver.compat.settings import read_config

# "6 years ago" depends on today; the default theme's "You Might Also Like" widget (early eras)
# picks random pages on every build.
_RELATIVE_TIME = re.compile(rb"\b\d+ (?:second|minute|hour|day|week|month|year)s? ago\b")
_RANDOM_WIDGET = re.compile(rb'(<aside class="random-posts-widget">).*?(</aside>)', re.S)

# Later eras stamp each page with a hash of its rendered HTML, volatile parts included.
_CONTENT_HASH = re.compile(rb'(<meta name="bengal:content-hash" content=")[0-9a-f]+')

# Text outputs whose volatile strings (timestamps) are normalised before comparing builds.
TEXT_SUFFIXES = (".html", ".xml", ".json", ".txt", ".css", ".js", ".webmanifest", ".map")
_TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")


def output_dir(root: Path) -> Path:
    """The output directory (``[build] output_dir``, flat ``output_dir``, default ``public``)."""
    cfg = read_config(root)
    out = cfg.get("build", {}).get("output_dir") or cfg.get("output_dir") or "public"
    return root / out


def is_cache_path(rel: str) -> bool:
    """Cache/log files Bengal keeps inside the output dir (0.1.0: ``.bengal-cache.json``)."""
    return rel.split("/", 1)[0].startswith(".bengal")


def clean(root: Path) -> None:
    """Remove everything a previous build left: cache dirs/files and the output dir."""
    shutil.rmtree(root / ".bengal", ignore_errors=True)
    shutil.rmtree(output_dir(root), ignore_errors=True)
    for stray in (".bengal-cache.json", ".bengal-build.log"):
        (root / stray).unlink(missing_ok=True)


# Inside Bengal's cache directories: build logs (their size follows the clock), not cache.
_NOT_CACHE = ("logs",)


def cache_paths(root: Path) -> list[Path]:
    """Where Bengal keeps its cache: ``<root>/.bengal/`` (v0.1.2 on) or, before, files and
    directories named ``.bengal-cache*`` in the output directory."""
    out = output_dir(root)
    found = [root / ".bengal"] if (root / ".bengal").is_dir() else []
    if out.is_dir():
        found += sorted(p for p in out.iterdir() if p.name.startswith(".bengal-cache"))
    return found


def cache_bytes(root: Path) -> int:
    """Total size of the files of Bengal's cache (build logs excluded)."""
    total = 0
    for path in cache_paths(root):
        if path.is_file():
            total += path.stat().st_size
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            if Path(dirpath) == path:
                dirnames[:] = [d for d in dirnames if d not in _NOT_CACHE]
            total += sum(os.stat(os.path.join(dirpath, f)).st_size for f in filenames)
    return total


# Page types whose layout shows front matter, not the Markdown body (0.5.1's author pages):
# their body token cannot be on the page.
_BODYLESS_TYPES = ("author",)


def renders_body(page: dict[str, Any]) -> bool:
    """Whether ``page`` (a manifest entry) shows its own body, so its token must be there."""
    return page.get("type") not in _BODYLESS_TYPES


def autodoc_pages(autodoc: dict[str, Any]) -> list[dict[str, Any]]:
    """The pages autodoc renders from a real site's autodoc input (``scenario.json``'s
    ``autodoc``), as manifest entries: one per public Python module, at
    ``api/<dotted/path>/index.html`` (``output_prefix`` empty: derived from the package name),
    carrying a word of the module's docstring (seen from 0.2.6 to 0.5.1 on Bengal's own site)."""
    return [
        {
            "source": f"autodoc:{m['module']}",
            "output": "api/" + m["module"].replace(".", "/") + "/index.html",
            "token": m.get("token", ""),
        }
        for m in autodoc.get("python", [])
    ]


def normalise_output(rel: str, data: bytes) -> bytes:
    """Blank the volatile strings of one output file (build timestamps), nothing else."""
    if rel.endswith(".hash"):  # hash of a sibling file that holds timestamps; compared itself
        return b"<hash>"
    if rel == "changelog.json":  # what changed since the previous build: differs by design
        return b"<changes since the previous build>"
    if not rel.endswith(TEXT_SUFFIXES):
        return data
    data = _CONTENT_HASH.sub(rb"\1<hash>", data)
    data = _TIMESTAMP.sub(b"<timestamp>", data)
    data = _RELATIVE_TIME.sub(b"<relative-time>", data)
    return _RANDOM_WIDGET.sub(rb"\1<random>\2", data)


def _squash_css(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"\s+", "", text).replace(";}", "}")


def asset_copies(source: str, rels: list[str]) -> list[str]:
    """The output files (``rels``: relative to the output directory) that are copies of the
    site asset ``source`` (relative to the site root): in its directory, under its name with or
    without a content fingerprint (``assets/bench/style.1a2b3c4d.css``)."""
    src = Path(source)
    name = re.compile(re.escape(src.stem) + r"(\.[0-9a-f]{6,})?" + re.escape(src.suffix))
    where = src.parent.as_posix()
    return [
        rel
        for rel in rels
        if name.fullmatch(rel.rpartition("/")[2]) and rel.rpartition("/")[0].endswith(where)
    ]


def asset_problem(root: Path, out: Path, source: str) -> str | None:
    """Why the site asset ``source`` (relative to root) is missing from the output, or None.

    Assets are copied with an optional fingerprint (``name.1a2b3c4d.css``); CSS that is not a
    bundle entry point may instead be bundled into another stylesheet (later eras).
    """
    src = root / source
    if not src.is_file():
        return "listed in the manifest but missing from the site"
    name = re.compile(re.escape(src.stem) + r"(\.[0-9a-f]{6,})?" + re.escape(src.suffix) + "$")
    css_outputs = []
    for dirpath, _, filenames in os.walk(out):
        for fn in filenames:
            if name.match(fn):
                return None
            if fn.endswith(".css"):
                css_outputs.append(Path(dirpath) / fn)
    if src.suffix == ".css":
        rules = [r + "}" for r in _squash_css(src.read_text()).split("}") if r]
        bundled = [_squash_css(p.read_text(errors="replace")) for p in css_outputs]
        if rules and all(any(rule in css for css in bundled) for rule in rules):
            return None
        return "not written: no copy in the output and its rules are in no output stylesheet"
    return f"not written: no {src.stem}[.hash]{src.suffix} in the output"
