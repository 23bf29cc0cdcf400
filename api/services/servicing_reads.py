"""Batch reads of service contacts and complaints for many customers at once (one statement each)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, Integer, bindparam, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.compiled import Reader, dialect_of
from api.db.enums import ComplaintStatus
from api.db.models import Complaint, Customer, ServiceRecord
from api.services.information_reads import newest_per_customer

# Service records newest first; the id settles contacts recorded for the same moment.
SERVICE_RECORD_ORDER = (ServiceRecord.occurred_at.desc(), ServiceRecord.id.desc())


async def latest_service_records(
    session: AsyncSession, ids: Sequence[int], limit: int
) -> dict[int, list[ServiceRecord]]:
    """The newest ``limit`` service records of each customer, newest first."""
    return await newest_per_customer(session, ServiceRecord, ids, order=SERVICE_RECORD_ORDER, limit=limit)


async def latest_service_record_rows(
    session: Reader, ids: Sequence[int], limit: int, columns: Sequence[str]
) -> dict[int, list[Any]]:
    """As ``latest_service_records``, but plain rows of ``columns`` (and ``customer_id``).

    On PostgreSQL each customer's newest rows come from a backward scan of its index (a LATERAL
    subquery with LIMIT), never from sorting all its records; elsewhere a window function ranks
    them.
    """
    table = ServiceRecord.__table__.c
    names = list(dict.fromkeys(["customer_id", *columns]))
    if dialect_of(session).name == "postgresql":
        customer = func.unnest(bindparam("ids", list(ids), type_=ARRAY(Integer))).table_valued("id").render_derived(name="page")
        newest = (
            select(*(table[name] for name in names))
            .where(table.customer_id == customer.c.id)
            .order_by(*SERVICE_RECORD_ORDER)
            .limit(limit)
            .lateral("newest")
        )
        stmt = select(*(newest.c[name] for name in names)).select_from(customer.join(newest, true()))
    else:
        rank = func.row_number().over(partition_by=table.customer_id, order_by=SERVICE_RECORD_ORDER).label("rank")
        ranked = select(*(table[name] for name in names), rank).where(table.customer_id.in_(ids)).subquery()
        stmt = (
            select(*(ranked.c[name] for name in names))
            .where(ranked.c.rank <= limit)
            .order_by(ranked.c.customer_id, ranked.c.rank)
        )
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in await session.execute(stmt):
        grouped[row.customer_id].append(row)
    return grouped


async def open_complaint_counts(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    """How many complaints of each customer are not closed (customers without any are absent)."""
    rows = await session.execute(
        select(Complaint.customer_id, func.count())
        .where(Complaint.customer_id.in_(ids), Complaint.status != ComplaintStatus.CLOSED)
        .group_by(Complaint.customer_id)
    )
    return {customer_id: count for customer_id, count in rows}


def open_complaints_subquery() -> Any:
    """The number of open complaints of the enclosing query's customer (a correlated subquery)."""
    customer = Customer.__table__
    complaint = Complaint.__table__.c
    return (
        select(func.count())
        .where(complaint.customer_id == customer.c.id, complaint.status != ComplaintStatus.CLOSED.value)
        .correlate(customer)
        .scalar_subquery()
    )
