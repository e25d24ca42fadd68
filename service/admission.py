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

from service.errors import DeadlineExceededError, OverloadedError

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

    @contextlib.contextmanager
    def admit(self) -> Iterator[Ticket]:
        """Hold a slot for one request; yields its ticket. ``OverloadedError`` when full."""
        if self.in_flight >= self.capacity:
            self.rejected += 1
            raise OverloadedError(f"the service is at capacity ({self.capacity} requests in progress); try again")
        self.in_flight += 1
        self.admitted += 1
        ticket = Ticket(time.monotonic() + self.deadline_s)
        token = _TICKET.set(ticket)
        try:
            yield ticket
        finally:
            _TICKET.reset(token)
            self.in_flight -= 1


class AdmissionMiddleware:
    """Route middleware for the compute endpoints: admit, or answer 503 before any work."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
