"""Batch reads of service contacts and complaints for many customers at once (one statement each)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.enums import ComplaintStatus
from api.db.models import Complaint, Customer, ServiceRecord
from api.services.information_reads import newest_per_customer, newest_rows_sql

# Service records newest first; the id settles contacts recorded for the same moment.
SERVICE_RECORD_ORDER = (ServiceRecord.occurred_at.desc(), ServiceRecord.id.desc())


async def latest_service_records(
    session: AsyncSession, ids: Sequence[int], limit: int
) -> dict[int, list[ServiceRecord]]:
    """The newest ``limit`` service records of each customer, newest first."""
    return await newest_per_customer(session, ServiceRecord, ids, order=SERVICE_RECORD_ORDER, limit=limit)


def newest_records_sql(parent_key: Any, columns: Sequence[str], limit: Any) -> Any:
    """The newest service records of the customer ``parent_key`` names, as a subquery."""
    return newest_rows_sql(ServiceRecord, SERVICE_RECORD_ORDER, parent_key, columns, limit)


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
