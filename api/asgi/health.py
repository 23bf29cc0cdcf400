"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from api.db.migrations import current_revision

log = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    """200 while the process lives."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """200 only when the database answers and is at the revision this code expects."""
    runtime = request.app.state.runtime
    try:
        current = await current_revision(runtime.engine)
    except Exception as exc:  # any failure to reach the database means not ready
        log.warning("readiness check: database unreachable: %s", exc)
        return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, status_code=503)
    if not runtime.policy_in_sync():
        return JSONResponse({"status": "unavailable", "reason": "policy watcher not listening"}, status_code=503)
    if current != runtime.head_revision:
        return JSONResponse(
            {"status": "unavailable", "reason": "database not migrated",
             "revision": current, "expected": runtime.head_revision},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "revision": current})
