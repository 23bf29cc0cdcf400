"""Reading service contacts, their follow-ups and versions, and complaint counts: batch reads for many
customers or contacts at once (one statement each), and the root lists within a caller's scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.enums import ComplaintStatus
from api.db.models import Complaint, ServiceFollowUp, ServiceRecord, ServiceRecordVersion
from api.services.customer_rows import CustomerRows, OpenCount
from api.services.filtering import FilterSql
from api.services.information_reads import grouped_by, newest_per_customer, newest_rows_sql

# Service records newest first; the id settles contacts recorded for the same moment.
SERVICE_RECORD_ORDER = (ServiceRecord.occurred_at.desc(), ServiceRecord.id.desc())
# The root lists: newest contacts first, soonest follow-ups first (sort keys of their declarations).
RECORDS = CustomerRows(ServiceRecord, (("occurred_at", True), ("id", True)))
FOLLOW_UPS = CustomerRows(ServiceFollowUp, (("due_on", False),))
OPEN_COMPLAINTS = OpenCount(Complaint, ComplaintStatus.CLOSED)


async def latest_service_records(
    session: AsyncSession, ids: Sequence[int], limit: int
) -> dict[int, list[ServiceRecord]]:
    """The newest ``limit`` service records of each customer, newest first."""
    return await newest_per_customer(session, ServiceRecord, ids, order=SERVICE_RECORD_ORDER, limit=limit)


def newest_records_sql(parent_key: Any, columns: Sequence[str], limit: Any) -> Any:
    """The newest service records of the customer ``parent_key`` names, as a subquery."""
    return newest_rows_sql(ServiceRecord, SERVICE_RECORD_ORDER, parent_key, columns, limit)


async def follow_ups_of(session: AsyncSession, record_ids: Sequence[int]) -> dict[int, list[ServiceFollowUp]]:
    """The follow-ups agreed in each contact, soonest due first."""
    return await grouped_by(session, select(ServiceFollowUp).where(ServiceFollowUp.service_record_id.in_(record_ids))
                            .order_by(ServiceFollowUp.due_on, ServiceFollowUp.id), key="service_record_id")


async def versions_of(session: AsyncSession, record_ids: Sequence[int]) -> dict[int, list[ServiceRecordVersion]]:
    """Every kept version of each contact, the first first."""
    return await grouped_by(session, select(ServiceRecordVersion)
                            .where(ServiceRecordVersion.service_record_id.in_(record_ids))
                            .order_by(ServiceRecordVersion.version), key="service_record_id")


def follow_up_overdue(wanted: bool, today: date) -> ColumnElement[bool]:
    """Follow-ups open past their due day (``wanted``), or the others."""
    overdue = and_(ServiceFollowUp.done_at.is_(None), ServiceFollowUp.due_on < today)
    return overdue if wanted else not_(overdue)


def follow_up_done(wanted: bool) -> ColumnElement[bool]:
    """Follow-ups done (``wanted``) or open."""
    return ServiceFollowUp.done_at.is_not(None) if wanted else ServiceFollowUp.done_at.is_(None)


# The SQL of the follow-up filters that are not a comparison on one of its columns.
OVERDUE_FILTER = FilterSql(custom=lambda op, wanted, ctx: follow_up_overdue(bool(wanted), ctx.today))
DONE_FILTER = FilterSql(custom=lambda op, wanted, ctx: follow_up_done(bool(wanted)))
