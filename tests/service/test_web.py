"""The web routes through the real app: pages, the widget, and the CSP and CORS headers by configuration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from service.app import create_app
from service.config import Settings
from service.errors import ConfigError
from service.web import frame_ancestor_sources
from tests.fakes import FakeEncoder
from tests.service.conftest import ClientFactory

INTRANET = "https://intranet.example"
PAGES = ["/", "/read/a_shanghai", "/embed"]


def csp(response: object) -> dict[str, str]:
    header = response.headers["content-security-policy"]  # type: ignore[attr-defined]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in header.split("; ")}


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_html_that_loads_only_local_assets(client: TestClient[Litestar], path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    references = re.findall(r"""(?:src|href)="([^"#]+)""", response.text)
    assert references
    for ref in references:
        if ref == "/":
            continue
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        expected = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}[ref[ref.rfind(".") :]]
        assert asset.headers["content-type"].startswith(expected), ref
        assert asset.headers["x-content-type-options"] == "nosniff"


def test_every_module_the_pages_import_is_served(client: TestClient[Litestar]) -> None:
    seen: set[str] = set()
    todo = ["/static/js/app.js", "/static/js/read.js", "/static/js/embed.js"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, path
        base = path.rsplit("/", 1)[0]
        todo += [f"{base}/{name}" for name in re.findall(r"""from\s+"\./([\w-]+\.js)";""", response.text)]
    assert "/static/js/widget-ui.js" in seen and "/static/js/dom.js" in seen


def test_the_widget_script_is_served_at_the_root(client: TestClient[Litestar]) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "document.currentScript" in response.text
    assert "/static/js/widget-ui.js" in response.text


def test_pages_allow_only_their_own_scripts_styles_and_api(client: TestClient[Litestar]) -> None:
    policy = csp(client.get("/"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert policy["base-uri"] == "'none'"


@pytest.mark.parametrize("path", PAGES)
def test_with_nothing_configured_no_other_site_may_frame_a_page(client: TestClient[Litestar], path: str) -> None:
    response = client.get(path)
    assert csp(response)["frame-ancestors"] == "'self'"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


def test_configured_frame_ancestors_may_frame_only_the_embed_page(make_client: ClientFactory) -> None:
    client = make_client(frame_ancestors=(INTRANET, "https://*.portal.example"), ready=False)
    embed = client.get("/embed")
    assert csp(embed)["frame-ancestors"] == f"'self' {INTRANET} https://*.portal.example"
    assert "x-frame-options" not in embed.headers
    for path in ["/", "/read/a_shanghai"]:
        assert csp(client.get(path))["frame-ancestors"] == "'self'"


def test_frame_ancestors_come_from_the_environment(tiny_index: Path, fake_encoder: FakeEncoder) -> None:
    env = {"POLYSEARCH_INDEX_DIR": str(tiny_index), "POLYSEARCH_FRAME_ANCESTORS": f"{INTRANET} https://b.example"}
    settings = Settings.from_env(env)
    with TestClient(create_app(settings, encoder=fake_encoder)) as client:
        assert csp(client.get("/embed"))["frame-ancestors"] == f"'self' {INTRANET} https://b.example"


@pytest.mark.parametrize(
    "bad",
    ["https://evil.example; script-src *", "'none'", "'unsafe-inline'", "https://a.example,https://b.example", "a b"],
)
def test_a_frame_ancestor_that_could_change_the_policy_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="POLYSEARCH_FRAME_ANCESTORS"):
        frame_ancestor_sources([bad])


def test_an_invalid_frame_ancestor_stops_the_app_being_built(settings: Settings, fake_encoder: FakeEncoder) -> None:
    with pytest.raises(ConfigError):
        create_app(settings.replace(frame_ancestors=("https://x.example;",)), encoder=fake_encoder)


def test_frame_ancestor_sources_keep_self_first_and_drop_duplicates() -> None:
    assert frame_ancestor_sources([]) == ("'self'",)
    configured = [" https://a.example ", "'self'", "https://a.example", "https:", "http://localhost:8080"]
    assert frame_ancestor_sources(configured) == ("'self'", "https://a.example", "https:", "http://localhost:8080")


def test_with_no_cors_origins_the_api_grants_no_other_origin(client: TestClient[Litestar]) -> None:
    response = client.get("/search", params={"q": "Shanghai office"}, headers={"Origin": INTRANET})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_cors_origins_grant_the_widget_its_api_calls_and_modules(make_client: ClientFactory) -> None:
    client = make_client(cors_origins=(INTRANET,))
    for path, params in [("/search", {"q": "Shanghai office"}), ("/ask", {"q": "When did the office open?"}),
                         ("/static/js/widget-ui.js", {})]:  # fmt: skip
        allowed = client.get(path, params=params, headers={"Origin": INTRANET})
        assert allowed.status_code == 200, path
        assert allowed.headers["access-control-allow-origin"] == INTRANET, path
        other = client.get(path, params=params, headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers, path


def test_unknown_static_files_are_json_404s(client: TestClient[Litestar]) -> None:
    for path in ["/static/missing.js", "/static/../web.py", "/static/%2e%2e/web.py"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert set(response.json()) >= {"error", "detail"}, path


def test_web_routes_stay_out_of_the_api_schema(client: TestClient[Litestar]) -> None:
    paths = set(client.get("/schema/openapi.json").json()["paths"])
    assert "/search" in paths
    assert not paths & {"/", "/embed", "/widget.js", "/read/{article_id}"}
    assert not any(path.startswith("/static") for path in paths)


def test_the_article_view_of_an_unknown_id_is_a_404_page(client: TestClient[Litestar]) -> None:
    known = client.get("/read/a_shanghai")
    assert known.status_code == 200
    missing = client.get("/read/no_such_article")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    # The article view itself, in the site's layout: its script says the article is missing, in
    # the reader's language (the browser tests check the words).
    assert missing.text == known.text and 'src="/static/js/read.js"' in missing.text
    assert missing.headers["content-security-policy"] == known.headers["content-security-policy"]
