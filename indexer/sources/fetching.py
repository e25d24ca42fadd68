"""Polite fetching: robots.txt, a delay between requests to one host, back-off, conditional requests.

Every request goes through one ``PoliteFetcher``: it asks only hosts the sources name, obeys
robots.txt (Protego) and its Crawl-delay (at least ``min_delay`` seconds between requests to a
host), backs off on 429/503 as ``Retry-After`` says, follows redirects hop by hop under the same
rules, and sends ``If-None-Match``/``If-Modified-Since`` when it has validators. The clock and
the sleep are injectable, so tests check the spacing without waiting for it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from indexer.errors import FetchError

log = logging.getLogger(__name__)

USER_AGENT = "polysearch/0.1 (university news archive indexer; respects robots.txt)"
# The token robots.txt groups are matched against.
ROBOTS_AGENT = "polysearch"
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BACK_OFF = frozenset({429, 503})


class RobotsDisallowed(FetchError):
    """robots.txt forbids this URL to polysearch; it was not requested."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """One response after redirects: ``url`` is where the content really came from."""

    url: str
    status: int
    content: bytes
    etag: str | None = None
    last_modified: str | None = None
    media_type: str | None = None
    charset: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def site_of(host: str) -> str:
    """The site a host belongs to: ``www.example.edu`` and ``example.edu`` are one site, the
    same pages under two names (a sitemap on one often lists the other's URLs)."""
    host = host.lower()
    return host[4:] if host.startswith("www.") else host


def retry_after_seconds(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date in the future."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


@dataclass(slots=True)
class _Host:
    robots: Protego | None = None
    robots_error: str | None = None
    next_at: float = 0.0


@dataclass(slots=True)
class PoliteFetcher:
    """An HTTP client that is a good guest on the hosts it is allowed to visit."""

    allowed_hosts: frozenset[str]
    user_agent: str = USER_AGENT
    min_delay: float = 1.0
    max_retry_after: float = 300.0
    retries: int = 3
    timeout: float = 30.0
    max_bytes: int = 20 * 1024 * 1024
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None
    # (clock time, url) of every request sent, robots.txt included: what tests check spacing on.
    history: list[tuple[float, str]] = field(default_factory=list)
    _hosts: dict[str, _Host] = field(default_factory=dict)
    _client: httpx.Client | None = None

    @classmethod
    def for_hosts(cls, hosts: Iterable[str], **options: object) -> PoliteFetcher:
        return cls(allowed_hosts=frozenset(h.lower() for h in hosts), **options)  # type: ignore[arg-type]

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                headers={"User-Agent": self.user_agent},
                follow_redirects=False,
                timeout=self.timeout,
                transport=self.transport,
                trust_env=False,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def is_allowed_host(self, url: str) -> bool:
        """Whether ``url`` is on a site the sources name (or ``--allow-host`` adds); robots.txt,
        the delay and back-off stay per host all the same."""
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and site_of(parts.netloc) in {site_of(h) for h in self.allowed_hosts}

    def delay_for(self, url: str) -> float:
        """Seconds between two requests to the host: ``min_delay`` or robots' Crawl-delay, the larger."""
        state = self._hosts.get(origin(url))
        crawl_delay = state.robots.crawl_delay(ROBOTS_AGENT) if state and state.robots else None
        return max(self.min_delay, float(crawl_delay or 0.0))

    def robots(self, url: str) -> Protego:
        """The parsed robots.txt of ``url``'s site (fetched once); an empty one when the site has none."""
        key = origin(url)
        state = self._hosts.setdefault(key, _Host())
        if state.robots is None and state.robots_error is None:
            response, body = self._send(f"{key}/robots.txt", {}, follow_robots=False)
            hops = 0
            while response.status_code in _REDIRECTS and hops < MAX_REDIRECTS:
                target = urljoin(str(response.url), response.headers.get("location", ""))
                if origin(target) != key:
                    break
                response, body = self._send(target, {}, follow_robots=False)
                hops += 1
            if response.status_code == 200:
                state.robots = Protego.parse(body.decode(response.charset_encoding or "utf-8", errors="replace"))
            elif 400 <= response.status_code < 500:
                # No robots.txt (or not for us to read): the whole site is open, as RFC 9309 says.
                state.robots = Protego.parse("")
            else:
                # A broken robots.txt must not be read as permission: stay away this run.
                state.robots_error = f"robots.txt of {key} answered {response.status_code}"
        if state.robots is None:
            raise FetchError(state.robots_error or f"robots.txt of {key} is unavailable")
        return state.robots

    def can_fetch(self, url: str) -> bool:
        return self.is_allowed_host(url) and self.robots(url).can_fetch(url, ROBOTS_AGENT)

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GET ``url`` politely; ``FetchError`` (or ``RobotsDisallowed``) when it may not or cannot be had."""
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(MAX_REDIRECTS + 1):
            if not self.is_allowed_host(url):
                raise FetchError(f"{url}: not on a host the sources name; not fetched")
            if not self.robots(url).can_fetch(url, ROBOTS_AGENT):
                raise RobotsDisallowed(f"{url}: disallowed by robots.txt")
            response, body = self._send(url, headers)
            if response.status_code in _REDIRECTS and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            content_type = response.headers.get("content-type", "")
            media_type = content_type.split(";", 1)[0].strip().lower() or None
            return Fetched(
                url=url,
                status=response.status_code,
                content=body,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                media_type=media_type,
                charset=response.charset_encoding,
            )
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _send(self, url: str, headers: dict[str, str], *, follow_robots: bool = True) -> tuple[httpx.Response, bytes]:
        """One request, after waiting for the host's turn; retried as 429/503 ``Retry-After`` asks."""
        state = self._hosts.setdefault(origin(url), _Host())
        for attempt in range(self.retries + 1):
            wait = state.next_at - self.clock()
            if wait > 0:
                self.sleep(wait)
            self.history.append((self.clock(), url))
            try:
                response, body = self._read(url, headers)
            finally:
                # A failed request still counts: the host gets its pause either way.
                state.next_at = self.clock() + (self.delay_for(url) if follow_robots else self.min_delay)
            delay = self.delay_for(url) if follow_robots else self.min_delay
            if response.status_code not in _BACK_OFF:
                return response, body
            asked = retry_after_seconds(response.headers.get("retry-after"))
            back_off = asked if asked is not None else delay * 2 ** (attempt + 1)
            if back_off > self.max_retry_after or attempt == self.retries:
                raise FetchError(f"{url}: answered {response.status_code}; retry after {back_off:.0f} s, giving up")
            log.info("fetch_back_off", extra={"url": url, "status": response.status_code, "seconds": back_off})
            state.next_at = self.clock() + max(back_off, delay)
        raise FetchError(f"{url}: no answer")  # unreachable: the loop returns or raises

    def _read(self, url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
        """Send and read the body, refusing more than ``max_bytes`` (a page is not a disk image)."""
        try:
            with self._http().stream("GET", url, headers=headers) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(f"{url}: larger than {self.max_bytes} bytes; not read")
                return response, bytes(body)
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from exc
