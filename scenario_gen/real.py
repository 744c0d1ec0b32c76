"""A real site beside the generated ones: Bengal's own documentation at one pinned tag.

The site (``site/``) and the package source its autodoc reads are taken from a Bengal git
repository by ``git archive`` at run time, never copied into this repository, and cached by tag
under ``cache_root()/real``. The loader writes a ``scenario.json`` of the generated sites' format,
so the driver validates a build of the real site exactly like a generated one:

- ``pages``: every authored content page (drafts excluded), where Bengal writes it, and a token:
  the rarest plain word of its body, so a fallback page (site chrome, no body) cannot pass;
- ``autodoc``: the autodoc input (the Python modules of the configured source dirs, each with a
  token from its docstring); which pages an era renders from them is ``driver.compat``'s job.

Stdlib only (runs in asv's benchmark environments); the site's YAML config is read by the few
line patterns its autodoc section needs.
"""

from __future__ import annotations

import collections
import fnmatch
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import scope

from .cache import cache_root, linked_copy
from .generate import MANIFEST, STATE, TMP_MARK
from .kinds import source_to_url, url_to_output
from .mutate import Change, replace_file
from .spec import ScenarioError

# The pinned tag: the newest release whose site the most commits build (docs/real-site.md).
REAL_TAG = "v0.5.1"
SITE = "site"
AUTODOC_CONFIG = "config/_default/autodoc.yaml"
REAL_FORMAT = 1  # bump when the manifest written here changes


class RealSiteUnavailable(ScenarioError):
    """No Bengal git repository with the pinned site at hand; the message says what to pass."""


def find_repo() -> Path | None:
    """``scope.bengal_repo()``, else asv's own mirror of Bengal (``$ASV_CONF_DIR/bengal``)."""
    if repo := scope.bengal_repo():
        return repo
    conf_dir = os.environ.get("ASV_CONF_DIR")
    if conf_dir and (Path(conf_dir) / "bengal" / "objects").is_dir():
        return Path(conf_dir) / "bengal"
    return None


def _git(repo: Path, *args: str) -> bytes:
    proc = subprocess.run(["git", "-C", os.fspath(repo), *args], capture_output=True)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise RealSiteUnavailable(f"git {args[0]} in {repo}: {' '.join(tail)}")
    return proc.stdout


def _unavailable(why: str, tag: str) -> RealSiteUnavailable:
    return RealSiteUnavailable(
        f"real site skipped: {why}; pass a clone of Bengal's git repository with tag {tag} "
        f"(tools.asv_local --repo PATH, or {scope.REPO_ENV}=PATH)"
    )


def real_site(repo: Path | None = None, tag: str = REAL_TAG) -> Path:
    """The cached pristine real site (its ``site/`` dir, the package source beside it)."""
    if repo is None:
        repo = find_repo()
    if repo is None:
        raise _unavailable("no Bengal git repository given", tag)
    if not repo.is_dir():
        raise _unavailable(f"{repo} does not exist", tag)
    try:
        commit = _git(repo, "rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}").decode()
    except RealSiteUnavailable:
        raise _unavailable(f"{repo} has no tag {tag}", tag) from None
    commit = commit.strip()
    tree = cache_root() / "real" / f"{tag}-{commit[:12]}"
    if _is_real_tree(tree):
        return tree / SITE
    if not _git(repo, "ls-tree", "--name-only", commit, SITE).strip():
        raise _unavailable(f"{tag} in {repo} has no {SITE}/ (a release history from sdists?)", tag)
    tree.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(tree, ignore_errors=True)  # written by an older loader (REAL_FORMAT)
    private = tree.parent / f".{tree.name}{TMP_MARK}{os.getpid()}-{time.monotonic_ns()}"
    try:
        _extract(repo, commit, private)
        manifest = write_manifest(private / SITE, tag=tag, commit=commit)
        if not manifest["pages"]:
            raise RealSiteUnavailable(f"{tag}: {SITE}/content holds no pages")
        os.rename(private, tree)  # the first finished copy wins
    except OSError:
        if not _is_real_tree(tree):
            raise
    finally:
        shutil.rmtree(private, ignore_errors=True)
    return tree / SITE


