"""The four site shapes, streamed one file at a time (nothing site-sized is held in memory).

Every content page is reachable by index through pure functions (`_page_loc`), so a page can
link any other page without a site-wide table. Links are absolute, pretty URLs (`/docs/a/p/`)
which every Bengal era resolves. Pages with index % 8 == 7 are "deletable": no other page body
links them (only the section list does), so `Mutator.delete_page` never creates a broken link.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from . import text
from .spec import Scenario

LEVEL_WORDS = ("area", "group", "topic", "unit", "part", "leaf")
REVISION_ZERO = "sgrev-000000000000"


@dataclass(frozen=True)
class PageFile:
    """One Markdown source and what the manifest says about it."""

    source: str
    output: str
    title: str
    token: str
    body: str
    deletable: bool = False

    def entry(self) -> dict[str, object]:
        e: dict[str, object] = {
            "source": self.source,
            "output": self.output,
            "title": self.title,
            "token": self.token,
        }
        if self.deletable:
            e["deletable"] = True
        return e


def url_to_output(url: str) -> str:
    """`/docs/a/` -> `docs/a/index.html` (Bengal's pretty URLs)."""
    path = url.strip("/")
    return f"{path}/index.html" if path else "index.html"


def source_to_url(source: str) -> str:
    """`content/docs/a/_index.md` -> `/docs/a/`; `content/docs/p.md` -> `/docs/p/`."""
    rel = source.removeprefix("content/").removesuffix(".md")
    if rel == "_index" or rel.endswith("/_index"):
        rel = rel.removesuffix("_index")
    rel = rel.strip("/")
    return f"/{rel}/" if rel else "/"


def token_for(seed: int, index: int) -> str:
    """Unique per page (index) and per seed (hash): the word a validator looks for."""
    return f"sgtok-{index:06d}{text.mix(seed, index, 3):08x}"


def frontmatter(fields: list[tuple[str, str]]) -> str:
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in fields) + "---\n\n"


