"""Admission control: a bounded number of compute requests, a deadline for queued work, no work for departed clients.

Without a bound, a burst of clients queues work the CPUs cannot finish before the clients give
up; the service then computes answers nobody reads and everything behind them waits. Beyond
``capacity`` requests in the compute path, a new one is refused at once with 503 and
``Retry-After``; one admitted but still queued when its deadline passes is dropped unstarted
(``check_deadline``); one whose client hangs up is cancelled, so its queued work never starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import DeadlineExceededError, OverloadedError, raw_error_response

# Set in the scope's state when the client went away before the response was complete.
CLIENT_GONE = "client_disconnected"


@dataclass(slots=True)
class Ticket:
    """One admitted request: the monotonic time its first job must start by, and whether it has."""

    deadline: float
    started: bool = False


_TICKET: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar("polysearch_ticket", default=None)


def current_ticket() -> Ticket | None:
    """The ticket of the request this task serves (None outside an admitted request)."""
    return _TICKET.get()


def check_deadline(ticket: Ticket | None) -> None:
    """Raise ``DeadlineExceededError`` if the request's work is too late to start.

    Only the first job is held to the deadline: once a request has begun computing, dropping
    its later steps would waste what was already spent on it.
    """
    if ticket is None or ticket.started:
        return
    if time.monotonic() > ticket.deadline:
        raise DeadlineExceededError("the request waited too long for a compute slot; try again")
    ticket.started = True


class Admission:
    """Counts requests in the compute path; refuses beyond ``capacity``. Event-loop only."""

    def __init__(self, capacity: int, *, deadline_s: float) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self.deadline_s = deadline_s
        self.in_flight = 0
        self.admitted = 0
        self.rejected = 0

    def enter(self) -> contextvars.Token[Ticket | None]:
        """Take a slot and make its ticket the current one; ``OverloadedError`` when full.

        Give the returned token to ``leave`` when the request is done.
        """
        if self.in_flight >= self.capacity:
            self.rejected += 1
            raise OverloadedError(f"the service is at capacity ({self.capacity} requests in progress); try again")
        self.in_flight += 1
        self.admitted += 1
        return _TICKET.set(Ticket(time.monotonic() + self.deadline_s))

    def leave(self, token: contextvars.Token[Ticket | None]) -> None:
        _TICKET.reset(token)
        self.in_flight -= 1

    @contextlib.contextmanager
    def admit(self) -> Iterator[Ticket | None]:
        """Hold a slot for one request; yields its ticket. ``OverloadedError`` when full."""
        token = self.enter()
        try:
            yield current_ticket()
        finally:
            self.leave(token)


# The compute endpoints (method, path) as the router matches them; the edge gate admits these
# (``AdmissionGate``). Anything else, ``POST /search`` included, is the framework's to answer.
COMPUTE_ROUTES = frozenset({("GET", "/search"), ("GET", "/ask"), ("POST", "/ask")})


class AdmissionGate:
    """ASGI middleware at the edge: a compute request is admitted or refused before the framework sees it.

    Under overload most requests are refused, so a refusal must cost the event loop as little
    as possible: it is decided from the method and path alone and answered from bytes, with
    no routing, no request parsing, no exception machinery and no task of its own. A request
    with an ``Origin`` when CORS is on goes the framework's way (``AdmissionMiddleware``), so
    its 503 carries the CORS headers a browser needs to read it.

    Only compute requests get the ``DisconnectGuard``: its watcher task and handler task each
    cost a turn of the event loop, which under load is what made ``/health`` slow, and a
    request that computes nothing has nothing to cancel.

    A POST's body is received before the request takes a slot (up to ``max_body_bytes``; the
    framework refuses a bigger one): otherwise a client that sends its body slowly, or never
    finishes it, would hold a compute slot without computing, and as many such clients as the
    capacity would have every other request refused.
    """

    def __init__(self, app: ASGIApp, *, cors: bool = False, max_body_bytes: int = 1 << 20) -> None:
        self.app = app
        self.guarded = DisconnectGuard(app)
        self.cors = cors
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_compute(scope):
            await self.app(scope, receive, send)
            return
        admission: Admission | None = getattr(scope["app"].state, "admission", None)
        if admission is None or (self.cors and _has_origin(scope)):
            # Before the lifespan ran there is nothing to count; a CORS request is admitted by
            # the route middleware, inside the framework's CORS handling.
            await self.guarded(scope, receive, send)
            return
        if scope.get("method") == "POST":
            receive, left = await self._received_body(receive)
            if left:  # gone before its body was complete: nothing to admit, nobody to answer
                scope.setdefault("state", {})[CLIENT_GONE] = True
                return
        try:
            token = admission.enter()
        except OverloadedError as exc:
            scope["path_template"] = scope["path"].rstrip("/")  # the route label of the request log
            status, headers, body = raw_error_response(exc)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        try:
            await self.guarded(scope, receive, send)
        finally:
            admission.leave(token)


    async def _received_body(self, receive: Receive) -> tuple[Receive, bool]:
        """Receive the request body now: a ``receive`` that hands it to the app again, and whether the client left."""
        held: list[Any] = []
        size = 0
        while True:
            message = await receive()
            held.append(message)
            if message["type"] != "http.request":
                return receive, True
            size += len(message.get("body", b""))
            if not message.get("more_body", False) or size > self.max_body_bytes:
                break
        held.reverse()

        async def replay() -> Any:
            return held.pop() if held else await receive()

        return replay, False


def _is_compute(scope: Scope) -> bool:
    return scope["type"] == ScopeType.HTTP and (scope.get("method"), scope["path"].rstrip("/")) in COMPUTE_ROUTES


def _has_origin(scope: Scope) -> bool:
    return any(name == b"origin" for name, _ in scope.get("headers", ()))


class AdmissionMiddleware:
    """Route middleware for the compute endpoints: admit, or answer 503 before any work.

    Requests the edge gate already admitted pass straight through; this catches the rest
    (CORS requests, and any path spelling the router matches that the gate does not).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if current_ticket() is not None:
            await self.app(scope, receive, send)
            return
        admission: Admission = scope["app"].state.admission
        with admission.admit():
            await self.app(scope, receive, send)


class DisconnectGuard:
    """ASGI middleware: cancel a request's handler when its client disconnects mid-request.

    Cancelling the handler cancels what it awaits: a job still queued in the compute pool or a
    query still waiting for the batching encoder is then never computed. A watcher reads the
    client's messages one at a time (so a large body is not buffered ahead of the app) and,
    once the body is complete, waits for ``http.disconnect``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        inbox: asyncio.Queue[Any] = asyncio.Queue(maxsize=1)
        responded = False

        async def app_receive() -> Any:
            return await inbox.get()

        async def app_send(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                responded = True
            await send(message)

        handler = asyncio.ensure_future(self.app(scope, app_receive, app_send))

        async def watch() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    if not responded and not handler.done():
                        scope.setdefault("state", {})[CLIENT_GONE] = True
                        handler.cancel()
                    # Every later receive by the app sees the disconnect too.
                    while True:
                        await inbox.put(message)
                # Waits while the app has not taken the previous message: backpressure.
                await inbox.put(message)

        watcher = asyncio.ensure_future(watch())
        try:
            await handler
        except asyncio.CancelledError:
            if not scope.get("state", {}).get(CLIENT_GONE):
                raise  # a shutdown, not a departed client
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
