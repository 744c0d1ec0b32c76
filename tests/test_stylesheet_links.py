"""A page that links a stylesheet the build never wrote is refused (driver.unwritten_stylesheets).

Why: Bengal up to 0.1.7, installed below a dot-directory (``.venv``, ``~/.cache``), skips its
theme's CSS and JS but still links them and exits 0; only its health check warns ("No CSS
files found in output"). Such a build does less than half the work of a real one (0.1.2,
nested-2: 4.53 G instructions against 10.4 G) and must not count."""

from __future__ import annotations

from pathlib import Path

import driver


def page(out: Path, rel: str, *hrefs: str) -> bytes:
    links = "".join(f'<link rel="stylesheet" href="{h}">' for h in hrefs)
    body = f"<html><head>{links}</head><body>x</body></html>".encode()
    (out / rel).parent.mkdir(parents=True, exist_ok=True)
    (out / rel).write_bytes(body)
    return body


def test_links_are_resolved_like_a_browser(tmp_path: Path) -> None:
    (tmp_path / "assets" / "css").mkdir(parents=True)
    (tmp_path / "assets" / "css" / "style.abc.css").write_text("a{}")
    body = page(
        tmp_path, "docs/a/index.html",
        "/assets/css/style.abc.css?v=1", "../../assets/css/style.abc.css#x",
        "https://cdn.example/x.css", "//cdn.example/y.css", "data:text/css,a{}",
    )  # fmt: skip
    assert driver.unwritten_stylesheets(tmp_path, "docs/a/index.html", body) == []
    body = page(tmp_path, "docs/b/index.html", "/assets/css/style.css", "assets/css/style.abc.css")
    assert driver.unwritten_stylesheets(tmp_path, "docs/b/index.html", body) == [
        "/assets/css/style.css",
        "assets/css/style.abc.css",  # relative to docs/b/: not there
    ]
