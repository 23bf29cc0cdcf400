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

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.enums import ComplaintStatus
from api.db.models import Complaint, Customer, ServiceRecord
from api.services.customer_query import QueryContext, find_customers
from api.services.pagination import Page
from api.services.scope import RowScope
from api.services.servicing_reads import SERVICE_RECORD_ORDER, latest_service_record_rows

RECORDS = "service_records"
OPEN_COMPLAINTS = "open_complaint_count"


@dataclass(frozen=True, slots=True)
class PageSpec:
    """What a page reads: customer columns, service record columns (None: no records), complaints."""

    columns: tuple[str, ...]
    record_columns: tuple[str, ...] | None = None
    complaints: bool = False


@lru_cache(maxsize=256)
def _row_types(spec: PageSpec) -> tuple[Any, Any]:
    """Row classes for a spec: attribute access by column name, as the ORM's rows give."""
    customer = namedtuple("CustomerPageRow", [*spec.columns, RECORDS, OPEN_COMPLAINTS])  # type: ignore[misc]
    record = namedtuple("ServiceRecordRow", ["customer_id", *(spec.record_columns or ())])  # type: ignore[misc]
    return customer, record


def _open_complaints() -> Any:
    customer = Customer.__table__.c
    complaint = Complaint.__table__.c
    return (
        select(func.count())
        .where(complaint.customer_id == customer.id, complaint.status != ComplaintStatus.CLOSED.value)
        .correlate(Customer.__table__)
        .scalar_subquery()
        .label(OPEN_COMPLAINTS)
    )


def _newest_records(columns: Sequence[str], limit: int) -> Any:
    """PostgreSQL: each customer's newest ``limit`` records as an array of rows, read by index."""
    record = ServiceRecord.__table__.c
    names = list(dict.fromkeys(["id", "customer_id", "occurred_at", *columns]))
    newest = (
        select(*(record[name] for name in names))
        .where(record.customer_id == Customer.__table__.c.id)
        .order_by(*SERVICE_RECORD_ORDER)
        .limit(bindparam("records_limit", limit, type_=Integer))
        .correlate(Customer.__table__)
        .subquery("newest")
    )
    fields = func.row(newest.c.customer_id, *(newest.c[name] for name in columns))
    ordered = aggregate_order_by(fields, newest.c.occurred_at.desc(), newest.c.id.desc())
    return select(func.array_agg(ordered)).scalar_subquery().label(RECORDS)


async def customer_page(
    session: AsyncSession, spec: PageSpec, *, first: int, after: str | None, records_limit: int,
    ctx: QueryContext, scope: RowScope,
) -> Page[Any]:
    """One page of customers in id order within ``scope``, each a row of ``spec``'s columns plus
    ``service_records`` (newest first, at most ``records_limit``) and ``open_complaint_count``."""
    customer_row, record_row = _row_types(spec)
    one_statement = session.bind.dialect.name == "postgresql"
    extra: list[Any] = []
    if spec.complaints:
        extra.append(_open_complaints())
    if spec.record_columns is not None and one_statement:
        extra.append(_newest_records(spec.record_columns, records_limit))
    page = await find_customers(
        session, where=None, order_by=[], first=first, after=after, last=None, before=None,
        ctx=ctx, scope=scope, columns=[*spec.columns, *extra],
    )
    records: dict[int, list[Any]] = {}
    if spec.record_columns is not None and not one_statement and page.items:
        records = await latest_service_record_rows(
            session, [row.id for row in page.items], records_limit, spec.record_columns
        )
    make_record = record_row._make
    items = []
    for row in page.items:
        values = row._mapping
        if spec.record_columns is None:
            newest: list[Any] = []
        elif one_statement:
            newest = [make_record(item) for item in values[RECORDS] or ()]
        else:
            newest = [make_record(item) for item in records.get(row.id, ())]
        items.append(customer_row(
            *(values[name] for name in spec.columns), newest, values[OPEN_COMPLAINTS] if spec.complaints else 0
        ))
    return Page(items=items, cursors=page.cursors, has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page)
