"""Keyset pagination: opaque cursors over an ordered, unique key; no OFFSET scans."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from api.db.compiled import Reader
from api.errors import InvalidInput

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SortKey:
    """One column of the order; ``parse`` turns a cursor's JSON value back into a column value."""

    name: str
    column: Any
    descending: bool = False
    parse: Callable[[Any], Any] = lambda value: value


def datetime_key(value: Any) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a cursor's time carries its zone")
    return parsed


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


def encode_cursor(values: Sequence[Any]) -> str:
    """The opaque cursor of a row whose sort key is ``values``."""
    if len(values) == 1 and type(values[0]) is int:
        raw = f"[{values[0]}]"  # what json.dumps gives, for the common key (an id) at a fraction of the cost
    else:
        raw = json.dumps([_json_value(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _json_value(value: Any) -> Any:
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # exact: parsed back by Decimal
    return value


def decode_cursor(cursor: str, keys: Sequence[SortKey], argument: str) -> list[Any]:
    """The sort key a cursor names; BAD_USER_INPUT at ``argument`` when it is not one of ``keys``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        return [key.parse(value) for key, value in zip(keys, values, strict=True)]
    except (ValueError, TypeError, ArithmeticError):  # ArithmeticError: not a decimal
        raise InvalidInput.one(argument, "not a cursor of this list in this order") from None


def _beyond(keys: Sequence[SortKey], values: Sequence[Any], *, toward_end: bool) -> ColumnElement[bool]:
    """Rows strictly after (``toward_end``) or before the row whose key is ``values``.

    Keys all in one direction compare as one row value, ``(name, id) > (:a, :b)``, which the
    database reads along an index on the first key; mixed directions need the expanded form.
    """
    if len(keys) > 1 and len({key.descending for key in keys}) == 1:
        greater = (not keys[0].descending) == toward_end
        left, right = tuple_(*(key.column for key in keys)), tuple_(*values)
        return left > right if greater else left < right
    clauses = []
    for i, key in enumerate(keys):
        greater = (not key.descending) == toward_end
        beyond = key.column > values[i] if greater else key.column < values[i]
        equal_prefix = [keys[j].column == values[j] for j in range(i)]
        clauses.append(and_(*equal_prefix, beyond))
    return or_(*clauses)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """``first/after`` or ``last/before`` checked: the direction, the size and the cursor's key."""

    forward: bool
    size: int
    cursor: tuple[Any, ...] | None
    after: str | None
    before: str | None

    @classmethod
    def of(
        cls, keys: Sequence[SortKey], *, first: int | None, after: str | None, last: int | None, before: str | None
    ) -> PageRequest:
        if first is not None and last is not None:
            raise InvalidInput.one("last", "give either first or last, not both")
        forward = last is None
        size = first if forward else last
        assert size is not None
        cursor, argument = (after, "after") if forward else (before, "before")
        values = None if cursor is None else tuple(decode_cursor(cursor, keys, argument))
        return cls(forward, size, values, after, before)

    def page(self, rows: list[Any], key_values: Callable[[Any], Sequence[Any]]) -> Page[Any]:
        """The page from the statement's rows (up to ``size + 1``, in the direction read)."""
        more = len(rows) > self.size
        rows = rows[: self.size]
        if not self.forward:
            rows.reverse()
        return Page(
            items=rows,
            cursors=[encode_cursor(key_values(row)) for row in rows],
            has_next_page=more if self.forward else self.before is not None,
            has_previous_page=more if not self.forward else self.after is not None,
        )


def keyset_statement(
    stmt: Select[Any], keys: Sequence[SortKey], *, forward: bool, cursor: Sequence[Any] | None, size: Any
) -> Select[Any]:
    """``stmt`` limited to the rows beyond ``cursor`` (values or bind parameters), ``size`` of
    them (a number or a bind parameter) in ``keys`` order, read backwards for a backward page."""
    if cursor is not None:
        stmt = stmt.where(_beyond(keys, cursor, toward_end=forward))
    # Backwards pages read the order reversed from the cursor, then flip the rows back.
    order = [key.column.desc() if key.descending == forward else key.column.asc() for key in keys]
    return stmt.order_by(*order).limit(size)


async def keyset_page(
    session: Reader,
    stmt: Select[Any],
    keys: Sequence[SortKey],
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    key_values: Callable[[Any], Sequence[Any]],
    entities: bool = True,
) -> Page[Any]:
    """One page of ``stmt`` in ``keys`` order (the last key must be unique), in one statement.

    With ``entities`` the items are the ORM objects ``stmt`` selects; without, its plain rows.
    """
    request = PageRequest.of(keys, first=first, after=after, last=last, before=before)
    paged = keyset_statement(stmt, keys, forward=request.forward, cursor=request.cursor, size=request.size + 1)
    rows = list((await session.scalars(paged) if entities else await session.execute(paged)).all())
    return request.page(rows, key_values)


@dataclass(frozen=True, slots=True)
class ParentPage(Generic[T]):
    """One parent's page of a nested list (a customer's history): the parent's key and the page."""

    parent: Any
    page: Page[T]


async def pages_per_parent(
    session: Reader, table: Any, parent: str, parents: Sequence[Any], keys: Sequence[SortKey],
    request: PageRequest, *, condition: ColumnElement[bool] | None = None,
) -> dict[Any, ParentPage[Any]]:
    """The page ``request`` asks for of each parent's rows of ``table`` (whose ``parent`` column
    names it), in ``keys`` order, in one statement: every parent of ``parents`` has one, empty
    or not. The keys are columns of ``table``, the last one unique; rows are Core rows."""
    parent_column = table.c[parent]
    order = [key.column.desc() if key.descending == request.forward else key.column.asc() for key in keys]
    rank = func.row_number().over(partition_by=parent_column, order_by=order).label("rank")
    inner = select(*table.c, rank).where(parent_column.in_(list(parents)))
    if condition is not None:
        inner = inner.where(condition)
    if request.cursor is not None:
        inner = inner.where(_beyond(keys, request.cursor, toward_end=request.forward))
    ranked = inner.subquery()
    stmt = (
        select(*(ranked.c[column.key] for column in table.c))
        .where(ranked.c.rank <= request.size + 1)  # one more than the page: is there a next one?
        .order_by(ranked.c[parent], ranked.c.rank)
    )
    grouped: dict[Any, list[Any]] = {key: [] for key in parents}
    for row in await session.execute(stmt):
        grouped[getattr(row, parent)].append(row)
    return {
        key: ParentPage(key, request.page(rows, lambda row: [getattr(row, k.name) for k in keys]))
        for key, rows in grouped.items()
    }


async def counts_per_parent(
    session: Reader, table: Any, parent: str, parents: Sequence[Any], *, condition: ColumnElement[bool] | None = None,
) -> dict[Any, int]:
    """How many rows of ``table`` each parent has (0 when none), in one statement."""
    parent_column = table.c[parent]
    stmt = select(parent_column, func.count()).where(parent_column.in_(list(parents))).group_by(parent_column)
    if condition is not None:
        stmt = stmt.where(condition)
    found = {key: 0 for key in parents}
    found.update({key: int(count) for key, count in (await session.execute(stmt)).all()})
    return found