def _is_real_tree(tree: Path) -> bool:
    try:
        manifest = json.loads((tree / SITE / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return manifest.get("real_format") == REAL_FORMAT


def _extract(repo: Path, commit: str, dest: Path) -> None:
    """``site/`` and the source dirs its autodoc reads, at ``commit``."""
    dest.mkdir()
    try:
        config = _git(repo, "show", f"{commit}:{SITE}/{AUTODOC_CONFIG}").decode(errors="replace")
    except RealSiteUnavailable:  # a site without autodoc: site/ alone
        config = ""
    paths = [SITE]
    for rel in autodoc_settings(config)["source_dirs"]:
        top = os.path.normpath(os.path.join(SITE, rel))
        if top.startswith("..") or os.path.isabs(top):
            raise RealSiteUnavailable(f"autodoc source dir {rel!r} lies outside the repository")
        paths.append(top)
    data = _git(repo, "archive", "--format=tar", commit, *paths)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")


def working_copy(dest: Path | str, repo: Path | None = None, tag: str = REAL_TAG) -> Path:
    """A pristine copy of the real site's tree at ``dest`` (hard links); returns its site root."""
    dest = Path(dest).absolute()
    src = real_site(repo, tag).parent
    dest.parent.mkdir(parents=True, exist_ok=True)
    linked_copy(src, dest)
    return dest / SITE


def load_params(site: Path) -> dict:
    """What a copy of the real site is: its tag, commit and authored page count."""
    return json.loads((Path(site) / MANIFEST).read_text(encoding="utf-8"))["params"]


# --- the manifest -------------------------------------------------------------------------------

_FRONTMATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_FENCE = re.compile(r"^\s*(```|~~~|:::)")
# A plain word: no part of a path, identifier, URL or file name (a sentence's full stop is fine).
_WORD = re.compile(r"(?<![\w./\-@#&=:])[a-z]{6,}(?![\w/\-@=]|\.\w)")
# Markup whose words do not reach the rendered text as written: link targets, roles, template
# code, inline HTML, HTML comments.
_NOT_TEXT = re.compile(r"\]\([^)]*\)|\{[^}]*\}|<[^>]*>|<!--.*?-->|\[\[[^\]]*\]\]|`[^`]*`", re.S)


def write_manifest(site: Path, tag: str = "", commit: str = "") -> dict:
    """Write ``site/scenario.json`` from the site itself; returns it."""
    pages = content_pages(site)
    modules = autodoc_modules(site)
    manifest = {
        "format": 1,
        "real_format": REAL_FORMAT,
        "params": {"kind": "real", "pages": len(pages), "tag": tag, "commit": commit},
        "output_dir": "public",
        "pages": pages,
        "assets": [],
        "autodoc": {"python": modules},
    }
    (site / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def _split(text: str) -> tuple[str, str]:
    m = _FRONTMATTER.match(text)
    return (m.group(1), text[m.end() :]) if m else ("", text)


def _field(frontmatter: str, key: str) -> str:
    m = re.search(rf"^{key}:\s*(.*?)\s*$", frontmatter, re.M)
    return m.group(1).strip("'\"") if m else ""


def _plain_words(body: str) -> list[str]:
    """Lowercase words of the body's prose lines (no code, directives, tables, headings)."""
    words: list[str] = []
    fence = ""
    for line in _NOT_TEXT.sub(" ", body).splitlines():
        m = _FENCE.match(line)
        if m:
            fence = "" if fence and m.group(1) == fence else (fence or m.group(1))
            continue
        stripped = line.strip()
        if fence or not stripped or stripped[0] in "#|>{}<$%!=+" or line.startswith("    "):
            continue
        words += _WORD.findall(stripped)
    return words


def _tokens(bodies: dict[str, list[str]], exclude: set[str]) -> dict[str, str]:
    """Per key, its rarest word across all bodies (first on a tie); ``""`` when it has none."""
    df = collections.Counter(w for words in bodies.values() for w in set(words))
    out = {}
    for key, words in bodies.items():
        usable = [w for w in words if w not in exclude]
        out[key] = min(usable, key=lambda w: df[w]) if usable else ""
    return out


def content_pages(site: Path) -> list[dict]:
    """Every authored Markdown page that is not a draft, with its output and token."""
    entries: dict[str, dict] = {}
    bodies: dict[str, list[str]] = {}
    titles: set[str] = set()
    for path in sorted((site / "content").rglob("*.md")):
        source = path.relative_to(site).as_posix()
        if any(part.startswith("_") for part in source.split("/")[1:-1]):
            continue  # _snippets/, _versions/: included or versioned content, not pages
        front, body = _split(path.read_text(encoding="utf-8", errors="replace"))
        if _field(front, "draft").lower() == "true":
            continue
        title = _field(front, "title")
        titles.update(re.findall(r"[a-z]+", title.lower()))
        url = (
            source_to_url(source.removesuffix("/index.md") + "/_index.md")
            if (source.endswith("/index.md"))
            else source_to_url(source)
        )
        entries[source] = {"source": source, "output": url_to_output(url), "title": title}
        if page_type := _field(front, "type"):
            entries[source]["type"] = page_type  # some layouts show no body (driver.compat)
        bodies[source] = _plain_words(body)
    for source, token in _tokens(bodies, titles).items():
        entries[source]["token"] = token
    return list(entries.values())


def autodoc_settings(config: str) -> dict[str, list[str]]:
    """The python section's ``source_dirs`` and ``exclude`` lists of an autodoc.yaml."""
    lists: dict[str, list[str]] = {"source_dirs": [], "exclude": []}
    section, key, key_indent = "", "", -1
    for line in config.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        stripped = line.split(" #", 1)[0].strip()
        if indent <= 2 and stripped.endswith(":"):
            section = stripped[:-1]
        if key and indent <= key_indent and not stripped.startswith("-"):
            key = ""
        m = re.match(r"(\w+):\s*$", stripped)
        if section == "python" and m and m.group(1) in lists:
            key, key_indent = m.group(1), indent
        elif key and stripped.startswith("- "):
            lists[key].append(stripped[2:].strip().strip("'\""))
    return lists


def autodoc_modules(site: Path) -> list[dict]:
    """The public Python modules autodoc documents (its input), each with a docstring token."""
    config_path = site / AUTODOC_CONFIG
    if not config_path.is_file():
        return []
    settings = autodoc_settings(config_path.read_text(encoding="utf-8"))
    modules: dict[str, dict] = {}
    bodies: dict[str, list[str]] = {}
    for rel in settings["source_dirs"]:
        top = (site / rel).resolve()
        for path in sorted(top.rglob("*.py")):
            posix = path.as_posix()
            if any(fnmatch.fnmatch(posix, pat) for pat in settings["exclude"]):
                continue
            parts = path.relative_to(top.parent).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if any(p.startswith("_") for p in parts):
                continue  # private modules (include_private: false) and __main__
            name = ".".join(parts)
            modules[name] = {"module": name, "package": path.name == "__init__.py"}
            bodies[name] = _plain_words(
                _docstring(path.read_text(encoding="utf-8", errors="replace"))
            )
    for name, token in _tokens(bodies, set()).items():
        modules[name]["token"] = token
    return list(modules.values())


def _docstring(source: str) -> str:
    m = re.match(r'\s*(?:#.*\n\s*)*[rRuU]?("""|\'\'\')(.*?)\1', source, re.S)
    return m.group(2) if m else ""


# --- an edit of a real page ----------------------------------------------------------------------


def edit_page(site: Path, salt: str) -> Change:
    """Append a sentence with a unique token to the body of one real page (the middle one)."""
    manifest = json.loads((site / MANIFEST).read_text(encoding="utf-8"))
    pages = [p for p in manifest["pages"] if p.get("token") and "_index" not in p["source"]]
    entry = pages[len(pages) // 2]
    token = "rsedit-" + hashlib.sha256(f"{entry['source']}|{salt}".encode()).hexdigest()[:12]
    path = site / entry["source"]
    text = path.read_text(encoding="utf-8")
    state = site / STATE
    replace_file(path, (text.rstrip("\n") + f"\n\nEdited by the benchmark: {token}.\n").encode())
    replace_file(state, json.dumps({"last_edit": token}).encode())
    return Change("edit_page", [entry["source"]], [entry["output"]], [], token)
