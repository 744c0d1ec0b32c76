"""Make a published asv site self-contained: its CDN scripts and styles served from the site.

Why: ``asv publish`` writes an ``index.html`` that loads jQuery, flot, bootstrap and friends from
public CDNs. Behind a firewall (and in the tests) those never load, and the site shows no graph.
The same files come from the npm registry (``npm install`` into the cache, once), are copied to
``<site>/vendor/`` and the page references are rewritten. A CDN reference this table does not
know is an error, so an asv upgrade that adds one is noticed.

    python -m tools.asv_local.site vendor .asv/html
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tools.asv_local.history import cache_root

NPM_PACKAGES = (
    "jquery@3.3.1",
    "flot@0.8.3",
    "flot-orderbars@1.0.0",
    "stupid-table-plugin@1.1.3",
    "blueimp-md5@2.19.0",
    "bootstrap@3.1.1",
)
# CDN URL (as asv 0.6.6 writes it) -> file inside node_modules
CDN_FILES = {
    "https://code.jquery.com/jquery-3.3.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.min.js": "flot/jquery.flot.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.time.min.js": (
        "flot/jquery.flot.time.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.selection.min.js": (
        "flot/jquery.flot.selection.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.categories.min.js": (
        "flot/jquery.flot.categories.js"
    ),
    "https://cdn.jsdelivr.net/npm/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js": (
        "flot-orderbars/js/jquery.flot.orderBars.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/stupidtable/1.0.1/stupidtable.min.js": (
        "stupid-table-plugin/stupidtable.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/blueimp-md5/2.19.0/js/md5.min.js": (
        "blueimp-md5/js/md5.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/js/bootstrap.min.js": (
        "bootstrap/dist/js/bootstrap.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/css/bootstrap.min.css": (
        "bootstrap/dist/css/bootstrap.min.css"
    ),
}
CDN_RE = re.compile(
    r"""(src|href)="(https://[^"]+)"((?:\s+(?:integrity|crossorigin|referrerpolicy)="[^"]*")*)"""
)
# Links that are navigation, not page resources, and may stay external.
EXTERNAL_OK = ("https://github.com/", "https://asv.readthedocs.io", "https://airspeed-velocity")


class SiteError(Exception):
    """A user-facing failure: one line, exit status 2."""


def node_modules() -> Path:
    """The npm packages, installed once into the cache."""
    prefix = cache_root() / "npm-asv-site"
    stamp = prefix / ("installed-" + "-".join(p.replace("@", "_") for p in NPM_PACKAGES))
    if not stamp.exists():
        if shutil.which("npm") is None:
            raise SiteError("npm is not on PATH (needed once to fetch the site's scripts)")
        prefix.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
             "--ignore-scripts", "--no-save", *NPM_PACKAGES],
            capture_output=True, text=True,
        )  # fmt: skip
        if proc.returncode != 0:
            raise SiteError(f"npm install failed: {proc.stderr.strip().splitlines()[-1:]}")
        stamp.touch()
    return prefix / "node_modules"


def vendor(site: Path) -> int:
    """Copy the CDN files into ``site/vendor`` and point the pages at them; returns rewrites."""
    pages = sorted(site.glob("*.html"))
    if not (site / "index.html").exists():
        raise SiteError(f"{site} is not a published asv site (no index.html)")
    modules = node_modules()
    dest = site / "vendor"
    rewritten = 0
    for page in pages:
        text = page.read_text()

        def local(match: re.Match[str], page: Path = page) -> str:
            nonlocal rewritten
            attr, url = match.group(1), match.group(2)
            if url not in CDN_FILES:
                if url.startswith(EXTERNAL_OK):
                    return match.group(0)
                raise SiteError(f"{page.name}: unknown CDN resource {url}")
            rel = CDN_FILES[url]
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(modules / rel, target)
            rewritten += 1
            return f'{attr}="vendor/{rel}"'

        page.write_text(CDN_RE.sub(local, text))
    fonts = modules / "bootstrap" / "dist" / "fonts"  # bootstrap.min.css refers to ../fonts/
    shutil.copytree(fonts, dest / "bootstrap" / "dist" / "fonts", dirs_exist_ok=True)
    return rewritten


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.asv_local.site", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("vendor", help="serve the site's CDN scripts and styles from the site")
    p.add_argument("site", type=Path)
    args = parser.parse_args(argv)
    try:
        n = vendor(args.site)
    except SiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.site}: {n} CDN reference(s) now served from vendor/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
