"""Refuse a build whose output must not be timed, and find the edits a rebuild missed.

Why its own module: the checks are the suite's definition of a correct build, read by the
driver after every build (``Build.verify``), by the clean-build comparison and by tests; they
read the output tree and ``scenario.json`` only, never run Bengal. What differs between eras
(asset fingerprints, bundles, volatile strings) is asked of ``driver.compat``.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

from driver import compat


class BuildFailed(RuntimeError):
    """The build failed or produced output that must not be timed; the message says where."""


Snapshot = dict[str, tuple[int, int]]


def snapshot(out: Path) -> Snapshot:
    """``{relative path: (mtime_ns, size)}`` of every output file except Bengal's cache files."""
    snap: Snapshot = {}
    if not out.is_dir():
        return snap
    for dirpath, dirnames, filenames in os.walk(out):
        rel_dir = os.path.relpath(dirpath, out)
        prefix = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        if not prefix:
            dirnames[:] = [d for d in dirnames if not compat.is_cache_path(d)]
        for name in filenames:
            rel = prefix + name
            if compat.is_cache_path(rel):
                continue
            st = os.stat(os.path.join(dirpath, name))
            snap[rel] = (st.st_mtime_ns, st.st_size)
    return snap


def load_manifest(root: Path) -> dict[str, Any]:
    path = Path(root) / "scenario.json"
    if not path.exists():
        raise BuildFailed(f"{path}: no scenario manifest (generate the site with scenario_gen)")
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise BuildFailed(f"{path}: unreadable manifest: {exc}") from exc


_STYLESHEET = re.compile(rb"<link\b[^>]*\bstylesheet\b[^>]*>", re.I)
_HREF = re.compile(rb"""\bhref\s*=\s*["']?([^"'\s>]+)""", re.I)


def unwritten_stylesheets(out: Path, rel: str, body: bytes) -> list[str]:
    """The stylesheets a page links that are not in the output: a page that links its theme's
    CSS but the build never wrote it renders unstyled (external and data URLs are not checked)."""
    missing = []
    for tag in _STYLESHEET.findall(body):
        found = _HREF.search(tag)
        href = found.group(1).decode(errors="replace") if found else ""
        if not href or re.match(r"^([a-z][a-z0-9+.-]*:|//)", href, re.I):
            continue
        path = href.split("#")[0].split("?")[0]
        base = out if path.startswith("/") else (out / rel).parent
        if not (base / path.lstrip("/")).resolve().is_file():
            missing.append(href)
    return missing


def validate(
    root: Path,
    out: Path,
    log: str,
    stats: dict[str, Any],
    written: set[str],
    change: Any = None,
    judge_edit: bool = True,
) -> list[str]:
    """Check the output against ``<root>/scenario.json``; raise BuildFailed naming the problem.

    Returns warnings: missing assets other than stylesheets and scripts. Pages stay correct
    without them, and early commits never write raster images (they save optimised images to
    ``x.png.tmp``, which Pillow refuses), so failing on them would hide that whole era.
    """
    warnings: list[str] = []
    manifest = load_manifest(root)
    errors = compat.log_errors(log)
    if errors:
        raise BuildFailed(f"build log reports {len(errors)} error line(s), first: {errors[0]}")
    if stats.get("template_errors"):
        raise BuildFailed(f"Bengal reports {stats['template_errors']} template error(s)")
    left_to_caller = set(change.rebuilt_outputs) if change and not judge_edit else set()
    expected = manifest.get("pages", []) + compat.autodoc_pages(manifest.get("autodoc", {}))
    for page in expected:
        rel = page["output"]
        path = out / rel
        if rel in left_to_caller and not path.is_file():  # an added page the rebuild missed
            continue
        if not path.is_file():
            raise BuildFailed(f"{rel}: expected page missing (source {page.get('source')})")
        token = page.get("token")
        body = path.read_bytes()
        if token and compat.renders_body(page) and token.encode() not in body:
            raise BuildFailed(f"{rel}: rendered page lacks its token {token!r} (error page?)")
        if not _STYLESHEET.search(body):
            raise BuildFailed(f"{rel}: links no stylesheet (unstyled fallback page)")
        unwritten = unwritten_stylesheets(out, rel, body)
        if unwritten:
            raise BuildFailed(
                f"{rel}: links the stylesheet {unwritten[0]}, which the build did not write"
            )
    for asset in manifest.get("assets", []):
        problem = compat.asset_problem(root, out, asset["source"])
        if not problem:
            continue
        if asset.get("kind") not in ("css", "js"):
            warnings.append(f"{asset['source']}: {problem}")
            continue
        raise BuildFailed(f"{asset['source']}: {problem}")
    missed = missed_edit(out, written, change) if judge_edit else []
    if missed:
        raise BuildFailed(f"{missed[0]} ({len(missed)} output(s) missed the edit)")
    return warnings