class Layout:
    """Section tree + page placement; subclasses render the bodies."""

    root_name = "docs"
    root_title = "Documentation"

    def __init__(self, spec: Scenario) -> None:
        self.spec = spec.resolved()
        self.n = self.spec.pages
        self.seed = self.spec.seed
        self.depth = self.spec.depth or 0
        self.breadth = self.spec.breadth or 0
        self.leaves = self.breadth**self.depth if self.depth else 1
        self.pool = text.TextPool(self.seed)
        self.base_day = datetime.date(2020, 1, 1).toordinal() + self.seed % 1000
        self._leaf_info: dict[int, tuple[str, str]] = {}

    # -- placement -------------------------------------------------------------------------
    def leaf_of(self, k: int) -> int:
        return k * self.leaves // self.n

    def leaf_range(self, leaf: int) -> range:
        lo = (leaf * self.n + self.leaves - 1) // self.leaves
        hi = ((leaf + 1) * self.n + self.leaves - 1) // self.leaves
        return range(lo, hi)

    def section_name(self, level: int, j: int) -> str:
        return f"{LEVEL_WORDS[min(level, len(LEVEL_WORDS) - 1)]}-{j:02d}"

    def section_dir(self, digits: tuple[int, ...]) -> str:
        parts = [self.root_name] + [self.section_name(i, d) for i, d in enumerate(digits)]
        return "/".join(parts)

    def leaf_digits(self, leaf: int) -> tuple[int, ...]:
        digits = []
        for _ in range(self.depth):
            digits.append(leaf % self.breadth)
            leaf //= self.breadth
        return tuple(reversed(digits))

    def page_slug(self, k: int) -> str:
        return f"page-{k:05d}"

    def leaf_info(self, leaf: int) -> tuple[str, str]:
        """(dir, title) of a leaf section, memoised (bounded by the sections, not the pages)."""
        info = self._leaf_info.get(leaf)
        if info is None:
            digits = self.leaf_digits(leaf)
            info = self._leaf_info[leaf] = (self.section_dir(digits), self.section_title(digits))
        return info

    def page_dir(self, k: int) -> str:
        return self.leaf_info(self.leaf_of(k))[0]

    def page_url(self, k: int) -> str:
        return f"/{self.page_dir(k)}/{self.page_slug(k)}/"

    def page_title(self, k: int) -> str:
        return text.title(self.seed, k)

    def date(self, k: int) -> str:
        return datetime.date.fromordinal(self.base_day + k % 3650).isoformat()

    @staticmethod
    def deletable(k: int) -> bool:
        return k % 8 == 7

    def linkable(self, k: int) -> int:
        return k - 1 if self.deletable(k) else k

    def next_link(self, k: int) -> tuple[str, str]:
        """The next non-deletable page of the same leaf, else the leaf's index."""
        rng = self.leaf_range(self.leaf_of(k))
        for j in range(k + 1, min(k + 3, rng.stop)):
            if not self.deletable(j):
                return self.page_title(j), self.page_url(j)
        sdir, stitle = self.leaf_info(self.leaf_of(k))
        return stitle, f"/{sdir}/"

    def far_link(self, k: int, salt: int) -> tuple[str, str]:
        j = self.linkable(text.mix(self.seed, k, salt) % self.n)
        return self.page_title(j), self.page_url(j)

    def section_title(self, digits: tuple[int, ...]) -> str:
        if not digits:
            return self.root_title
        return " ".join(self.section_name(i, d) for i, d in enumerate(digits)).title()

    # -- streaming ---------------------------------------------------------------------------
    def extra_files(self) -> list[tuple[str, bytes]]:
        """Non-content site files besides config and assets (e.g. `data/`)."""
        return []

    def file_count(self) -> int:
        """Number of Markdown files `files()` yields (home + section indexes + pages)."""
        return 1 + sum(self.breadth**d for d in range(self.depth + 1)) + self.n

    def files(self) -> Iterator[PageFile]:
        yield self.home()
        yield from self._walk(())

    def _walk(self, digits: tuple[int, ...]) -> Iterator[PageFile]:
        yield self.section_index(digits)
        if len(digits) == self.depth:
            leaf = 0
            for d in digits:
                leaf = leaf * self.breadth + d
            for k in self.leaf_range(leaf):
                yield self.page(k)
        else:
            for j in range(self.breadth):
                yield from self._walk((*digits, j))

    def home(self) -> PageFile:
        tok = token_for(self.seed, 10_000_000)
        body = frontmatter([("title", '"Home"')]) + (
            f"Welcome to the generated benchmark site. Home token: {tok}.\n\n"
            f"{self.pool.paragraph()}\n\n## Sections\n\n"
            f"- [{self.root_title}](/{self.root_name}/)\n"
        )
        return PageFile("content/_index.md", "index.html", "Home", tok, body)

    def section_index(self, digits: tuple[int, ...]) -> PageFile:
        path = self.section_dir(digits)
        digest = hashlib.sha256(f"{self.seed}:{path}".encode()).hexdigest()
        tok = f"sgtok-s{digest[:13]}"
        stitle = self.section_title(digits)
        links = []
        if len(digits) < self.depth:
            for j in range(self.breadth):
                sub = (*digits, j)
                links.append(f"- [{self.section_title(sub)}](/{self.section_dir(sub)}/)")
        else:
            leaf = 0
            for d in digits:
                leaf = leaf * self.breadth + d
            shown = [k for k in list(self.leaf_range(leaf))[:6] if not self.deletable(k)][:4]
            links += [f"- [{self.page_title(k)}]({self.page_url(k)})" for k in shown]
        if digits:
            parent = digits[:-1]
            links.append(f"- Up: [{self.section_title(parent)}](/{self.section_dir(parent)}/)")
        body = frontmatter(
            [("title", f'"{stitle}"'), ("weight", str(digits[-1] + 1 if digits else 1))]
        )
        body += (
            f"{self.pool.paragraph()} Section token: {tok}.\n\n## Contents\n\n"
            + "\n".join(links)
            + "\n"
        )
        return PageFile(f"content/{path}/_index.md", f"{path}/index.html", stitle, tok, body)

    def page(self, k: int) -> PageFile:
        src_dir = self.page_dir(k)
        slug = self.page_slug(k)
        title = self.page_title(k)
        tok = token_for(self.seed, k)
        body = self.page_body(k, title, tok)
        return PageFile(
            f"content/{src_dir}/{slug}.md",
            f"{src_dir}/{slug}/index.html",
            title,
            tok,
            body,
            self.deletable(k),
        )

    def related(self, k: int) -> str:
        nt, nu = self.next_link(k)
        ft, fu = self.far_link(k, 5)
        gt, gu = self.far_link(k, 6)
        sdir, stitle = self.leaf_info(self.leaf_of(k))
        return (
            f"- Next: [{nt}]({nu})\n- See also: [{ft}]({fu})\n- Compare: [{gt}]({gu})\n"
            f"- Section: [{stitle}](/{sdir}/)\n"
        )

    def page_body(self, k: int, title: str, tok: str) -> str:
        p = self.pool
        r = p.r
        langs = text.LANGUAGES
        fm = frontmatter(
            [
                ("title", f'"{title}"'),
                ("date", self.date(k)),
                ("weight", str(k + 1)),
                ("description", f'"{p.items[r(64)]}"'),
            ]
        )
        return (
            f"{fm}{p.paragraph()} Page token: {tok}.\n\n"
            f"## Overview\n\n{p.paragraph()}\n\n{p.bullet_list(4)}\n\n"
            f"## Configuration\n\n{p.sentence()}\n\n{p.table(3)}\n\n"
            f"{p.code(langs[k % 5])}\n\n"
            f"## Usage\n\n{p.paragraph()}\n\n1. {p.items[r(64)]}\n2. {p.items[r(64)]}\n"
            f"3. {p.items[r(64)]}\n\n{p.code(langs[(k + 2) % 5])}\n\n"
            f"### Notes\n\n> {p.sentence()}\n\n{p.paragraph()} **{p.word()}** and *{p.word()}*"
            f" with `{p.word()}_{r(99)}`.\n\n"
            f"## Related pages\n\n{self.related(k)}\n"
            f"Revision marker: {REVISION_ZERO}.\n"
        )


