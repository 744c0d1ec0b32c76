"""scenario_gen: determinism, links, manifest, mutations, cache safety and CLI errors (fast)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scenario_gen import (
    KINDS,
    Mutator,
    Scenario,
    ScenarioError,
    cached_scenario,
    generate,
    load_manifest,
    tree_hash,
    working_copy,
)
from scenario_gen.kinds import url_to_output

REPO = Path(__file__).resolve().parents[1]
LINK_RE = re.compile(r"\]\((/[^)\s]*)\)")


def snapshot(root: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under root."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_cli(*args: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [python, "-m", "scenario_gen", *args], capture_output=True, text=True, env=env, cwd=REPO
    )


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("BENGAL_BENCH_CACHE", str(cache))
    return cache


@pytest.mark.parametrize("kind", KINDS)
def test_same_inputs_give_identical_trees(kind: str, tmp_path: Path) -> None:
    a = generate(Scenario(kind, 40, seed=3), tmp_path / "a")
    b = generate(Scenario(kind, 40, seed=3), tmp_path / "b")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert a == b
    assert a["tree_hash"] == tree_hash(tmp_path / "a")


def _find_python(version: str) -> str | None:
    """A working ``pythonX.Y``: on PATH, else one pyenv has installed (pyenv's shims exist for
    every installed version but only run the versions a project selects)."""
    candidates = [shutil.which(f"python{version}")]
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
        candidates += sorted(Path(root, "versions").glob(f"{version}.*/bin/python{version}"))
    for exe in filter(None, candidates):
        if subprocess.run([exe, "-c", "pass"], capture_output=True).returncode == 0:
            return str(exe)
    return None


def _interpreters() -> list:
    params = []
    for ver in ("3.11", "3.13", "3.14"):
        found = _find_python(ver)
        mark = [] if found else [pytest.mark.skip(reason=f"python{ver} not installed")]
        params.append(pytest.param(found, id=f"py{ver}", marks=mark))
    return params


@pytest.mark.parametrize("python", _interpreters())
def test_other_processes_and_pythons_write_the_same_bytes(python: str, tmp_path: Path) -> None:
    for kind in KINDS:
        generate(Scenario(kind, 30, seed=1), tmp_path / kind)
        dest = tmp_path / f"sub-{kind}"
        args = ["generate", "--kind", kind, "--pages", "30", "--seed", "1", str(dest)]
        r = run_cli(*args, python=python)
        assert r.returncode == 0, r.stderr
        assert snapshot(dest) == snapshot(tmp_path / kind)


@pytest.mark.parametrize("kind", KINDS)
def test_seeds_change_text_not_structure(kind: str, tmp_path: Path) -> None:
    a = generate(Scenario(kind, 40, seed=0), tmp_path / "a")
    b = generate(Scenario(kind, 40, seed=1), tmp_path / "b")
    assert [p["source"] for p in a["pages"]] == [p["source"] for p in b["pages"]]
    assert [p["output"] for p in a["pages"]] == [p["output"] for p in b["pages"]]
    sa, sb = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    pages = [k for k in sa if k.startswith("content/")]
    assert all(sa[k] != sb[k] for k in pages), "every page's text depends on the seed"


@pytest.mark.parametrize("kind", KINDS)
def test_every_internal_link_resolves(kind: str, tmp_path: Path) -> None:
    m = generate(Scenario(kind, 97, seed=5), tmp_path / "s")
    outputs = {p["output"] for p in m["pages"]}
    n_links = 0
    for page in m["pages"]:
        for url in LINK_RE.findall((tmp_path / "s" / page["source"]).read_text()):
            n_links += 1
            assert url_to_output(url) in outputs, f"{page['source']} links {url}"
    assert n_links > 3 * 97


@pytest.mark.parametrize("kind", KINDS)
def test_manifest_matches_tree(kind: str, tmp_path: Path) -> None:
    root = tmp_path / "s"
    m = generate(Scenario(kind, 64, seed=2), root)
    assert m == load_manifest(root)
    on_disk = {p.relative_to(root).as_posix() for p in (root / "content").rglob("*.md")}
    assert on_disk == {p["source"] for p in m["pages"]}
    assert sum(not p["source"].endswith("_index.md") for p in m["pages"]) == 64
    assert len({p["output"] for p in m["pages"]}) == len(m["pages"])
    assert len({p["token"] for p in m["pages"]}) == len(m["pages"])
    for p in m["pages"]:
        assert p["token"] in (root / p["source"]).read_text()
    for a in m["assets"]:
        assert (root / a["source"]).is_file()
    assert not any(a["source"].endswith("css/style.css") for a in m["assets"])
    config = (root / "bengal.toml").read_text()
    assert f'title = "{m["site_title"]}"' in config and 'output_dir = "public"' in config
    assert m["tree_hash"] == tree_hash(root)


def test_bad_specs_are_rejected() -> None:
    for bad in [
        Scenario("flat", 0),
        Scenario("nope", 5),
        Scenario("nested", 10, depth=3, breadth=3),  # 27 leaves for 10 pages
        Scenario("nested", 5000, depth=1, breadth=2),  # 2 leaves cannot hold 5000
    ]:
        with pytest.raises(ScenarioError):
            bad.resolved()


MUTATIONS = ["edit_page", "edit_pages", "edit_asset", "change_config", "add_page", "delete_page"]


def _apply(mut: Mutator, name: str):
    return mut.edit_pages(5) if name == "edit_pages" else getattr(mut, name)()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", MUTATIONS)
def test_mutation_changes_exactly_what_it_reports(kind: str, name: str, tmp_path: Path) -> None:
    spec = Scenario(kind, 40, seed=4)
    root = working_copy(spec, tmp_path / "wc")
    cache = cached_scenario(spec)
    cache_before = snapshot(cache)
    before = snapshot(root)
    change = _apply(Mutator(root), name)
    after = snapshot(root)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    changed.discard(".scenario-gen-state.json")  # the mutation counter
    assert changed == set(change.changed_sources)
    m = load_manifest(root)
    outputs = {p["output"] for p in m["pages"]}
    assert set(change.rebuilt_outputs) <= outputs
    assert not set(change.removed_outputs) & outputs
    for src in change.changed_sources:
        if change.token and src.startswith("content/"):
            assert change.token in (root / src).read_text()
    on_disk = {p.relative_to(root).as_posix() for p in (root / "content").rglob("*.md")}
    assert on_disk == {p["source"] for p in m["pages"]}
    if name == "change_config":
        assert change.token in (root / "bengal.toml").read_text()
        assert len(change.rebuilt_outputs) == len(m["pages"])
    # never written through the hard links into the cache
    assert snapshot(cache) == cache_before
    assert tree_hash(cache) == load_manifest(cache)["tree_hash"]


def test_mutations_are_unique_across_restores(tmp_path: Path) -> None:
    spec = Scenario("nested", 40, seed=0)
    tokens = []
    for _ in range(3):
        root = working_copy(spec, tmp_path / "wc")  # restore the pristine copy every time
        mut = Mutator(root)
        tokens += [mut.edit_page().token, mut.edit_page().token, mut.change_config().token]
        tokens.append(Mutator(root).add_page().token)
    assert len(set(tokens)) == len(tokens)
    # with an explicit salt edits are reproducible (the caller varies the salt)
    a = Mutator(working_copy(spec, tmp_path / "wc"), salt="x").edit_page().token
    b = Mutator(working_copy(spec, tmp_path / "wc"), salt="x").edit_page().token
    assert a == b


def test_links_still_resolve_after_add_and_delete(tmp_path: Path) -> None:
    root = working_copy(Scenario("flat", 40, seed=0), tmp_path / "wc")
    mut = Mutator(root)
    mut.add_page()
    for _ in range(4):  # the added page and then pages no other page links
        mut.delete_page()
    m = load_manifest(root)
    outputs = {p["output"] for p in m["pages"]}
    for page in m["pages"]:
        for url in LINK_RE.findall((root / page["source"]).read_text()):
            assert url_to_output(url) in outputs


def test_working_copy_shares_inodes_with_cache_and_is_pristine(tmp_path: Path) -> None:
    spec = Scenario("api_docs", 40, seed=0)
    root = working_copy(spec, tmp_path / "wc")
    cache = cached_scenario(spec)
    page = load_manifest(root)["pages"][5]["source"]
    assert os.path.samefile(root / page, cache / page)
    Mutator(root).edit_pages(10)
    (root / "public").mkdir()  # a build's output
    root2 = working_copy(spec, tmp_path / "wc")  # replaces the earlier copy
    assert snapshot(root2) == snapshot(cache)


# -- CLI errors -----------------------------------------------------------------------------


def _outside_state(base: Path) -> dict[str, tuple[int, float]]:
    return {
        p.relative_to(base).as_posix(): (p.stat().st_size, p.stat().st_mtime)
        for p in base.rglob("*")
    }


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--kind", "flat", "--pages", "0"], "pages"),
        (["--kind", "wiki", "--pages", "5"], "kind"),
        (["--kind", "nested", "--pages", "5000", "--depth", "1", "--breadth", "2"], "hold"),
        (["--kind", "nested", "--pages", "10", "--depth", "3", "--breadth", "3"], "leaf"),
    ],
)
def test_cli_rejects_bad_specs(args: list[str], needle: str, tmp_path: Path) -> None:
    before = _outside_state(tmp_path)
    r = run_cli("generate", *args, str(tmp_path / "site"))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and needle in r.stderr
    assert _outside_state(tmp_path) == before


def test_cli_refuses_a_target_that_is_not_a_scenario(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    before = _outside_state(tmp_path)
    r = run_cli("generate", "--kind", "flat", "--pages", "3", str(target))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "not an earlier scenario" in r.stderr
    assert _outside_state(tmp_path) == before


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_cli_reports_an_unwritable_target(where: str, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "site" if where == "under-a-file" else Path("/proc/sg-site")
    before = _outside_state(tmp_path)
    r = run_cli("generate", "--kind", "flat", "--pages", "3", str(target))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "cannot write target" in r.stderr
    assert _outside_state(tmp_path) == before


def test_cli_replaces_an_earlier_scenario_and_mutates(tmp_path: Path) -> None:
    target = tmp_path / "site"
    assert run_cli("generate", "--kind", "blog", "--pages", "12", str(target)).returncode == 0
    r = run_cli("generate", "--kind", "blog", "--pages", "20", "--seed", "9", str(target))
    assert r.returncode == 0, r.stderr
    assert load_manifest(target)["params"]["pages"] == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temp dirs left
    r = run_cli("mutate", str(target), "edit_page")
    assert r.returncode == 0 and '"token": "sgrev-' in r.stdout
    assert run_cli("hash", str(target)).returncode == 1  # edited: no longer the generated tree
