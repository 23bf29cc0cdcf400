"""Change history (R-I2): every change kept as who, when, field, old → new; major ones flagged."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.enums import InfoGroup
from api.db.models import Customer, CustomerChange
from api.principal import Principal
from api.services.information_reads import newest_per_customer
from api.services.pagination import PageRequest, ParentPage, SortKey, counts_per_parent, pages_per_parent

# R-I2 names these as major changes: legal representative, business scope (major investments
# are recorded by their own use case and are always major).
MAJOR_FIELDS: frozenset[tuple[InfoGroup, str]] = frozenset(
    {
        (InfoGroup.BASIC, "legal_representative_name"),
        (InfoGroup.BASIC, "legal_representative_id_number"),
        (InfoGroup.BASIC, "business_scope"),
    }
)


def as_text(value: Any) -> str | None:
    """How a value is kept in history: stable text a person can read."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def apply_changes(
    target: object,
    values: Mapping[str, Any],
    *,
    customer_id: int,
    group: InfoGroup,
    principal: Principal,
    now: datetime,
    is_new: bool = False,
) -> list[CustomerChange]:
    """Set ``values`` on ``target`` and return one history entry per field that really changed.

    A field being filled for the first time is history but never a *major* change: only a
    change of an existing value is.
    """
    changes: list[CustomerChange] = []
    for attribute, new in values.items():
        old = None if is_new else getattr(target, attribute)
        if as_text(old) == as_text(new):
            continue
        setattr(target, attribute, new)
        changes.append(
            CustomerChange(
                customer_id=customer_id,
                changed_at=now,
                changed_by=principal.sub,
                info_group=group,
                field=to_camel(attribute),
                old_value=as_text(old),
                new_value=as_text(new),
                major=(group, attribute) in MAJOR_FIELDS and old is not None,
            )
        )
    return changes


def note_event(
    *,
    customer_id: int,
    group: InfoGroup,
    field: str,
    new_value: Any,
    principal: Principal,
    now: datetime,
    major: bool = False,
) -> CustomerChange:
    """A history entry for something added (a statement, an investment, an event)."""
    return CustomerChange(
        customer_id=customer_id,
        changed_at=now,
        changed_by=principal.sub,
        info_group=group,
        field=field,
        old_value=None,
        new_value=as_text(new_value),
        major=major,
    )


def touch(customer: Customer, changes: Sequence[CustomerChange], now: datetime) -> None:
    """Mark the customer changed (bumps its version) and remember when a major change happened."""
    customer.updated_at = now
    if any(change.major for change in changes):
        customer.last_major_change_at = now


async def history_for(
    session: AsyncSession, customer_ids: Sequence[int], *, major_only: bool, limit: int
) -> dict[int, list[CustomerChange]]:
    """The newest ``limit`` changes of each customer (only major ones if asked), newest first."""
    return await newest_per_customer(
        session, CustomerChange, customer_ids, order=(CustomerChange.id.desc(),), limit=limit,
        condition=_major() if major_only else None,
    )


# A customer's history is newest first: by id, which grows with time.
HISTORY_KEYS = (SortKey("id", CustomerChange.__table__.c.id, descending=True, parse=int),)


def _major() -> Any:
    return CustomerChange.__table__.c.major.is_(True)


async def history_pages(
    session: AsyncSession, customer_ids: Sequence[int], request: PageRequest, *, major_only: bool
) -> dict[int, ParentPage[Any]]:
    """The page ``request`` asks for of each customer's changes (only major ones if asked), newest
    first, in one statement; rows are read-only snapshots."""
    return await pages_per_parent(
        session, CustomerChange.__table__, "customer_id", customer_ids, HISTORY_KEYS, request,
        condition=_major() if major_only else None,
    )


async def history_counts(session: AsyncSession, keys: Sequence[tuple[int, bool]]) -> dict[tuple[int, bool], int]:
    """How many changes (or major changes) each ``(customer id, major only)`` has."""
    found: dict[tuple[int, bool], int] = {}
    for major_only in {major for _, major in keys}:
        ids = [customer_id for customer_id, major in keys if major is major_only]
        counts = await counts_per_parent(
            session, CustomerChange.__table__, "customer_id", ids, condition=_major() if major_only else None
        )
        found.update({(customer_id, major_only): count for customer_id, count in counts.items()})
    return found