def missed_edit(out: Path, written: set[str], change: Any) -> list[str]:
    """The outputs a rebuild got wrong for ``change`` (a ``scenario_gen.Change`` or None)."""
    if change is None:
        return []
    missed = []
    for rel in change.rebuilt_outputs:
        if rel not in written:
            missed.append(f"{rel}: not rewritten after {change.kind} change")
        elif change.token and change.token.encode() not in (out / rel).read_bytes():
            missed.append(f"{rel}: lacks the new token {change.token!r} after rebuild")
    for rel in getattr(change, "removed_outputs", []):
        if (out / rel).exists():
            missed.append(f"{rel}: still present after {change.kind} change removed it")
    tree = _TreeReader(out)
    for source in getattr(change, "changed_stylesheets", []):
        missed += _stale_stylesheet(source, change.token, tree.stylesheets(), None)
    mention = _mention_pattern(change)
    if mention is not None:
        for rel in tree.text_outputs():
            if rel not in change.removed_outputs and mention.search(tree.read(rel)):
                missed.append(_stale_mention(rel, change))
    return missed


def _stale_mention(rel: str, change: Any) -> str:
    """What an output that still mentions a removed page is: another output of that page (its
    JSON or text twin), or a page, feed or index that links to or lists it."""
    dirs = [r.rpartition("/")[0] + "/" for r in change.removed_outputs if "/" in r]
    if any(rel.startswith(d) for d in dirs):
        return f"{rel}: still present after {change.kind} removed its page"
    return f"{rel}: still links to or lists the page {change.kind} removed"


class _TreeReader:
    """The output tree's files (Bengal's cache excluded), read on demand."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rels = sorted(snapshot(out))

    def read(self, rel: str) -> bytes:
        return (self.out / rel).read_bytes()

    def stylesheets(self) -> dict[str, bytes]:
        return {rel: self.read(rel) for rel in self.rels if rel.endswith(".css")}

    def text_outputs(self) -> list[str]:
        return [rel for rel in self.rels if rel.endswith(compat.TEXT_SUFFIXES)]


def _stale_stylesheet(
    source: str, token: str, written: dict[str, bytes], clean: dict[str, bytes] | None
) -> list[str]:
    """How the written stylesheets miss an edit of the site stylesheet ``source``: every copy of
    it (``compat.asset_copies``) must carry the new rule ``token``; where no copy has its name
    (bundled into another stylesheet), some stylesheet must. With ``clean`` (a clean build's
    stylesheets) only what the clean build does show counts: a copy it writes without the rule,
    or a bundle it does not carry the rule in, is no miss."""
    needle = token.encode()
    copies = compat.asset_copies(source, sorted(written))
    if copies:
        return [
            f"{rel}: a copy of {source} without its new rule {token!r} (stale)"
            for rel in copies
            if needle not in written[rel] and (clean is None or needle in clean.get(rel, needle))
        ]
    if any(needle in data for data in written.values()):
        return []
    if clean is not None and not any(needle in data for data in clean.values()):
        return []
    return [f"{source}: no output stylesheet carries its new rule {token!r}"]


def _mention_pattern(change: Any) -> re.Pattern[bytes] | None:
    """What in an output links to or lists a page ``change`` removed: its URL path (with or
    without the trailing slash, absolute or prefixed by a base URL) or its title (also
    HTML-escaped), as whole words: "Guide 7" is not "Guide 71"."""
    urls = [re.escape(url.rstrip("/")) for url in getattr(change, "removed_urls", [])]
    titles = [
        rf"(?<![\w-]){re.escape(t)}"
        for title in getattr(change, "removed_titles", [])
        for t in sorted({title, html.escape(title)})
    ]
    if not urls + titles:
        return None
    return re.compile(rf"(?:{'|'.join(urls + titles)})(?![\w-])".encode())


def read_tree(out: Path) -> dict[str, bytes]:
    """Normalised contents of every output file (cache files excluded)."""
    return {rel: compat.normalise_output(rel, (out / rel).read_bytes()) for rel in snapshot(out)}


def missed_against_clean(
    incremental: dict[str, bytes], clean: dict[str, bytes], change: Any
) -> list[str]:
    """``driver.compare_with_clean_build``'s missed edit: what the clean build shows of
    ``change`` and the incremental build does not (see there)."""
    missed = []
    token = change.token.encode()
    for rel in change.rebuilt_outputs:
        if token and token in clean.get(rel, b"") and token not in incremental.get(rel, b""):
            missed.append(f"{rel}: lacks the edit ({change.kind}) that a clean build shows")
    for rel in change.removed_outputs:
        if rel in incremental and rel not in clean:
            missed.append(f"{rel}: still served after {change.kind} removed its page")
    for source in getattr(change, "changed_stylesheets", []):

        def css(tree: dict[str, bytes]) -> dict[str, bytes]:
            return {rel: data for rel, data in tree.items() if rel.endswith(".css")}

        missed += _stale_stylesheet(source, change.token, css(incremental), css(clean))
    mention = _mention_pattern(change)
    if mention is not None:
        for rel, data in sorted(incremental.items()):
            if rel in change.removed_outputs or not rel.endswith(compat.TEXT_SUFFIXES):
                continue
            if mention.search(data) and not mention.search(clean.get(rel, b"")):
                missed.append(_stale_mention(rel, change))
    return missed
