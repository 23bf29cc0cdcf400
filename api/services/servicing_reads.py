"""Batch reads of service contacts and complaints for many customers at once (one statement each)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.compiled import Reader
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
    """As ``latest_service_records``, but plain rows of ``columns`` (and ``customer_id``): a
    window function ranks each customer's records (PostgreSQL pages use ``newest_records``)."""
    table = ServiceRecord.__table__.c
    names = list(dict.fromkeys(["customer_id", *columns]))
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


def newest_records(columns: Sequence[str]) -> Any:
    """The enclosing query's customer's newest ``records_limit`` (a bind parameter) service
    records as a subquery named ``newest``, read backwards along their index: ``columns`` and
    the ``id``, ``customer_id`` and ``occurred_at`` that order them."""
    record = ServiceRecord.__table__.c
    customer = Customer.__table__
    names = list(dict.fromkeys(["id", "customer_id", "occurred_at", *columns]))
    return (
        select(*(record[name] for name in names))
        .where(record.customer_id == customer.c.id)
        .order_by(*SERVICE_RECORD_ORDER)
        .limit(bindparam("records_limit", type_=Integer))
        .correlate(customer)
        .subquery("newest")
    )


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
