"""Liveness and readiness probes."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from api.authz.store import PolicyState
from api.db.migrations import current_revision

log = logging.getLogger(__name__)
_SHOWN_PROBLEMS = 10


async def healthz(request: Request) -> JSONResponse:
    """200 while the process lives."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """200 only when the database answers and is at the revision this code expects, and this
    instance holds its policy store's current policy (or has refused it and kept the last good one).

    The body shows the policy in force (version, digest) and a refused candidate, if any.
    """
    runtime = request.app.state.runtime
    try:
        current = await current_revision(runtime.engine)
    except Exception as exc:  # any failure to reach the database means not ready
        log.warning("readiness check: database unreachable: %s", exc)
        return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, status_code=503)
    try:
        state = await runtime.policies.state()
    except Exception as exc:  # an unreadable store: this instance cannot tell whether it is behind
        log.warning("readiness check: policy store unreadable: %s", exc)
        return JSONResponse({"status": "unavailable", "reason": "policy store unreadable"}, status_code=503)
    policy = _policy(state)
    if not runtime.policy_in_sync():
        return JSONResponse({"status": "unavailable", "reason": "policy watcher not listening", "policy": policy},
                            status_code=503)
    bound = runtime.settings.policy_sync_bound_seconds
    if state.behind_seconds > bound:
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
