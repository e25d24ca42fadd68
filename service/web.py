"""The search page, the article view, the embeddable widget and the headers that guard them.

The pages are static files from ``service/static`` that call the JSON API from the browser,
so the page, the widget and any other client exercise the same endpoints. Framing is denied
except for ``/embed``, which the configured ``frame_ancestors`` may frame; the widget's
cross-origin API calls are governed by the CORS allowlist that ``create_app`` installs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from litestar import Controller, Response, Router, get
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.di import Provide
from litestar.response.base import ASGIResponse
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp

from service.errors import ConfigError
from service.state import IndexState

STATIC_DIR = Path(__file__).resolve().parent / "static"
HTML = "text/html"
JAVASCRIPT = "text/javascript"
NOSNIFF = ("X-Content-Type-Options", "nosniff")
# A CSP source expression as frame-ancestors accepts it: a keyword, a scheme ("https:"), or a
# host with optional scheme, "*." wildcard, port and path. Anything else (a ";" or a space in
# particular) would let configuration inject further directives, so it is refused.
_KEYWORDS = frozenset({"'self'"})
_SOURCE = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*:|(?:[a-z][a-z0-9+.-]*://)?(?:\*|(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::(?:\d{1,5}|\*))?(?:/[^\s;,']*)?)$",
    re.IGNORECASE,
)


def frame_ancestor_sources(values: Iterable[str]) -> tuple[str, ...]:
    """Validate configured frame ancestors; ``'self'`` is always allowed, duplicates dropped."""
    sources: list[str] = ["'self'"]
    for raw in values:
        value = raw.strip()
        if not value:
            continue
        if value == "'none'":
            raise ConfigError("POLYSEARCH_FRAME_ANCESTORS: 'none' cannot be combined with 'self'; leave it empty")
        if value not in _KEYWORDS and not _SOURCE.match(value):
            raise ConfigError(
                f"POLYSEARCH_FRAME_ANCESTORS: {value!r} is not an origin such as https://intranet.example"
            )
        if value not in sources:
            sources.append(value)
    return tuple(sources)


def content_security_policy(frame_ancestors: Iterable[str]) -> str:
    """The policy for every page: only this service's own scripts, styles and API."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors " + " ".join(frame_ancestors),
        ]
    )


@dataclass(frozen=True, kw_only=True)
class WebConfig:
    """What the web routes need from the settings, with the header values worked out once."""

    frame_ancestors: tuple[str, ...] = ()

    @property
    def embed_ancestors(self) -> tuple[str, ...]:
        return frame_ancestor_sources(self.frame_ancestors)

    def page_headers(self, *, embeddable: bool) -> dict[str, str]:
        ancestors = self.embed_ancestors if embeddable else ("'self'",)
        headers = {
            "Content-Security-Policy": content_security_policy(ancestors),
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-cache",
        }
        # X-Frame-Options cannot name other origins; browsers that know CSP ignore it anyway.
        if ancestors == ("'self'",):
            headers["X-Frame-Options"] = "SAMEORIGIN"
        return headers


class _Pages:
    """The page files, read once when the routes are built."""

    def __init__(self, directory: Path) -> None:
        self.search = (directory / "index.html").read_bytes()
        self.read = (directory / "read.html").read_bytes()
        self.embed = (directory / "embed.html").read_bytes()
        self.widget = (directory / "widget.js").read_bytes()


class WebController(Controller):
    """The human-facing routes; all data comes from the JSON API in the browser."""

    include_in_schema = False

    @get("/", media_type=HTML, sync_to_thread=False)
    def search_page(self, web_config: WebConfig, pages: _Pages) -> Response[bytes]:
        return Response(pages.search, media_type=HTML, headers=web_config.page_headers(embeddable=False))

    @get("/read/{article_id:str}", media_type=HTML, sync_to_thread=False)
    def read_page(
        self, article_id: str, web_config: WebConfig, pages: _Pages, index_state: IndexState
    ) -> Response[bytes]:
        # The page fetches the article from /articles/{id}; an id the index does not hold is a
        # 404 here too, so links to it are reported broken. The same page is sent with the 404:
        # its script finds the article missing and says so in the reader's language, in the
        # site's layout (before the index loads, the page reports what /articles says).
        engine = index_state.peek()
        headers = web_config.page_headers(embeddable=False)
        missing = engine is not None and article_id not in engine.retriever.index.articles
        return Response(pages.read, status_code=404 if missing else 200, media_type=HTML, headers=headers)

    @get("/embed", media_type=HTML, sync_to_thread=False)
    def embed_page(self, web_config: WebConfig, pages: _Pages) -> Response[bytes]:
        return Response(pages.embed, media_type=HTML, headers=web_config.page_headers(embeddable=True))

    @get("/widget.js", media_type=JAVASCRIPT, sync_to_thread=False)
    def widget_script(self, pages: _Pages) -> Response[bytes]:
        # Loaded by host pages as a classic script, so it needs no CORS header of its own.
        return Response(pages.widget, media_type=JAVASCRIPT, headers={"Cache-Control": "public, max-age=300"})


async def _add_nosniff(response: ASGIApp) -> ASGIApp:
    if isinstance(response, ASGIResponse):
        response.headers[NOSNIFF[0]] = NOSNIFF[1]
    return response


def web_router(*, frame_ancestors: Iterable[str] = (), static_dir: Path = STATIC_DIR) -> Router:
    """All web routes, ready for ``create_app`` to mount; raises on invalid frame ancestors."""
    config = WebConfig(frame_ancestors=tuple(frame_ancestors))
    config.embed_ancestors  # noqa: B018 - validate the configuration now, not on the first request
    pages = _Pages(static_dir)
    static = create_static_files_router(
        path="/static",
        directories=[static_dir],
        cache_control=CacheControlHeader(max_age=300, public=True),
        # Static handlers return ready ASGI responses, which layered response_headers skip.
        after_request=_add_nosniff,
    )
    return Router(
        path="/",
        route_handlers=[WebController, static],
        dependencies={
            "web_config": Provide(lambda: config, use_cache=True, sync_to_thread=False),
            "pages": Provide(lambda: pages, use_cache=True, sync_to_thread=False),
        },
        response_headers=[ResponseHeader(name=NOSNIFF[0], value=NOSNIFF[1])],
    )