class FlatLayout(Layout):
    """N pages in one section."""


class NestedLayout(Layout):
    """depth x breadth sections, `_index.md` everywhere, pages spread evenly over the leaves."""


class BlogLayout(Layout):
    """Dated posts with tags, categories and authors in one `posts` section (paginated list)."""

    # "posts", not "blog": 0.1.x's blog/list.html fails on a section named "blog" (posts=None);
    # 0.5.x still treats "posts" as a blog section.
    root_name = "posts"
    root_title = "Blog"

    def page_slug(self, k: int) -> str:
        return f"post-{k:05d}"

    def extra_files(self) -> list[tuple[str, bytes]]:
        # 0.5.x themes look authors up in data/authors.*; without it they fail to render.
        lines = []
        for name in text.AUTHORS:
            lines.append(f'{name.lower().replace(" ", "-")}:\n  name: "{name}"\n')
            lines.append(f'  title: "{self.pool.items[self.pool.r(64)]}"\n')
        return [("data/authors.yaml", "".join(lines).encode())]

    def date(self, k: int) -> str:
        # Four posts a day, oldest first; the year range stays sane at 50K posts.
        return datetime.date.fromordinal(self.base_day + k // 4).isoformat()

    def page_body(self, k: int, title: str, tok: str) -> str:
        p = self.pool
        r = p.r
        h = text.mix(self.seed, k, 9)
        tags = [text.TAGS[(h + i * 7) % len(text.TAGS)] for i in range(2 + h % 2)]
        cat = text.CATEGORIES[(h >> 5) % len(text.CATEGORIES)]
        author = text.AUTHORS[(h >> 9) % len(text.AUTHORS)]
        slug = author.lower().replace(" ", "-")
        fm = frontmatter(
            [
                ("title", f'"{title}"'),
                ("date", self.date(k)),
                ("author", slug),
                ("tags", "[" + ", ".join(tags) + "]"),
                ("categories", f"[{cat}]"),
                ("description", f'"{p.items[r(64)]}"'),
            ]
        )
        return (
            f"{fm}{p.paragraph()} Page token: {tok}.\n\n"
            f"## Background\n\n{p.paragraph()}\n\n{p.bullet_list(3)}\n\n"
            f"## What we measured\n\n{p.sentence()}\n\n{p.table(2)}\n\n"
            f"{p.code(text.LANGUAGES[k % 5])}\n\n"
            f"## Takeaways\n\n{p.paragraph()}\n\n> {p.sentence()} — {author}\n\n"
            f"## Related posts\n\n{self.related(k)}\n"
            f"Revision marker: {REVISION_ZERO}.\n"
        )


class ApiDocsLayout(Layout):
    """package -> module -> submodule pages, like Sphinx autodoc output."""

    root_name = "api"
    root_title = "API reference"

    def section_name(self, level: int, j: int) -> str:
        words = text.PKG_WORDS if level == 0 else text.MOD_WORDS
        w = words[j % len(words)]
        return w if j < len(words) else f"{w}{j // len(words)}"

    def section_title(self, digits: tuple[int, ...]) -> str:
        if not digits:
            return self.root_title
        return "benchlib." + ".".join(self.section_name(i, d) for i, d in enumerate(digits))

    def page_slug(self, k: int) -> str:
        return f"{text.SUB_WORDS[k % len(text.SUB_WORDS)]}-{k:05d}"

    def page_title(self, k: int) -> str:
        stitle = self.leaf_info(self.leaf_of(k))[1]
        return f"{stitle}.{text.SUB_WORDS[k % len(text.SUB_WORDS)]}{k}"

    def page_body(self, k: int, title: str, tok: str) -> str:
        p = self.pool
        r = p.r
        cls = f"{p.word().capitalize()}{p.word().capitalize()}"
        func = f"{p.word()}_{p.word()}"
        other_t, other_u = self.far_link(k, 11)
        base_t, base_u = self.far_link(k, 12)
        fm = frontmatter(
            [
                ("title", f'"{title}"'),
                ("weight", str(k + 1)),
                ("description", f'"API reference for {title}"'),
            ]
        )
        params = "\n".join(
            f"| `{p.word()}{i}` | `{('str', 'int', 'bool', 'Path')[r(4)]}` | `{r(100)}` |"
            f" {p.items[r(64)]} |"
            for i in range(3)
        )
        return (
            f"{fm}Module `{title}`. {p.paragraph()} Page token: {tok}.\n\n"
            f"## Classes\n\n### {cls}\n\n"
            f"```python\nclass {cls}(source: str, *, limit: int = {r(100)}, strict: bool = False)\n"
            f"```\n\n{p.paragraph()}\n\nBase class documented in [{base_t}]({base_u}).\n\n"
            f"| Parameter | Type | Default | Description |\n|---|---|---|---|\n{params}\n\n"
            f"#### Methods\n\n- `{cls}.open(path)`: {p.items[r(64)]}\n"
            f"- `{cls}.close()`: {p.items[r(64)]}\n- `{cls}.reset(strict=False)`:"
            f" {p.items[r(64)]}\n\n"
            f"## Functions\n\n### {func}\n\n```python\n"
            f"def {func}(path: str, mode: str = 'r', retries: int = {r(9)}) -> {cls}\n```\n\n"
            f"{p.paragraph()}\n\n**Returns:** a `{cls}` ready for use. **Raises:** `ValueError`"
            f" when `mode` is unknown.\n\n"
            f"## Examples\n\n```python\nfrom {title.rsplit('.', 1)[0]} import {cls}\n\n"
            f"obj = {cls}('input.txt', limit={r(50)})\nobj.open('data')\n```\n\n"
            f"```bash\npython -m {title} --check\n```\n\n"
            f"## See also\n\n- Used by [{other_t}]({other_u})\n{self.related(k)}\n"
            f"Revision marker: {REVISION_ZERO}.\n"
        )


LAYOUTS: dict[str, type[Layout]] = {
    "flat": FlatLayout,
    "nested": NestedLayout,
    "api_docs": ApiDocsLayout,
    "blog": BlogLayout,
}


def layout_for(spec: Scenario) -> Layout:
    return LAYOUTS[spec.resolved().kind](spec)
