"""Shadow checks: a sampled share of planned requests answered again by the regular resolvers.

In production ``planned_reads_verify`` is off (it doubles the work); instead
``CREDITCARE_PLANNED_READS_SHADOW_RATE`` of the planned requests (default one in a thousand) are
re-answered by the resolvers as the response's background task, after the response has left:
the client never waits for it and never sees its outcome. The outcome is counted in
``creditcare_planned_read_shadows_total``; a mismatch is logged with the request id, the
operation and where the answers differ (JSON paths, error codes, audit actions), never with
values, which are customers' data.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from api.asgi.metrics import Metrics, operation_name
from api.lifespan import Runtime
from api.services.audit import AuditEvent, AuditTrail
from schema.context import Context
from schema.planned import Fallback
from schema.planned.verify import PlannedPathMismatch, same_as_regular

log = logging.getLogger(__name__)

# Shadow checks running at once in a process, at most: each costs a regular-path answer (tens of
# milliseconds of CPU); beyond this, sampled requests are counted as skipped.
MAX_SHADOWS = 2

Answer = Callable[[Runtime, Context, str, dict[str, Any] | None, str | None], Awaitable[dict[str, Any]]]


async def check(
    runtime: Runtime, metrics: Metrics, regular: Answer, context: Context, query: str,
    variables: dict[str, Any] | None, operation: str | None, planned: dict[str, Any], planned_audit: AuditTrail,
) -> None:
    """Answer a planned request again with ``regular`` and compare it with what the client got.

    On a context of its own (its loaders, its audit trail): that trail is compared, then dropped;
    it is no read of anyone's and never reaches the audit log. Nothing here raises.
    """
    if runtime.shadows_running >= MAX_SHADOWS:
        metrics.shadow("skipped")
        return
    runtime.shadows_running += 1
    try:
        outcome = await _outcome(runtime, regular, context, query, variables, operation, planned, planned_audit)
    except Exception:
        log.exception("shadow check of a planned read failed (request %s)", context.request_id)
        outcome = "error"
    finally:
        runtime.shadows_running -= 1
    metrics.shadow(outcome)


async def _outcome(
    runtime: Runtime, regular: Answer, context: Context, query: str, variables: dict[str, Any] | None,
    operation: str | None, planned: dict[str, Any], planned_audit: AuditTrail,
) -> str:
    shadow_context = dataclasses.replace(context)
    answer = await regular(runtime, shadow_context, query, variables, operation)
    try:
        same_as_regular(planned, planned_audit, answer, shadow_context.audit)
        return "same"
    except PlannedPathMismatch:
        pass
    # A write between the two reads also makes them differ: if the planned path, asked again
    # now, agrees with the resolvers, the data changed; a planner bug answers the same again.
    again = await _planned_again(runtime, context, query, variables, operation)
    if again is not None:
        try:
            same_as_regular(again[0], again[1], answer, shadow_context.audit)
            return "changed"
        except PlannedPathMismatch:
            pass
    log.warning(
        "planned read differs from the regular resolvers (request %s, operation %s): %s",
        context.request_id, (operation_name(operation, query) or "anonymous")[:64],
        "; ".join(differences(planned, planned_audit, answer, shadow_context.audit)),
    )
    return "mismatch"


async def _planned_again(
    runtime: Runtime, context: Context, query: str, variables: dict[str, Any] | None, operation: str | None
) -> tuple[dict[str, Any], AuditTrail] | None:
    plan = runtime.planner.plan(query, operation, context.decisions, variables)
    if plan is None:
        return None
    async with runtime.read_engine.connect() as connection:
        try:
            planned = await runtime.planner.execute(plan, dataclasses.replace(context), variables, connection)
        except Fallback:
            return None
    response: dict[str, Any] = {"data": planned.data}
    if planned.errors:
        response["errors"] = planned.errors
    return response, planned.audit


def differences(
    planned: dict[str, Any], planned_audit: AuditTrail, regular: dict[str, Any], regular_audit: AuditTrail,
    limit: int = 10,
) -> list[str]:
    """Where two answers differ: JSON paths, error paths and codes, audit actions and groups; no values."""
    found: list[str] = []
    # Nodes the database built are embedded JSON: compare what a client parses.
    planned = orjson.loads(orjson.dumps(planned))
    _walk(planned.get("data"), regular.get("data"), "data", found, limit)
    planned_errors, regular_errors = planned.get("errors", []), regular.get("errors", [])
    where_planned = sorted(_error_key(error) for error in planned_errors)
    where_regular = sorted(_error_key(error) for error in regular_errors)
    if where_planned != where_regular:
        found.append(f"errors (path, code): planned {where_planned[:5]}, regular {where_regular[:5]}")
    elif sorted(map(_canonical, planned_errors)) != sorted(map(_canonical, regular_errors)):
        found.append("errors: same paths and codes, other messages or extensions")
    entries_planned = Counter((event.action, event.object) for event in planned_audit.events())
    entries_regular = Counter((event.action, event.object) for event in regular_audit.events())
    if entries_planned != entries_regular:
        found.append(
            f"audit entries (action, groups): planned {dict(entries_planned)}, regular {dict(entries_regular)}"
        )
    elif sorted(map(_audit_key, planned_audit.events())) != sorted(map(_audit_key, regular_audit.events())):
        found.append("audit entries: same actions and groups, other customers or fields")
    return found or ["no difference found field by field (key order or number types?)"]


def _walk(planned: Any, regular: Any, path: str, found: list[str], limit: int) -> None:
    if len(found) >= limit:
        return
    if isinstance(planned, dict) and isinstance(regular, dict):
        if list(planned) != list(regular):
            only = sorted(set(planned) ^ set(regular))  # field names or aliases: the document's words
            found.append(f"{path}: fields {only} on one side only" if only else f"{path}: fields in another order")
        for key, value in planned.items():
            if key in regular:
                _walk(value, regular[key], f"{path}.{key}", found, limit)
    elif isinstance(planned, list) and isinstance(regular, list):
        if len(planned) != len(regular):
            found.append(f"{path}: planned {len(planned)} items, regular {len(regular)}")
        for index, (a, b) in enumerate(zip(planned, regular, strict=False)):
            _walk(a, b, f"{path}[{index}]", found, limit)
    elif type(planned) is not type(regular):
        found.append(f"{path}: planned {type(planned).__name__}, regular {type(regular).__name__}")
    elif planned != regular:
        found.append(f"{path}: other value")


def _error_key(error: dict[str, Any]) -> tuple[str, str]:
    where = ".".join(str(part) for part in error.get("path") or ())
    return where, str((error.get("extensions") or {}).get("code"))


def _canonical(error: dict[str, Any]) -> bytes:
    return orjson.dumps(error, option=orjson.OPT_SORT_KEYS)


def _audit_key(event: AuditEvent) -> tuple[str, int, str, tuple[str, ...]]:
    return event.action, event.customer_id or 0, event.object, event.fields
