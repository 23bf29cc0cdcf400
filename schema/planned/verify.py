"""Checking that the planned path answered exactly what the regular resolvers answer."""

from __future__ import annotations

import json
from typing import Any

import orjson

from api.services.audit import AuditTrail


class PlannedPathMismatch(AssertionError):
    """The planned path and the regular resolvers disagree: a bug in the planner."""


def _audit(trail: AuditTrail) -> list[tuple[Any, ...]]:
    return sorted(
        (event.action, event.customer_id or 0, event.object, event.fields) for event in trail.events()
    )


def same_as_regular(
    planned: dict[str, Any], planned_audit: AuditTrail, regular: dict[str, Any], regular_audit: AuditTrail
) -> None:
    """Raise ``PlannedPathMismatch`` unless both responses and both audit trails agree.

    Data must match exactly, key order included; errors as a set (graphql-core's order follows
    when concurrent resolvers finish, which no client may rely on).
    """
    problems = []
    # Nodes the database built are embedded JSON: compare what a client parses.
    planned = orjson.loads(orjson.dumps(planned))
    if json.dumps(planned.get("data")) != json.dumps(regular.get("data")):
        planned_data, regular_data = json.dumps(planned.get("data"))[:2000], json.dumps(regular.get("data"))[:2000]
        problems.append(f"data: planned {planned_data} regular {regular_data}")
    planned_errors = sorted(json.dumps(e, sort_keys=True) for e in planned.get("errors", []))
    regular_errors = sorted(json.dumps(e, sort_keys=True) for e in regular.get("errors", []))
    if planned_errors != regular_errors:
        problems.append(f"errors: planned {planned_errors[:5]} regular {regular_errors[:5]}")
    if _audit(planned_audit) != _audit(regular_audit):
        problems.append(f"audit: planned {_audit(planned_audit)[:5]} regular {_audit(regular_audit)[:5]}")
    if problems:
        raise PlannedPathMismatch("; ".join(problems))
