"""Deadlines on reading a request, which uvicorn does not have (``creditcare serve`` uses these).

uvicorn closes a connection only when it sits idle after a response (``timeout_keep_alive``). A
connection that opens and sends nothing, or sends part of a request's head, or a head and part of
its body, is kept for ever, and each holds a socket, a protocol object and, with a body, a task
of the application waiting for bytes that never come. uvicorn has no header or body timeout
(``h11_max_incomplete_event_size`` bounds a head's size, not its time), and nothing an ASGI
application does can see a connection before its head is complete. So the guard sits in the
HTTP protocol: uvicorn takes a protocol class as its ``http`` option, and these subclass its own
two (httptools and h11) without changing how they parse or respond:

- the **head** (request line and headers) must be complete within ``http_header_timeout_seconds``
  of the connection opening, or of the first byte of a request that follows a response: a
  client trickling header bytes cannot extend it;
- the **body** must be complete within ``http_body_timeout_seconds`` of the head.

Past either deadline the connection gets a ``408 Request Timeout`` (if its client sent something
and no response has begun) and is closed; an application still reading the body sees the client
disconnect. While the application works on a complete request no deadline runs: that is bounded
by the database's timeouts and, at shutdown, by the grace period.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from api.settings import get_settings

log = logging.getLogger(__name__)

_TIMED_OUT = b"Request read timeout"
_REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TIMED_OUT), _TIMED_OUT)
)
_HEAD, _BODY = "head", "body"


class RequestDeadlines:
    """The deadlines, mixed into a uvicorn HTTP protocol class (``self.cycle`` is its request)."""

    transport: asyncio.Transport
    cycle: Any
    loop: asyncio.AbstractEventLoop

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self._limits = {_HEAD: settings.http_header_timeout_seconds, _BODY: settings.http_body_timeout_seconds}
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None
        self._received = False  # bytes of the current phase's request have arrived

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm(_HEAD)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        before = self.cycle
        super().data_received(data)  # type: ignore[misc]
        if self.transport.is_closing():
            self._disarm()
            return
        cycle = self.cycle
        if cycle is not None and cycle is not before:
            # A head is complete: the body's deadline runs, or none if the request is whole.
            if cycle.more_body and not cycle.response_complete:
                self._arm(_BODY)
            else:
                self._disarm()
        elif cycle is not None and not cycle.response_complete:
            if not cycle.more_body and self._phase == _BODY:
                self._disarm()  # the body is complete: the application has the request
        elif self._phase is None:
            # No request in progress: these bytes begin the next one's head.
            self._arm(_HEAD)
            self._received = True
        else:
            self._received = True

    def _arm(self, phase: str) -> None:
        self._disarm()
        self._phase = phase
        self._received = False
        self._deadline = self.loop.call_later(self._limits[phase], self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._phase = None

    def _expired(self) -> None:
        phase, self._deadline, self._phase = self._phase, None, None
        if self.transport.is_closing():
            return
        log.info("closing a connection whose request %s did not arrive within %.1f s", phase, self._limits[str(phase)])
        # A 408 tells a client that did send something why; never in the middle of a response.
        if (phase == _HEAD and self._received) or (phase == _BODY and not self.cycle.response_started):
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()


class GuardedH11Protocol(RequestDeadlines, H11Protocol):
    """uvicorn's h11 protocol with the request deadlines."""


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools not installed: uvicorn's "auto" would pick h11 too
    GuardedHttp: type[asyncio.Protocol] = GuardedH11Protocol
else:

    class GuardedHttpToolsProtocol(RequestDeadlines, HttpToolsProtocol):
        """uvicorn's httptools protocol (its default when installed) with the request deadlines."""

    GuardedHttp = GuardedHttpToolsProtocol
