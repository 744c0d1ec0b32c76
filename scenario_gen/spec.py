"""Scenario parameters, their validation and defaults (the cache key lives here too)."""

from __future__ import annotations

import dataclasses

GENERATOR_VERSION = "1"
KINDS = ("flat", "nested", "api_docs", "blog")
# A leaf section holding more pages than this is no longer the shape the kind promises.
MAX_PAGES_PER_LEAF = 1000
MAX_SECTIONS = 100_000


class ScenarioError(ValueError):
    """Bad input or an unusable target; the message is one line naming the problem."""


@dataclasses.dataclass(frozen=True)
class Scenario:
    """What to generate. `pages` counts regular content pages (not `_index.md` files).

    `depth`/`breadth` shape the section tree of `nested` and `api_docs` (None = a default that
    depends on `pages`); `flat` and `blog` have one section and resolve both to 0.
    """

    kind: str
    pages: int
    seed: int = 0
    depth: int | None = None
    breadth: int | None = None

    def resolved(self) -> Scenario:
        """Validate and fill in depth/breadth; raises ScenarioError on bad input."""
        if self.kind not in KINDS:
            raise ScenarioError(f"unknown kind {self.kind!r} (choose from {', '.join(KINDS)})")
        if not isinstance(self.pages, int) or isinstance(self.pages, bool) or self.pages < 1:
            raise ScenarioError(f"pages must be an integer >= 1, got {self.pages!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise ScenarioError(f"seed must be an integer >= 0, got {self.seed!r}")
        if self.kind in ("flat", "blog"):
            if self.depth not in (None, 0) or self.breadth not in (None, 0):
                raise ScenarioError(f"kind {self.kind!r} has one section: depth/breadth must be 0")
            return dataclasses.replace(self, depth=0, breadth=0)
        depth, breadth = self.depth, self.breadth
        if depth is None:
            depth = 2 if self.kind == "api_docs" else _default_depth(self.pages)
        if breadth is None:
            breadth = _default_breadth(self.pages, depth)
        for name, value in (("depth", depth), ("breadth", breadth)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ScenarioError(f"{name} must be an integer >= 1, got {value!r}")
        if self.kind == "api_docs" and depth != 2:
            raise ScenarioError(
                "kind 'api_docs' is package -> module -> submodule: depth must be 2"
            )
        if breadth**depth > MAX_SECTIONS:
            raise ScenarioError(f"depth {depth} x breadth {breadth} makes too many sections")
        leaves = breadth**depth
        if leaves > self.pages:
            raise ScenarioError(
                f"depth {depth} x breadth {breadth} gives {leaves} leaf sections,"
                f" more than the {self.pages} pages (empty sections)"
            )
        if self.pages > leaves * MAX_PAGES_PER_LEAF:
            raise ScenarioError(
                f"depth {depth} x breadth {breadth} cannot hold {self.pages} pages"
                f" (at most {leaves * MAX_PAGES_PER_LEAF}, {MAX_PAGES_PER_LEAF} per leaf)"
            )
        return dataclasses.replace(self, depth=depth, breadth=breadth)

    def params(self) -> dict[str, object]:
        """The manifest's `params` (resolved)."""
        r = self.resolved()
        return {
            "kind": r.kind,
            "pages": r.pages,
            "seed": r.seed,
            "depth": r.depth,
            "breadth": r.breadth,
        }

    def cache_key(self) -> str:
        """Directory name of this scenario in the on-disk cache."""
        r = self.resolved()
        return f"{r.kind}-p{r.pages}-s{r.seed}-d{r.depth}-b{r.breadth}-v{GENERATOR_VERSION}"


def _default_depth(pages: int) -> int:
    if pages < 20:
        return 1
    return 2 if pages < 2000 else 3


def _default_breadth(pages: int, depth: int) -> int:
    """Smallest breadth (2..10) that gives leaves of about 8 pages, never more leaves than pages."""
    breadth = 2
    while breadth < 10 and breadth**depth * 8 < pages:
        breadth += 1
    while breadth > 1 and breadth**depth > pages:
        breadth -= 1
    return breadth
