"""Batch reads of service contacts and complaints for many customers at once (one statement each)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.enums import ComplaintStatus
from api.db.models import Complaint, ServiceRecord
from api.services.information_reads import newest_per_customer

# Service records newest first; the id settles contacts recorded for the same moment.
SERVICE_RECORD_ORDER = (ServiceRecord.occurred_at.desc(), ServiceRecord.id.desc())


async def latest_service_records(
    session: AsyncSession, ids: Sequence[int], limit: int
) -> dict[int, list[ServiceRecord]]:
    """The newest ``limit`` service records of each customer, newest first."""
    return await newest_per_customer(session, ServiceRecord, ids, order=SERVICE_RECORD_ORDER, limit=limit)


async def open_complaint_counts(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    """How many complaints of each customer are not closed (customers without any are absent)."""
    rows = await session.execute(
        select(Complaint.customer_id, func.count())
        .where(Complaint.customer_id.in_(ids), Complaint.status != ComplaintStatus.CLOSED)
        .group_by(Complaint.customer_id)
    )
    return {customer_id: count for customer_id, count in rows.tuples()}
