"""Security headers on every response: no MIME sniffing, no framing, a content policy.

The web pages set their own, richer policy (service/web.py); everything else (JSON, errors,
/metrics, the Swagger UI) gets the strictest one that still works: nothing may load and no
site may frame it. The Swagger page's inline script and style are allowed by their hashes,
computed from the page as sent, so the docs work without ``'unsafe-inline'``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any, cast

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

NOSNIFF = (b"x-content-type-options", b"nosniff")
FRAME_DENY = (b"x-frame-options", b"DENY")
CSP = b"content-security-policy"
API_POLICY = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_INLINE_STYLE = re.compile(rb"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def _hashes(pattern: re.Pattern[bytes], html: bytes) -> str:
    digests = {base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() for m in pattern.finditer(html)}
    return "".join(f" 'sha256-{d}'" for d in sorted(digests))


def docs_policy(html: bytes) -> bytes:
    """The policy for an HTML page of this service's own making (Swagger UI): own files plus its inline code."""
    return (
        "default-src 'none'; "
        f"script-src 'self'{_hashes(_INLINE_SCRIPT, html)}; "
        f"style-src 'self'{_hashes(_INLINE_STYLE, html)}; "
        "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ).encode()


class SecurityHeaders:
    """ASGI middleware adding the headers a response lacks; a page's own policy is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] | None = None
        body = bytearray()

        async def send_with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if NOSNIFF[0] not in names:
                    headers.append(NOSNIFF)
                message["headers"] = headers
                if CSP in names:  # a page with its own policy decides its own framing (/embed)
                    await send(message)
                    return
                if FRAME_DENY[0] not in names:
                    headers.append(FRAME_DENY)
                if _is_html(headers):
                    start = dict(message)  # held until the body is known, to hash its inline code
                else:
                    headers.append((CSP, API_POLICY))
                    await send(message)
                return
            if start is not None and message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if message.get("more_body", False):
                    return
                start["headers"] = [*start["headers"], (CSP, docs_policy(bytes(body)))]
                await send(cast(Message, start))
                await send({"type": "http.response.body", "body": bytes(body), "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"content-type" and value.lower().startswith(b"text/html") for name, value in headers)
