"""A page of customers with what a list shows of each: the planned read path's one query.

The page asks for exactly the columns it shows, each customer's newest service records and
its open complaints count. On PostgreSQL that is one statement: the records come as an array
of rows from a correlated subquery that reads the newest few by index, the count from another.
Elsewhere (SQLite) the records take a second statement.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, exists, false, func, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from api.db.compiled import CompiledQuery, Reader, dialect_of
from api.db.models import Consent, Customer
from api.services.customer_query import QueryContext, find_customers, sort_keys
from api.services.json_nodes import JsonField, node_json
from api.services.pagination import Page, decode_cursor, encode_cursor
from api.services.scope import RowScope, consents_in_force
from api.services.servicing_reads import (
    latest_service_record_rows,
    newest_records,
    open_complaints_subquery,
)

RECORDS = "service_records"
_ID_ORDER = sort_keys([])
OPEN_COMPLAINTS = "open_complaint_count"


@dataclass(frozen=True, slots=True)
class PageSpec:
    """What a page reads: customer columns, service record columns (None: no records), complaints."""

    columns: tuple[str, ...]
    record_columns: tuple[str, ...] | None = None
    complaints: bool = False
    # On PostgreSQL, when given: each customer's JSON object, built by the statement; the items
    # are then ``NodeRow(id, node_json)``.
    node: tuple[JsonField, ...] | None = None


NodeRow = namedtuple("NodeRow", ["id", "node_json"])


@lru_cache(maxsize=256)
def _row_types(spec: PageSpec) -> tuple[Any, Any]:
    """Row classes for a spec: attribute access by column name, as the ORM's rows give."""
    customer = namedtuple("CustomerPageRow", [*spec.columns, RECORDS, OPEN_COMPLAINTS])  # type: ignore[misc]
    record = namedtuple("ServiceRecordRow", ["customer_id", *(spec.record_columns or ())])  # type: ignore[misc]
    return customer, record


def _open_complaints() -> Any:
    return open_complaints_subquery().label(OPEN_COMPLAINTS)


def _newest_records(columns: Sequence[str]) -> Any:
    """PostgreSQL: each customer's newest records as an array of rows ``(customer_id, *columns)``."""
    newest = newest_records(columns)
    fields = func.row(newest.c.customer_id, *(newest.c[name] for name in columns))
    ordered = aggregate_order_by(fields, newest.c.occurred_at.desc(), newest.c.id.desc())
    return select(func.array_agg(ordered)).scalar_subquery().label(RECORDS)


def _scope_condition(shape: tuple[bool, bool, bool, bool]) -> Any:
    """Row scope with its values as bind parameters (``RowScope.condition`` with literals)."""
    everything, branch, own, consented = shape
    if everything:
        return None
    customer = Customer.__table__.c
    parts = []
    if branch:
        parts.append(customer.branch_code == bindparam("branch_code"))
    if own:
        parts.append(customer.relationship_manager_id == bindparam("staff_id"))
    if consented:
        granted = consents_in_force(bindparam("third_party"), bindparam("at"))
        parts.append(exists(granted.where(Consent.customer_id == customer.id)))
    return or_(*parts) if parts else false()


@lru_cache(maxsize=256)
def _page_query(spec: PageSpec, scope_shape: tuple[bool, bool, bool, bool], after: bool) -> CompiledQuery:
    """PostgreSQL: the page, its records and counts, as one statement compiled once per shape."""
    customer = Customer.__table__.c
    columns: list[Any] = [customer[name] for name in spec.columns]
    if spec.node is not None:
        columns = [customer.id, node_json(spec.node)]
    else:
        if spec.record_columns is not None:
            columns.append(_newest_records(spec.record_columns))
        if spec.complaints:
            columns.append(_open_complaints())
    stmt = select(*columns)
    condition = _scope_condition(scope_shape)
    if condition is not None:
        stmt = stmt.where(condition)
    if after:
        stmt = stmt.where(customer.id > bindparam("after_id"))
    return CompiledQuery(stmt.order_by(customer.id).limit(bindparam("size", type_=Integer)))


async def _page_on_postgresql(
    session: Reader, spec: PageSpec, *, first: int, after: str | None, records_limit: int, scope: RowScope,
) -> Page[Any]:
    customer_row, record_row = _row_types(spec)
    values: dict[str, Any] = {
        "size": first + 1, "records_limit": records_limit, "branch_code": scope.branch_code,
        "staff_id": scope.staff_id, "third_party": scope.third_party, "at": scope.at,
    }
    if after is not None:
        values["after_id"] = decode_cursor(after, _ID_ORDER, "after")[0]
    shape = (scope.all, scope.branch_code is not None, scope.staff_id is not None, scope.third_party is not None)
    rows = await _page_query(spec, shape, after is not None).rows(session, values)
    more = len(rows) > first
    rows = rows[:first]
    if spec.node is not None:
        nodes = [NodeRow(row[0], row[1]) for row in rows]
        return Page(items=nodes, cursors=[encode_cursor((node.id,)) for node in nodes], has_next_page=more,
                    has_previous_page=after is not None)
    width = len(spec.columns)
    make_record = record_row._make
    items = []
    for row in rows:
        extra = width
        newest: list[Any] = []
        if spec.record_columns is not None:
            newest = [make_record(item) for item in row[extra] or ()]
            extra += 1
        items.append(customer_row(*row[:width], newest, row[extra] if spec.complaints else 0))
    cursors = [encode_cursor((item.id,)) for item in items]
    return Page(items=items, cursors=cursors, has_next_page=more, has_previous_page=after is not None)


async def customer_page(
    session: Reader, spec: PageSpec, *, first: int, after: str | None, records_limit: int,
    ctx: QueryContext, scope: RowScope,
) -> Page[Any]:
    """One page of customers in id order within ``scope``, each a row of ``spec``'s columns plus
    ``service_records`` (newest first, at most ``records_limit``) and ``open_complaint_count``."""
    if dialect_of(session).name == "postgresql":
        return await _page_on_postgresql(
            session, spec, first=first, after=after, records_limit=records_limit, scope=scope
        )
    customer_row, record_row = _row_types(spec)
    page = await find_customers(
        session, where=None, order_by=[], first=first, after=after, last=None, before=None,
        ctx=ctx, scope=scope, columns=[*spec.columns, *([_open_complaints()] if spec.complaints else [])],
    )
    records: dict[int, list[Any]] = {}
    if spec.record_columns is not None and page.items:
        records = await latest_service_record_rows(
            session, [row.id for row in page.items], records_limit, spec.record_columns
        )
    make_record = record_row._make
    items = []
    for row in page.items:
        values = row._mapping
        newest = [make_record(item) for item in records.get(row.id, ())]
        items.append(customer_row(
            *(values[name] for name in spec.columns), newest, values[OPEN_COMPLAINTS] if spec.complaints else 0
        ))
    return Page(items=items, cursors=page.cursors, has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page)
