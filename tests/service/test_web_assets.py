"""The web assets work offline and render data safely: no external URL, no HTML parsing of data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.web import STATIC_DIR

ASSETS = sorted(p for p in STATIC_DIR.rglob("*") if p.is_file())
TEXT_ASSETS = [p for p in ASSETS if p.suffix in {".html", ".css", ".js", ".svg"}]
SCRIPTS = [p for p in ASSETS if p.suffix == ".js"]

COMMENT = re.compile(r"/\*.*?\*/|<!--.*?-->", re.DOTALL)
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)
REFERENCE = re.compile(r"""(?:src|href|action)\s*=\s*["']?([^"'\s>]+)|url\(\s*["']?([^"')]+)|@import\s+["']([^"']+)""")
IMPORT = re.compile(r"""(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']""")

# DOM calls that parse a string as markup (or code); rendering data through them would be an XSS sink.
HTML_SINKS = re.compile(
    r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|eval|new Function)\b"
)


def _rel(path: Path) -> str:
    return str(path.relative_to(STATIC_DIR))


def test_the_expected_assets_exist() -> None:
    names = {_rel(p) for p in ASSETS}
    expected = {"index.html", "read.html", "embed.html", "widget.js", "css/page.css", "js/app.js", "js/widget-ui.js"}
    assert expected <= names


@pytest.mark.parametrize("asset", TEXT_ASSETS, ids=_rel)
def test_no_asset_points_outside_the_service(asset: Path) -> None:
    # Comments may show example snippets (widget.js documents its own use); code may not.
    text = COMMENT.sub("", asset.read_text(encoding="utf-8"))
    urls = {m.group(0) for m in ABSOLUTE_URL.finditer(text)}
    # The SVG namespace is an identifier, not something fetched.
    assert urls - {"http://www.w3.org"} == set()
    if asset.suffix == ".js":
        return  # script references are expressions; the browser tests watch every request instead
    for match in REFERENCE.finditer(text):
        target = next(g for g in match.groups() if g)
        assert target.startswith(("/", "#", "data:")) and not target.startswith("//"), target


@pytest.mark.parametrize("script", SCRIPTS, ids=_rel)
def test_scripts_import_only_local_modules(script: Path) -> None:
    text = script.read_text(encoding="utf-8")
    for match in IMPORT.finditer(text):
        specifier = next(g for g in match.groups() if g)
        assert specifier.startswith("./"), specifier


@pytest.mark.parametrize("script", SCRIPTS, ids=_rel)
def test_scripts_never_parse_html(script: Path) -> None:
    """Data reaches the page only as text nodes; these sinks would parse it as markup."""
    code = script.read_text(encoding="utf-8")
    sinks = HTML_SINKS.findall(code)
    assert sinks == []


def test_the_widget_loader_is_a_classic_script_without_globals() -> None:
    loader = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    # document.currentScript exists only for classic scripts; the IIFE keeps every name private.
    assert "document.currentScript" in loader
    code = re.sub(r"/\*.*?\*/", "", loader, flags=re.DOTALL).strip()
    assert code.startswith("(function () {") and code.endswith("})();")
    assert not re.search(r"^\s*(?:export|import)\s", code, re.MULTILINE)
