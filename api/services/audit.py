"""The audit log: appended to, read by compliance, never changed (the database refuses it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.db.base import table_of, utcnow
from api.db.models import AuditEntry
from api.errors import InvalidInput
from api.services.pagination import Page, SortKey, keyset_page

ACTIONS = ("read", "deny", "disclose", "write")


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """Something to log: who did what to which object (and customer), in which request."""

    principal: str
    roles: str
    action: str
    object: str
    request_id: str
    customer_id: int | None = None
    client_request_id: str | None = None
    fields: tuple[str, ...] = ()
    detail: str | None = None
    at: datetime = field(default_factory=utcnow)

    def row(self) -> dict[str, Any]:
        return {
            "at": self.at, "principal": self.principal, "roles": self.roles, "action": self.action,
            "customer_id": self.customer_id, "object": self.object, "fields": list(self.fields),
            "request_id": self.request_id, "client_request_id": self.client_request_id, "detail": self.detail,
        }


async def append(session: AsyncSession | AsyncConnection, events: Sequence[AuditEvent]) -> None:
    """Append ``events`` in one call (a Core insert: no ORM bookkeeping per row; the driver
    sends the rows together)."""
    if events:
        await session.execute(insert(table_of(AuditEntry)), [event.row() for event in events])


def _condition(where: Mapping[str, Any]) -> Any:
    for bound in ("since", "until"):
        value = where.get(bound)
        if isinstance(value, datetime) and value.tzinfo is None:
            raise InvalidInput.one(f"where.{bound}", "a time must carry its zone, e.g. 2026-01-01T00:00:00+08:00")
    parts = []
    if where.get("principal"):
        parts.append(AuditEntry.principal == where["principal"])
    if where.get("customer_id") is not None:
        parts.append(AuditEntry.customer_id == where["customer_id"])
    if where.get("action"):
        if where["action"] not in ACTIONS:
            raise InvalidInput.one("where.action", f"one of {', '.join(ACTIONS)}")
        parts.append(AuditEntry.action == where["action"])
    if where.get("request_id"):
        parts.append(AuditEntry.request_id == where["request_id"])
    if where.get("client_request_id"):
        parts.append(AuditEntry.client_request_id == where["client_request_id"])
    if where.get("since") is not None:
        parts.append(AuditEntry.at >= where["since"])
    if where.get("until") is not None:
        parts.append(AuditEntry.at < where["until"])
    return and_(*parts) if parts else None


_NEWEST_FIRST = [SortKey("id", AuditEntry.id, True, int)]


async def find_entries(
    session: AsyncSession, *, where: Mapping[str, Any], first: int, after: str | None
) -> Page[AuditEntry]:
    """Audit entries matching ``where``, newest first."""
    stmt = select(AuditEntry)
    condition = _condition(where)
    if condition is not None:
        stmt = stmt.where(condition)
    return await keyset_page(
        session, stmt, _NEWEST_FIRST, first=first, after=after, last=None, before=None,
        key_values=lambda entry: [entry.id],
    )


async def find_entry(session: AsyncSession, entry_id: int) -> AuditEntry | None:
    """One audit entry by its id (None when there is none)."""
    return await session.get(AuditEntry, entry_id)


async def count_entries(session: AsyncSession, *, where: Mapping[str, Any]) -> int:
    stmt = select(func.count()).select_from(AuditEntry)
    condition = _condition(where)
    if condition is not None:
        stmt = stmt.where(condition)
    return int(await session.scalar(stmt) or 0)


class AuditTrail:
    """What one request read, disclosed and was refused: one entry per action and customer.

    A page of 50 customers read in three confidential groups is 50 entries (each naming the
    groups in ``object`` and the coordinates in ``fields``), not 150: the log is written before
    the response leaves, so its size is paid on every request.
    """

    def __init__(self, principal: str, roles: str, request_id: str, client_request_id: str | None = None) -> None:
        self.principal = principal
        self.roles = roles
        self.request_id = request_id
        self.client_request_id = client_request_id
        # Appending is all a field pays; grouping happens once, when the request ends.
        self._noted: list[tuple[str, int | None, str, str]] = []

    def note(self, action: str, obj: str, field: str, customer_id: int | None = None) -> None:
        """Record that ``field`` (a schema coordinate) in ``obj`` (its group) was read/disclosed/denied."""
        self._noted.append((action, customer_id, obj, field))

    def event(self, action: str, obj: str, customer_id: int | None = None, detail: str | None = None) -> AuditEvent:
        return AuditEvent(
            principal=self.principal, roles=self.roles, action=action, object=obj,
            request_id=self.request_id, customer_id=customer_id, detail=detail,
            client_request_id=self.client_request_id,
        )

    def events(self) -> list[AuditEvent]:
        grouped: dict[tuple[str, int | None], tuple[set[str], set[str]]] = {}
        for action, customer_id, obj, coordinate in self._noted:
            objects, fields = grouped.setdefault((action, customer_id), (set(), set()))
            objects.add(obj)
            fields.add(coordinate)
        return [
            AuditEvent(
                principal=self.principal, roles=self.roles, action=action, object=" ".join(sorted(objects)),
                request_id=self.request_id, customer_id=customer_id, fields=tuple(sorted(fields)),
                client_request_id=self.client_request_id,
            )
            for (action, customer_id), (objects, fields) in grouped.items()
        ]
