"""A small university news site on a loopback port, for sync and fetching tests (no network).

Pages come from ``site/`` (English and Russian with real chrome, a windows-1251 page, JSON-LD);
it also serves robots.txt (a disallowed path, a crawl delay, the sitemap), a sitemap index, an
RSS and an Atom feed, ETag/304, one 429 with ``Retry-After``, and a redirect. Tests change the
routes while it runs (edit a page, remove one, break the sitemap) and read the request log.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).parent / "site"

PAGES = {
    "/news/office/": ("en-office.html", "text/html; charset=utf-8"),
    "/news/summit/": ("ru-summit.html", "text/html; charset=utf-8"),
    # windows-1251 with no charset in the header: the page's own <meta> says it.
    "/news/lab/": ("ru-lab.html", "text/html"),
    "/news/quantum/": ("en-jsonld.html", "text/html; charset=utf-8"),
}


@dataclass(frozen=True, slots=True)
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class Site:
    """The routes and the log of what was asked; ``base`` is set once the server listens."""

    base: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # Paths that answer 429 (with Retry-After) this many more times before serving.
    throttle: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        with self.lock:
            return [path for path, _ in self.log]

    def page(self, path: str) -> str:
        return self.base + path

    def set_page(self, path: str, html: str | bytes, content_type: str = "text/html; charset=utf-8") -> None:
        body = html.encode("utf-8") if isinstance(html, str) else html
        self.routes[path] = Route(body, content_type)

    def sitemap(self, paths: list[str], *, lastmods: dict[str, str] | None = None) -> None:
        """Rewrite the news sitemap to list ``paths``."""
        lastmods = lastmods or {}
        items = "".join(
            f"<url><loc>{self.page(p)}</loc>"
            + (f"<lastmod>{lastmods[p]}</lastmod>" if p in lastmods else "")
            + "</url>"
            for p in paths
        )
        self.routes["/sitemap-news.xml"] = Route(
            (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'
            ).encode(),
            "application/xml",
        )


def _default_routes(site: Site) -> None:
    for path, (name, content_type) in PAGES.items():
        site.routes[path] = Route((SITE / name).read_bytes(), content_type)
    site.routes["/robots.txt"] = Route(
        (
            "User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n\n"
            f"Sitemap: {site.page('/sitemap.xml')}\nSitemap: https://elsewhere.example/sitemap.xml\n"
        ).encode(),
        "text/plain",
    )
    site.routes["/private/secret/"] = Route(b"<html><body><h1>Secret</h1><p>Never fetch me.</p></body></html>")
    site.routes["/news/old-office/"] = Route(b"", status=301, headers=(("Location", "/news/office/"),))
    site.routes["/sitemap.xml"] = Route(
        (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{site.page('/sitemap-news.xml')}</loc></sitemap>"
            "</sitemapindex>"
        ).encode(),
        "application/xml",
    )
    site.sitemap(["/news/office/", "/news/summit/", "/news/lab/", "/news/quantum/", "/private/secret/"])
    items = "".join(
        f"<item><title>t</title><link>{site.page(p)}</link><description>Summary only.</description></item>"
        for p in ("/news/old-office/", "/news/summit/")
    )
    # A link to another host: never fetched, since no source names that host.
    items += "<item><title>t</title><link>https://elsewhere.example/news/x/</link></item>"
    site.routes["/rss.xml"] = Route(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}</channel></rss>'.encode(),
        "application/rss+xml",
    )
    entries = "".join(
        f'<entry><title>t</title><id>{site.page(p)}</id><link href="{site.page(p)}"/>'
        f"<updated>2025-07-17T00:00:00Z</updated><summary>Only a summary.</summary></entry>"
        for p in ("/news/lab/", "/news/quantum/")
    )
    site.routes["/atom.xml"] = Route(
        (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>News</title><id>{site.page('/')}</id><updated>2025-07-17T00:00:00Z</updated>{entries}</feed>"
        ).encode(),
        "application/atom+xml",
    )


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:
        site = self.site
        with site.lock:
            site.log.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            throttled = site.throttle.get(self.path, 0)
            if throttled:
                site.throttle[self.path] = throttled - 1
        route = site.routes.get(self.path)
        if throttled:
            self._send(429, b"slow down", "text/plain", (("Retry-After", "5"),))
        elif route is None:
            self._send(404, b"<html><body><h1>Not found</h1></body></html>", "text/html", ())
        elif route.status != 200:
            self._send(route.status, route.body, route.content_type, route.headers)
        else:
            etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", None, (("ETag", etag),))
            else:
                self._send(200, route.body, route.content_type, (("ETag", etag), *route.headers))

    def _send(self, status: int, body: bytes, content_type: str | None, headers: tuple[tuple[str, str], ...]) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class SiteServer:
    """Serve a ``Site`` on 127.0.0.1 in a background thread (a context manager)."""

    def __init__(self, port: int = 0) -> None:
        self.site = Site()
        handler = type("Handler", (_Handler,), {"site": self.site})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self.site.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        _default_routes(self.site)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self._thread.start()
        return self.site

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeClock:
    """A clock that moves only when slept on: polite waits cost nothing and are still measured."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def main() -> None:
    """Serve the fixture site until Ctrl-C, to try ``polysearch sync`` by hand (loopback only)."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="serve the fixture news site on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    with SiteServer(parser.parse_args().port) as site:
        print(f"serving the fixture news site at {site.base}/ (sitemap {site.page('/sitemap.xml')})", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
