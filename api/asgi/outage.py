"""Faults answered as JSON: the database away is a fast 503 with ``Retry-After``, anything else a 500.

Without this, an exception leaving a route reached Starlette's ``ServerErrorMiddleware``: a bare
``text/plain`` 500, the exception raised again to uvicorn, which logged its traceback and closed
the connection. During a 10 s outage that was 49 MB of tracebacks. ``OutageGuard`` answers in the
shape of every other error (``{"data": null, "errors": [{"message", "extensions": {"code"}}]}``),
keeps the connection, and logs one line per kind of outage per interval (``ThrottledLog``).

Which errors mean "the database is away" is decided in one place, ``api.db.session.outage_kind``:
a refused or reset connection, a connect, command or pool timeout, a statement timeout, a
connection that died under its statement, a server shutting down or starting, SQLite locked. What
ends the wait is the engine's timeouts (``DatabaseTimeouts``); what brings answers back once the
database is back is the pool discarding the dead connections (``api.db.session``), no restart.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.db.session import outage_kind
from api.settings import Settings

log = logging.getLogger(__name__)

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class ThrottledLog:
    """At most one line per key per ``interval`` seconds; the next line says how many were held back.

    A fault that hits every request would otherwise log once per request, which during an outage
    is what fills the disk and hides everything else.
    """

    def __init__(self, logger: logging.Logger, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self._last: dict[str, tuple[float, int]] = {}

    def log(self, level: int, key: str, message: str, *args: Any, exc_info: BaseException | None = None) -> bool:
        """Log ``message`` unless ``key`` was logged less than ``interval`` ago; True if logged."""
        now = self.clock()
        last, held = self._last.get(key, (-math.inf, 0))
        if now - last < self.interval:
            self._last[key] = (last, held + 1)
            return False
        self._last[key] = (now, 0)
        if held:
            message += " (%d more since the last report)"
            args = (*args, held)
        self.logger.log(level, message, *args, exc_info=exc_info)
        return True


class Outages:
    """The process's reports of database outages (one per kind per interval) and its ``Retry-After``.

    Shared by the requests (``OutageGuard``) and the readiness probe (``api.asgi.health``), so an
    outage is reported once however it was noticed.
    """

    def __init__(self, settings: Settings) -> None:
        self.retry_after = settings.db_retry_after_seconds
        self.log = ThrottledLog(log, settings.outage_log_interval_seconds)

    def report(self, kind: str, error: BaseException, where: str) -> None:
        """Note an outage of ``kind`` seen by ``where`` (no traceback: the kind says what happened)."""
        self.log.log(
            logging.WARNING, kind, "database unavailable (%s), seen by %s: %s: %s; answering 503",
            kind, where, type(error).__name__, _one_line(error),
        )

    def response(self, scope: Scope) -> JSONResponse:
        """The 503 a request gets while the database is away."""
        message = f"The service cannot use its database at the moment; try again in {self.retry_after} seconds."
        return _error(503, message, SERVICE_UNAVAILABLE, scope, {"Retry-After": str(self.retry_after)})


class OutageGuard:
    """ASGI middleware: an exception leaving the application becomes a JSON answer.

    The database away (``outage_kind``) is a 503 with ``Retry-After``; any other exception is a 500
    ``INTERNAL_SERVER_ERROR`` without internal text, its traceback logged (once per place per
    interval). A client that went away mid-request gets nothing and costs no log line. The
    connection stays open either way. If the response had already started, it can only be cut short.
    """

    def __init__(self, app: ASGIApp, outages: Outages, interval: float) -> None:
        self.app = app
        self.outages = outages
        self.faults = ThrottledLog(log, interval)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as raised:
            error = _single(raised)
            if isinstance(error, ClientDisconnect):
                log.debug("client went away before its request was read: %s %s", scope["method"], scope["path"])
                return
            kind = outage_kind(error)
            if kind is not None:
                self.outages.report(kind, error, f"{scope['method']} {scope['path']}")
                response = self.outages.response(scope)
            else:
                self.faults.log(
                    logging.ERROR, _origin(error), "unexpected error answering %s %s", scope["method"], scope["path"],
                    exc_info=error,
                )
                response = _error(500, "Internal server error", INTERNAL_SERVER_ERROR, scope)
            if not started:
                await response(scope, receive, send)


def guard_against_outages(app: Starlette, settings: Settings) -> None:
    """Wire ``OutageGuard`` into ``app`` and put its ``Outages`` on ``app.state.outages``.

    Appended, so it is the innermost of the application's middleware: the ones around it (CORS,
    for one) treat its 503 and 500 as any other response. Call before the application serves.
    """
    outages = Outages(settings)
    app.state.outages = outages
    app.user_middleware.append(
        Middleware(OutageGuard, outages=outages, interval=settings.outage_log_interval_seconds)
    )


def _error(status: int, message: str, code: str, scope: Scope, headers: dict[str, str] | None = None) -> JSONResponse:
    state = scope.get("state") or {}
    request_id = state.get("request_id") if isinstance(state, dict) else None
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers={**(headers or {}), "X-Request-ID": str(request_id or uuid.uuid4().hex)},
    )


def _single(error: Exception) -> Exception:
    """The one exception inside a group of one (task groups wrap what their tasks raise)."""
    while isinstance(error, ExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


def _origin(error: BaseException) -> str:
    """Where ``error`` was raised: its type and innermost frame (a bug's throttling key)."""
    traceback = error.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    where = f"{traceback.tb_frame.f_code.co_filename}:{traceback.tb_lineno}" if traceback is not None else "?"
    return f"{type(error).__qualname__}@{where}"


def _one_line(error: BaseException, limit: int = 200) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
