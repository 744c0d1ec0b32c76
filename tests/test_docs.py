"""The README is a front door and the docs hold each fact once: links, names and commands in
them must point at things that exist.

Why: docs rot quietly. A renamed heading breaks every link to it, a workflow variable that is
renamed or dropped leaves a maintainer setting one that nothing reads, and a `python -m` that no
longer exists is the first command a newcomer types. These checks are pure text and file
lookups (milliseconds).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
WORKFLOWS = ROOT / ".github" / "workflows"
SETUP_HEADING = "## Setting it up on GitHub"
# `python -m X` of a tool this repository installs but does not contain.
EXTERNAL_MODULES = {"pytest"}

FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
PYTHON_M = re.compile(r"python -m ([A-Za-z_][A-Za-z0-9_.]*)")
WORKFLOW_FILE = re.compile(r"(?<![\w./-])(?:\.github/workflows/)?([\w-]+\.yml)\b")
CAPS_NAME = re.compile(r"`([A-Z][A-Z0-9_]{2,})`")
WORKFLOW_REF = re.compile(r"\b(vars|secrets)\.([A-Z][A-Z0-9_]*)")


def prose(path: Path) -> list[str]:
    """The lines outside fenced code blocks (a `#` in a code block is no heading)."""
    lines, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            inside = not inside
            continue
        lines.append("" if inside else line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a page, GitHub's `-1`, `-2` suffixes for repeats included."""
    seen: dict[str, int] = {}
    out = set()
    for line in prose(path):
        m = HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """Relative links of `path` whose file, or whose #anchor in that file, does not exist."""
    broken = []
    for number, line in enumerate(prose(path), 1):
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.relative_to(root)}:{number}: {target}"
            if not dest.exists():
                broken.append(f"{where}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{where}: no heading with anchor #{anchor}")
    return broken


def section(path: Path, heading: str) -> str:
    """The text of one `##` section, up to the next heading of the same level."""
    text = path.read_text(encoding="utf-8")
    start = text.index(heading + "\n")
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def workflow_refs() -> set[str]:
    """Every `vars.X` and `secrets.X` the workflows read (GITHUB_TOKEN is GitHub's own)."""
    found = set()
    for wf in WORKFLOWS.glob("*.yml"):
        found |= {name for _, name in WORKFLOW_REF.findall(wf.read_text(encoding="utf-8"))}
    return found - {"GITHUB_TOKEN"}


def module_exists(module: str) -> bool:
    """`python -m module` can run: a module file, or a package with `__main__.py`."""
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__main__.py").is_file()


def test_the_readme_is_short_and_starts_with_the_two_commands() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 210, f"README.md has {len(lines)} lines; move detail to docs/"
    first = "\n".join(lines[:60])
    for command in ("make bench", "make test"):
        assert command in first, f"`{command}` is not in README.md's first 60 lines"
    assert "docs/img/asv-site-full-build.png" in first, "the site's picture left the first screen"
    assert len(re.findall(r"\d+ min", first)) >= 2, "the two commands' times left the first screen"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_link_checker_catches_a_missing_file_and_a_missing_anchor(tmp_path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## A heading: `with` code (3.14t)\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n[ok](other.md#a-heading-with-code-314t) [self](#page) [web](https://x.org/a)\n"
        "[gone](missing.md) [bad](other.md#nope)\n```\n[in code](nowhere.md)\n```\n"
    )
    assert broken_links(page, root=tmp_path) == [
        "page.md:3: missing.md: no such file",
        "page.md:3: other.md#nope: no heading with anchor #nope",
    ]


def test_the_setup_section_names_exactly_the_variables_and_secrets_the_workflows_read() -> None:
    named = set(CAPS_NAME.findall(section(ROOT / "docs" / "local-and-ci.md", SETUP_HEADING)))
    read = workflow_refs()
    assert read, "no vars./secrets. found in .github/workflows: the pattern is stale"
    assert sorted(read - named) == [], "read by a workflow but not in 'Setting it up on GitHub'"
    assert sorted(named - read) == [], "named in 'Setting it up on GitHub' but read by no workflow"


def test_workflows_and_modules_named_in_the_docs_exist() -> None:
    ci_doc = ROOT / "docs" / "local-and-ci.md"
    workflows = set(WORKFLOW_FILE.findall(ci_doc.read_text(encoding="utf-8")))
    assert {"nightly.yml", "compare.yml"} <= workflows
    assert sorted(w for w in workflows if not (WORKFLOWS / w).is_file()) == []
    modules = {m for page in PAGES for m in PYTHON_M.findall(page.read_text(encoding="utf-8"))}
    assert "rehearsal" in modules
    missing = sorted(m for m in modules - EXTERNAL_MODULES if not module_exists(m))
    assert missing == [], "`python -m` of a module this repository does not have"


def test_module_lookup_tells_a_runnable_module_from_a_missing_one() -> None:
    assert module_exists("tools.ci.ledger")  # a module file
    assert module_exists("rehearsal")  # a package with __main__.py
    assert not module_exists("tools.ci")  # a package without __main__.py
    assert not module_exists("tools.ci.no_such_module")
