"""Finding customers: Hasura-style filters and orders on an allow-list of indexed columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy import Select, and_, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.models import Customer, StaffMember
from api.errors import InvalidInput
from api.services.scope import RowScope, within
from api.services.pagination import Page, SortKey, datetime_key, keyset_page


def stale_cutoff(today: date, months: int) -> date:
    """The oldest period end that still counts as current, ``months`` before ``today``."""
    month_index = today.year * 12 + today.month - 1 - months
    year, month = divmod(month_index, 12)
    # Clamp the day: 31 March minus one month is the last day of February.
    day = min(today.day, [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return date(year, month + 1, day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def is_stale(customer: Customer, cutoff: date) -> bool:
    """Financial information is stale when the newest statement ended before the cutoff, or is missing."""
    latest = customer.latest_statement_period_end
    return latest is None or latest < cutoff


@dataclass(frozen=True, slots=True)
class QueryContext:
    """What a filter needs to know besides its own values."""

    stale_cutoff: date


_COLUMNS: dict[str, Any] = {
    "id": Customer.id,
    "name": Customer.name,
    "credit_code": Customer.credit_code,
    "industry_code": Customer.industry_code,
    "branch_code": Customer.branch_code,
    "size": Customer.size,
    "credit_status": Customer.credit_status,
    "created_at": Customer.created_at,
    "updated_at": Customer.updated_at,
    "last_major_change_at": Customer.last_major_change_at,
    "latest_statement_period_end": Customer.latest_statement_period_end,
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _compare(column: Any, op: str, value: Any, field: str) -> ColumnElement[bool]:
    if isinstance(value, datetime) and value.tzinfo is None:
        raise InvalidInput.one(field, "a time must carry its zone, e.g. 2026-01-01T00:00:00+08:00")
    if op == "_eq":
        return column == value
    if op == "_neq":
        return column != value
    if op == "_in":
        return column.in_(value)
    if op == "_nin":
        return column.not_in(value)
    if op == "_gt":
        return column > value
    if op == "_gte":
        return column >= value
    if op == "_lt":
        return column < value
    if op == "_lte":
        return column <= value
    if op == "_is_null":
        return column.is_(None) if value else column.is_not(None)
    if op == "_contains":
        return func.lower(column).like(f"%{_escape_like(value.lower())}%", escape="\\")
    if op == "_starts_with":
        return column.like(f"{_escape_like(value)}%", escape="\\")
    raise InvalidInput.one(field, f"unsupported comparison {op}")


def _stale_condition(wanted: bool, cutoff: date) -> ColumnElement[bool]:
    stale = or_(
        Customer.latest_statement_period_end.is_(None),
        Customer.latest_statement_period_end < cutoff,
    )
    return stale if wanted else not_(stale)


def customer_condition(
    where: Mapping[str, Any] | None, ctx: QueryContext, path: str = "where"
) -> ColumnElement[bool] | None:
    """SQL for a ``where`` tree: ``{field: {op: value}, _and: [...], _or: [...], _not: {...}}``."""
    if not where:
        return None
    parts: list[ColumnElement[bool]] = []
    for field, spec in where.items():
        here = f"{path}.{to_camel(field) if not field.startswith('_') else field}"
        if spec is None:
            continue
        if field in ("_and", "_or"):
            inner = [c for i, w in enumerate(spec) if (c := customer_condition(w, ctx, f"{here}.{i}")) is not None]
            if inner:
                parts.append(and_(*inner) if field == "_and" else or_(*inner))
        elif field == "_not":
            inner_condition = customer_condition(spec, ctx, here)
            if inner_condition is not None:
                parts.append(not_(inner_condition))
        elif field == "stale":
            parts += [_stale_condition(bool(v), ctx.stale_cutoff) for op, v in spec.items() if v is not None]
        elif field == "relationship_manager_username":
            manager_ids = select(StaffMember.id)
            for op, value in spec.items():
                if value is not None:
                    manager_ids = manager_ids.where(_compare(StaffMember.username, op, value, here))
            parts.append(Customer.relationship_manager_id.in_(manager_ids))
        elif field in _COLUMNS:
            parts += [
                _compare(_COLUMNS[field], op, value, f"{here}.{op}")
                for op, value in spec.items()
                if value is not None
            ]
        else:
            raise InvalidInput.one(here, "cannot filter on this field")
    return and_(*parts) if parts else None


_SORTABLE: dict[str, tuple[Any, Any]] = {
    "id": (Customer.id, int),
    "name": (Customer.name, str),
    "credit_code": (Customer.credit_code, str),
    "industry_code": (Customer.industry_code, str),
    "branch_code": (Customer.branch_code, str),
    "created_at": (Customer.created_at, datetime_key),
    "updated_at": (Customer.updated_at, datetime_key),
}


def sort_keys(order_by: Sequence[tuple[str, bool]]) -> list[SortKey]:
    """Sort keys for ``[(field, descending)]``; the id always ends the order so it is total."""
    keys: list[SortKey] = []
    for index, (field, descending) in enumerate(order_by):
        if field not in _SORTABLE:
            raise InvalidInput.one(f"orderBy.{index}", f"cannot sort by {field}")
        if field in {key.name for key in keys}:
            raise InvalidInput.one(f"orderBy.{index}", f"{field} appears twice")
        column, parse = _SORTABLE[field]
        keys.append(SortKey(field, column, descending, parse))
    if not keys or keys[-1].name != "id":
        if "id" in {key.name for key in keys}:
            raise InvalidInput.one("orderBy", "id, when given, must come last")
        keys.append(SortKey("id", Customer.id, False, int))
    return keys


def _base(
    where: Mapping[str, Any] | None, ctx: QueryContext, scope: RowScope, columns: Sequence[Any] | None = None
) -> Select[Any]:
    table = Customer.__table__.c
    selected = None if columns is None else [table[c] if isinstance(c, str) else c for c in columns]
    stmt = within(select(Customer) if selected is None else select(*selected), scope)
    condition = customer_condition(where, ctx)
    return stmt if condition is None else stmt.where(condition)


async def find_customers(
    session: AsyncSession,
    *,
    where: Mapping[str, Any] | None,
    order_by: Sequence[tuple[str, bool]],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    ctx: QueryContext,
    scope: RowScope,
    columns: Sequence[Any] | None = None,
) -> Page[Any]:
    """One page of customers matching ``where`` in the requested order.

    The items are ``Customer`` objects, or, given ``columns`` (names, or labelled expressions
    correlated to the customer), plain rows of those (and the sort keys): what a planned read
    asks for when it needs a few columns of many rows.
    """
    keys = sort_keys(order_by)
    if columns is not None:
        columns = list(dict.fromkeys([*columns, *(key.name for key in keys)]))
    return await keyset_page(
        session, _base(where, ctx, scope, columns), keys, first=first, after=after, last=last, before=before,
        key_values=lambda c: [getattr(c, key.name) for key in keys], entities=columns is None,
    )


async def count_customers(
    session: AsyncSession, *, where: Mapping[str, Any] | None, ctx: QueryContext, scope: RowScope
) -> int:
    """How many customers in scope match ``where`` (the whole list, not the page)."""
    condition = customer_condition(where, ctx)
    stmt = within(select(func.count()).select_from(Customer), scope)
    if condition is not None:
        stmt = stmt.where(condition)
    return int(await session.scalar(stmt) or 0)
