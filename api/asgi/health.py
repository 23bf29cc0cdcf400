"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from api.asgi.outage import Outages
from api.authz.store import PolicyState
from api.db.migrations import current_revision
from api.db.session import outage_kind

log = logging.getLogger(__name__)
_SHOWN_PROBLEMS = 10


async def healthz(request: Request) -> JSONResponse:
    """200 while the process lives."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """200 only when the database answers and is at the revision this code expects, and this
    instance holds its policy store's current policy (or has refused it and kept the last good one).

    The body shows the policy in force (version, digest) and a refused candidate, if any. The
    database and the store each get ``readiness_timeout_seconds``: a database that does not answer
    makes the probe red at once, it never hangs it.
    """
    runtime = request.app.state.runtime
    bound = runtime.settings.readiness_timeout_seconds
    try:
        async with asyncio.timeout(bound):
            current = await current_revision(runtime.engine)
    except Exception as exc:  # any failure to reach the database means not ready
        if _unavailable(request, exc, "the readiness check") is None:
            log.warning("readiness check: database unreachable: %s", exc)
        return _not_ready(request, "database unreachable")
    try:
        async with asyncio.timeout(bound):
            state = await runtime.policies.state()
    except Exception as exc:  # an unreadable store: this instance cannot tell whether it is behind
        if _unavailable(request, exc, "the readiness check (policy store)") is None:
            log.warning("readiness check: policy store unreadable: %s", exc)
        return _not_ready(request, "policy store unreadable")
    policy = _policy(state)
    if not runtime.policy_in_sync():
        return JSONResponse({"status": "unavailable", "reason": "policy watcher not listening", "policy": policy},
                            status_code=503)
    sync_bound = runtime.settings.policy_sync_bound_seconds
    if state.behind_seconds > sync_bound:
        log.warning("readiness check: policy %s behind its store for %.1f s", state.policy.digest, state.behind_seconds)
        return JSONResponse({"status": "unavailable", "reason": "policy behind its store", "policy": policy},
                            status_code=503)
    if current != runtime.head_revision:
        return JSONResponse(
            {"status": "unavailable", "reason": "database not migrated",
             "revision": current, "expected": runtime.head_revision},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "revision": current, "policy": policy})


def _unavailable(request: Request, error: Exception, where: str) -> str | None:
    """Report ``error`` as a database outage, once per kind per interval with the requests'
    reports (``api.asgi.outage``); its kind, or None when it is no outage."""
    kind = outage_kind(error) or ("timeout" if isinstance(error, TimeoutError) else None)
    outages: Outages | None = getattr(request.app.state, "outages", None)
    if kind is not None and outages is not None:
        outages.report(kind, error, where)
    elif kind is not None:
        log.warning("%s: database unavailable (%s): %s", where, kind, error)
    return kind


def _not_ready(request: Request, reason: str) -> JSONResponse:
    outages: Outages | None = getattr(request.app.state, "outages", None)
    headers = {"Retry-After": str(outages.retry_after)} if outages is not None else None
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503, headers=headers)


def _policy(state: PolicyState) -> dict[str, Any]:
    rejected = None
    if state.rejection is not None:
        rejected = {
            "at": state.rejection.at.isoformat(),
            "problems": [str(problem) for problem in state.rejection.problems[:_SHOWN_PROBLEMS]],
            "problemCount": len(state.rejection.problems),
        }
    return {
        "version": state.policy.version, "digest": state.policy.digest, "source": state.policy.source,
        "store": state.store_fingerprint, "behindSeconds": round(state.behind_seconds, 3),
        "rejected": rejected, "rejections": state.rejections,
    }
