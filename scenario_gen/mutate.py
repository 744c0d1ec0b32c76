"""Edits a user would make to a working copy, each new and unique, and what they must rebuild.

Uniqueness: a counter kept in the working copy (`.scenario-gen-state.json`) plus a nonce. The
nonce is random per `Mutator` unless the caller passes `salt` (then edits are reproducible, and
the caller must vary the salt if it restores the working copy from a snapshot).

Every write goes to a new file that is then `os.replace`d over the old name, so a working copy
whose files are hard links into the scenario cache can never write into the cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path

from .generate import MANIFEST, STATE, config_text, load_manifest
from .kinds import REVISION_ZERO, frontmatter, source_to_url, url_to_output
from .spec import ScenarioError

REV_RE = re.compile(r"sgrev-[0-9a-f]{12}")


@dataclasses.dataclass
class Change:
    """What a mutation did: sources relative to the site root, outputs relative to output_dir."""

    kind: str
    changed_sources: list[str]
    rebuilt_outputs: list[str]
    removed_outputs: list[str] = dataclasses.field(default_factory=list)
    token: str = ""
    # Site stylesheets (relative to the site root) whose written copy must now carry ``token``.
    changed_stylesheets: list[str] = dataclasses.field(default_factory=list)
    # A deleted page's URL path and title: no output may still link to or list it.
    removed_urls: list[str] = dataclasses.field(default_factory=list)
    removed_titles: list[str] = dataclasses.field(default_factory=list)


def replace_file(path: Path, data: bytes) -> None:
    """Write `data` to a new file next to `path`, then rename it over `path` (never in place)."""
    tmp = path.with_name(f".{path.name}.sg-new-{os.getpid()}")
    with open(tmp, "xb") as f:
        f.write(data)
    os.replace(tmp, path)


class Mutator:
    """Mutations of the scenario at `root`; see the module docstring for uniqueness."""

    def __init__(self, root: Path | str, salt: str | None = None) -> None:
        self.root = Path(root)
        self.manifest = load_manifest(self.root)
        self.nonce = salt if salt is not None else os.urandom(8).hex()

    # -- helpers ---------------------------------------------------------------------------
    def _next_token(self, what: str) -> str:
        state_path = self.root / STATE
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = {"counter": 0}
        state["counter"] += 1
        replace_file(state_path, json.dumps(state).encode())
        digest = hashlib.sha256(f"{what}|{state['counter']}|{self.nonce}".encode()).hexdigest()
        return f"sgrev-{digest[:12]}"  # same length as the marker it replaces

    def _save_manifest(self) -> None:
        replace_file(self.root / MANIFEST, (json.dumps(self.manifest, indent=1) + "\n").encode())

    def regular_pages(self) -> list[dict]:
        return [p for p in self.manifest["pages"] if not p["source"].endswith("_index.md")]

    def _entry(self, source: str) -> dict:
        for p in self.manifest["pages"]:
            if p["source"] == source:
                return p
        raise ScenarioError(f"no page {source!r} in the manifest")

    def _section_index(self, source: str) -> dict:
        return self._entry(source.rpartition("/")[0] + "/_index.md")

    def _siblings(self, source: str) -> list[dict]:
        d = source.rpartition("/")[0]
        return [p for p in self.regular_pages() if p["source"].rpartition("/")[0] == d]

    def _rewrite_revision(self, source: str, token: str) -> None:
        path = self.root / source
        body = path.read_text(encoding="utf-8")
        new, n = REV_RE.subn(token, body, count=1)
        if n != 1:
            raise ScenarioError(f"{source} has no revision marker to edit")
        replace_file(path, new.encode())

    # -- mutations ---------------------------------------------------------------------------
    def edit_page(self, source: str | None = None) -> Change:
        """Change one page's body (same length and word count, at the end: no excerpt moves)."""
        pages = self.regular_pages()
        entry = self._entry(source) if source else pages[len(pages) // 2]
        token = self._next_token("edit_page")
        self._rewrite_revision(entry["source"], token)
        return Change("edit_page", [entry["source"]], [entry["output"]], [], token)

    def edit_pages(self, n: int) -> Change:
        """Change the bodies of `n` pages spread evenly over the site (one shared token)."""
        pages = self.regular_pages()
        if not 1 <= n <= len(pages):
            raise ScenarioError(f"edit_pages: n must be between 1 and {len(pages)}, got {n}")
        chosen = [pages[i * len(pages) // n] for i in range(n)]
        token = self._next_token("edit_pages")
        for e in chosen:
            self._rewrite_revision(e["source"], token)
        return Change(
            "edit_pages", [e["source"] for e in chosen], [e["output"] for e in chosen], [], token
        )

    def edit_asset(self) -> Change:
        """Change a rule of the site's own stylesheet (no page links it, so no page must be
        rewritten; the written stylesheet, fingerprinted or bundled, must carry the token)."""
        css = next(a["source"] for a in self.manifest["assets"] if a["kind"] == "css")
        path = self.root / css
        token = self._next_token("edit_asset")
        new, n = REV_RE.subn(token, path.read_text(encoding="utf-8"), count=1)
        if n != 1:
            raise ScenarioError(f"{css} has no revision marker to edit")
        replace_file(path, new.encode())
        return Change("edit_asset", [css], [], [], token, changed_stylesheets=[css])

    def change_config(self) -> Change:
        """Change `[site] title`: it is in every page's <title>, so every page is rewritten."""
        token = self._next_token("change_config")
        base = self.manifest.get("base_site_title", self.manifest["site_title"])
        self.manifest["base_site_title"] = base
        self.manifest["site_title"] = f"{base} {token}"
        config = self.manifest.get("config", "bengal.toml")
        replace_file(self.root / config, config_text(self.manifest["site_title"]).encode())
        self._save_manifest()
        return Change(
            "change_config",
            [config, MANIFEST],
            [p["output"] for p in self.manifest["pages"]],
            [],
            token,
        )

    def add_page(self) -> Change:
        """Add a page at the end of a section (last by weight and oldest by date).

        Must rebuild: the new page, its section index (lists it) and the previous last page of
        the section (its "next" link now points at the new page).
        """
        pages = self.regular_pages()
        anchor = pages[len(pages) // 2]
        siblings = self._siblings(anchor["source"])
        # Docs sort by weight (the new page is last); blogs by date (it is the oldest post).
        last = siblings[0] if self.manifest["params"]["kind"] == "blog" else siblings[-1]
        section = self._section_index(anchor["source"])
        token = self._next_token("add_page")
        d = anchor["source"].rpartition("/")[0]
        source = f"{d}/added-{token[6:]}.md"
        output = url_to_output(source_to_url(source))
        title = f"Added page {token}"  # the section index and the neighbour show the token
        fields = [("title", f'"{title}"'), ("weight", "99999999"), ("date", "2000-01-01")]
        body = frontmatter(fields) + (
            f"A page added by scenario_gen. Page token: {token}.\n\n## Links\n\n"
            f"- [{section['title']}]({source_to_url(section['source'])})\n- [Home](/)\n\n"
            f"Revision marker: {REVISION_ZERO}.\n"
        )
        replace_file(self.root / source, body.encode())
        entry = {"source": source, "output": output, "title": title, "token": token}
        entry["deletable"] = True
        self.manifest["pages"].append(entry)
        self._save_manifest()
        return Change(
            "add_page",
            [source, MANIFEST],
            sorted({output, section["output"], last["output"]}),
            [],
            token,
        )

    def delete_page(self) -> Change:
        """Delete a page no other page body links (added pages first, then index % 8 == 7).

        Must rebuild: the section index and the pages before and after it in the section
        (their previous/next links change); no output may still link to or list the page.
        """
        candidates = [p for p in self.regular_pages() if p.get("deletable")]
        if not candidates:
            raise ScenarioError(
                "delete_page: no page left that can be deleted without dangling links"
            )
        victim = candidates[-1]
        siblings = self._siblings(victim["source"])
        i = siblings.index(victim)
        neighbours = siblings[max(0, i - 1) : i] + siblings[i + 1 : i + 2]
        section = self._section_index(victim["source"])
        self._next_token("delete_page")
        os.unlink(self.root / victim["source"])
        self.manifest["pages"].remove(victim)
        self._save_manifest()
        rebuilt = sorted({section["output"], *(p["output"] for p in neighbours)})
        return Change(
            "delete_page",
            [victim["source"], MANIFEST],
            rebuilt,
            [victim["output"]],
            "",
            removed_urls=[source_to_url(victim["source"])],
            removed_titles=[victim["title"]],
        )
