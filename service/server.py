"""The HTTP protocol uvicorn runs for the service: its own h11 protocol plus a deadline for request headers.

uvicorn times out idle keep-alive connections but not a client that sends its request line
and headers a byte at a time (each byte even cancels the keep-alive timer), so a few hundred
such connections hold the server's sockets forever. Here a request's headers must be complete
within ``HEADER_TIMEOUT_S`` of the connection opening or of the previous response; otherwise
the connection is closed and one JSON line says so.

Bytes that are not HTTP (a malformed chunk size, a cut chunk) get the service's JSON 400, not
uvicorn's text/plain one; and when the app has already answered (``POST /search`` is refused
with 405 before its chunked body is read), the connection is just closed: uvicorn would try to
send a second response, h11 refuses it, and the exception escaped ``data_received`` as a
multi-line asyncio traceback on stderr.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from service.errors import MalformedRequestError, raw_error_response
from service.headers import API_POLICY, CSP, FRAME_DENY, NOSNIFF

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 10.0


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request headers do not arrive in time."""

    header_timeout_s = HEADER_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the request line and headers are in

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm()  # the next request on this keep-alive connection gets the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else None
        log.warning("request_headers_timeout", extra={"client": client, "seconds": self.header_timeout_s})
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        # uvicorn has just logged the protocol error (one JSON line); only the answer is ours.
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            status, headers, body = raw_error_response(MalformedRequestError(_MALFORMED))
            headers += [(b"connection", b"close"), NOSNIFF, FRAME_DENY, (CSP, API_POLICY)]
            start = h11.Response(status_code=status, headers=headers, reason=b"Bad Request")
            events = (start, h11.Data(data=body), h11.EndOfMessage())
            try:
                for event in events:
                    self.transport.write(self.conn.send(event))
            except h11.LocalProtocolError:
                pass  # the connection is closed below either way
        self.transport.close()


_MALFORMED = "the request is not valid HTTP/1.1 (headers or chunked body)"

# What ``uvicorn.run(http=...)`` takes; a class, so worker processes import it by name.
HEADER_TIMEOUT_PROTOCOL = HeaderTimeoutProtocol
