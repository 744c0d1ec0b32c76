"""Seeded filler text: word lists, a per-seed paragraph pool, titles and code snippets.

Only `random.Random(int)` with `randrange`/`choice`/`shuffle` is used (stable across CPython
versions); titles are pure integer functions of (seed, index) so any page can link any other by
title without holding the site in memory. No braces in content: some Bengal eras run template
syntax found in Markdown.
"""

from __future__ import annotations

import random

VOCAB = [
    "build",
    "cache",
    "render",
    "page",
    "section",
    "index",
    "template",
    "theme",
    "asset",
    "config",
    "output",
    "source",
    "graph",
    "module",
    "package",
    "function",
    "class",
    "method",
    "parameter",
    "value",
    "result",
    "option",
    "default",
    "feature",
    "pipeline",
    "phase",
    "worker",
    "thread",
    "process",
    "memory",
    "disk",
    "file",
    "path",
    "link",
    "anchor",
    "heading",
    "table",
    "list",
    "block",
    "fence",
    "language",
    "token",
    "parser",
    "lexer",
    "node",
    "tree",
    "walk",
    "visit",
    "collect",
    "merge",
    "sort",
    "filter",
    "map",
    "reduce",
    "batch",
    "stream",
    "chunk",
    "buffer",
    "queue",
    "event",
    "signal",
    "handler",
    "plugin",
    "hook",
    "extension",
    "registry",
    "schema",
    "field",
    "record",
    "entry",
    "key",
    "lookup",
    "hash",
    "digest",
    "version",
    "release",
    "commit",
    "branch",
    "change",
    "diff",
    "patch",
    "update",
    "refresh",
    "reload",
    "watch",
    "serve",
    "preview",
    "deploy",
    "publish",
    "archive",
    "taxonomy",
    "tag",
    "category",
    "author",
    "date",
    "feed",
    "sitemap",
    "search",
    "menu",
    "navigation",
    "breadcrumb",
    "sidebar",
    "footer",
    "header",
    "layout",
    "partial",
    "shortcode",
    "macro",
    "filter",
    "context",
    "scope",
    "variable",
    "constant",
    "loop",
    "condition",
    "error",
    "warning",
    "message",
    "report",
    "metric",
    "timer",
    "counter",
    "sample",
    "profile",
    "benchmark",
    "baseline",
    "regression",
    "budget",
]
ADJECTIVES = [
    "quick",
    "stable",
    "lazy",
    "eager",
    "portable",
    "minimal",
    "robust",
    "incremental",
    "parallel",
    "nested",
    "shared",
    "static",
    "dynamic",
    "modular",
    "layered",
    "cached",
    "compact",
    "verbose",
    "strict",
    "gentle",
    "precise",
]
NOUNS = [
    "guide",
    "overview",
    "reference",
    "walkthrough",
    "primer",
    "recipe",
    "handbook",
    "tutorial",
    "checklist",
    "notebook",
    "summary",
    "digest",
    "outline",
    "manual",
    "catalog",
    "journal",
    "survey",
    "study",
    "sketch",
    "blueprint",
]
TAGS = [
    "python",
    "performance",
    "caching",
    "templates",
    "markdown",
    "testing",
    "tooling",
    "release",
    "design",
    "internals",
    "tutorial",
    "howto",
    "deployment",
    "themes",
    "content",
    "search",
    "plugins",
    "cli",
    "config",
    "assets",
]
CATEGORIES = ("engineering", "announcements", "guides", "community", "research")
AUTHORS = ("Ada Rivers", "Ben Okafor", "Chen Wei", "Dana Kowalski", "Eli Navarro", "Fatima Noor")
PKG_WORDS = [
    "core",
    "io",
    "net",
    "text",
    "data",
    "util",
    "cli",
    "web",
    "math",
    "cache",
    "store",
    "sched",
    "auth",
    "log",
    "plot",
]
MOD_WORDS = [
    "reader",
    "writer",
    "parser",
    "loader",
    "client",
    "server",
    "codec",
    "queue",
    "pool",
    "graph",
    "index",
]
SUB_WORDS = [
    "base",
    "types",
    "errors",
    "helpers",
    "config",
    "runtime",
    "adapters",
    "models",
    "views",
    "hooks",
]
LANGUAGES = ("python", "bash", "toml", "yaml", "sql")


