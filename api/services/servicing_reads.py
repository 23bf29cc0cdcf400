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
from api.services.information_reads import grouped_by
from api.services.pagination import PageRequest, ParentPage, SortKey, counts_per_parent, datetime_key, pages_per_parent

# The root lists: newest contacts first, soonest follow-ups first (sort keys of their declarations).
RECORDS = CustomerRows(ServiceRecord, (("occurred_at", True), ("id", True)))
FOLLOW_UPS = CustomerRows(ServiceFollowUp, (("due_on", False),))
OPEN_COMPLAINTS = OpenCount(Complaint, ComplaintStatus.CLOSED)


# A customer's contacts page by page, newest first: the cursor holds the moment and the id.
SERVICE_RECORD_KEYS = (
    SortKey("occurred_at", ServiceRecord.__table__.c.occurred_at, descending=True, parse=datetime_key),
    SortKey("id", ServiceRecord.__table__.c.id, descending=True, parse=int),
)


async def service_record_pages(
    session: AsyncSession, ids: Sequence[int], request: PageRequest
) -> dict[int, ParentPage[Any]]:
    """The page ``request`` asks for of each customer's service records, newest first, in one statement."""
    return await pages_per_parent(session, ServiceRecord.__table__, "customer_id", ids, SERVICE_RECORD_KEYS, request)


async def service_record_counts(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    """How many service records each customer has."""
    return await counts_per_parent(session, ServiceRecord.__table__, "customer_id", ids)


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