def mix(seed: int, index: int, salt: int = 0) -> int:
    """A 32-bit integer hash of (seed, index, salt); integer-only so it is version-stable."""
    h = (index * 2654435761 + seed * 40503 + salt * 97 + 0x9E3779B9) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 2246822519) & 0xFFFFFFFF
    h ^= h >> 13
    return h


def title(seed: int, index: int) -> str:
    """Title of content page `index`: unique (ends in the index) and seed-dependent."""
    h = mix(seed, index, 1)
    adj = ADJECTIVES[h % len(ADJECTIVES)].capitalize()
    return f"{adj} {NOUNS[(h >> 8) % len(NOUNS)]} {index}"


class TextPool:
    """Per-seed sentences and paragraphs; pages pick from the pool (fast, still seed-specific)."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed * 7919 + 17)
        self.rng = random.Random(seed)
        sentences = []
        for _ in range(96):
            words = [rng.choice(VOCAB) for _ in range(rng.randrange(8, 17))]
            words[0] = words[0].capitalize()
            sentences.append(" ".join(words) + ".")
        self.sentences = sentences
        self.paragraphs = [
            " ".join(rng.choice(sentences) for _ in range(rng.randrange(3, 6))) for _ in range(48)
        ]
        self.items = [
            " ".join(rng.choice(VOCAB) for _ in range(rng.randrange(3, 8))).capitalize()
            for _ in range(64)
        ]
        self.words = list(VOCAB)
        rng.shuffle(self.words)
        self._bits = 0

    def r(self, n: int) -> int:
        """A number in [0, n): digits of one big `getrandbits` draw (much cheaper than randrange).

        The bias (at most n / 2**32) is irrelevant for filler text; the result is version-stable.
        """
        b = self._bits
        if b < 1 << 32:
            b = self.rng.getrandbits(2048) | (1 << 2048)
        b, v = divmod(b, n)
        self._bits = b
        return v

    def paragraph(self) -> str:
        return self.paragraphs[self.r(len(self.paragraphs))]

    def sentence(self) -> str:
        return self.sentences[self.r(len(self.sentences))]

    def bullet_list(self, n: int) -> str:
        items = self.items
        r = self.r
        return "\n".join(f"- {items[r(len(items))]}" for _ in range(n))

    def word(self) -> str:
        return self.words[self.r(len(self.words))]

    def table(self, rows: int) -> str:
        r = self.r
        lines = ["| Option | Type | Default | Description |", "|---|---|---|---|"]
        for _ in range(rows):
            name = self.word()
            typ = ("str", "int", "bool", "float", "list")[r(5)]
            lines.append(f"| `{name}_{r(100)}` | `{typ}` | `{r(1000)}` | {self.items[r(64)]} |")
        return "\n".join(lines)

    def code(self, lang: str) -> str:
        """A small fenced block in `lang` (no braces)."""
        w1, w2, w3 = self.word(), self.word(), self.word()
        n = 2 + self.r(62)
        if lang == "python":
            body = (
                f"def {w1}_{w2}(items: list[str], limit: int = {n}) -> list[str]:\n"
                f'    """Return the first {w3} entries."""\n'
                f"    result = [item.strip() for item in items if item]\n"
                f"    return result[:limit]\n"
            )
        elif lang == "bash":
            body = (
                f"export BENCH_{w1.upper()}={n}\n"
                f"mkdir -p build/{w2}\n"
                f"bench-tool {w3} --limit $BENCH_{w1.upper()} build/{w2}\n"
            )
        elif lang == "toml":
            body = f'[{w1}]\n{w2} = {n}\n{w3} = "enabled"\nstrict = true\n'
        elif lang == "yaml":
            body = f"{w1}:\n  {w2}: {n}\n  {w3}: enabled\n  items:\n    - first\n    - second\n"
        else:
            body = f"SELECT {w1}, COUNT(*) AS total\nFROM {w2}\nWHERE {w3} > {n}\nGROUP BY {w1};\n"
        return f"```{lang}\n{body}```"
