"""Reading service contacts, their follow-ups and versions, and complaint counts: batch reads for many
customers or contacts at once (one statement each), and the root lists within a caller's scope."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.compiled import Reader
from api.db.enums import ComplaintStatus
from api.db.models import Complaint, Customer, ServiceFollowUp, ServiceRecord, ServiceRecordVersion
from api.services.filtering import FilterSql, QueryContext, Searchable
from api.services.information_reads import grouped_by, newest_per_customer, newest_rows_sql
from api.services.pagination import Page
from api.services.scope import RowScope, within

# Service records newest first; the id settles contacts recorded for the same moment.
SERVICE_RECORD_ORDER = (ServiceRecord.occurred_at.desc(), ServiceRecord.id.desc())
# The root lists' default orders (sort key names of their declarations, descending?).
NEWEST_FIRST = (("occurred_at", True), ("id", True))
SOONEST_DUE = (("due_on", False),)


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


async def follow_ups_of(session: AsyncSession, record_ids: Sequence[int]) -> dict[int, list[ServiceFollowUp]]:
    """The follow-ups agreed in each contact, soonest due first."""
    return await grouped_by(session, select(ServiceFollowUp).where(ServiceFollowUp.service_record_id.in_(record_ids))
                            .order_by(ServiceFollowUp.due_on, ServiceFollowUp.id), key="service_record_id")


async def versions_of(session: AsyncSession, record_ids: Sequence[int]) -> dict[int, list[ServiceRecordVersion]]:
    """Every kept version of each contact, the first first."""
    return await grouped_by(session, select(ServiceRecordVersion)
                            .where(ServiceRecordVersion.service_record_id.in_(record_ids))
                            .order_by(ServiceRecordVersion.version), key="service_record_id")


def scoped_records(scope: RowScope, customer_id: int | None) -> Select[Any]:
    """Contacts with customers in ``scope`` (of one customer when given): the root list's rows."""
    stmt = select(ServiceRecord).join(Customer, Customer.id == ServiceRecord.customer_id)
    if customer_id is not None:
        stmt = stmt.where(ServiceRecord.customer_id == customer_id)
    return within(stmt, scope)


async def find_records(
    session: Reader, *, fields: Searchable, ctx: QueryContext, scope: RowScope, customer_id: int | None,
    where: Mapping[str, Any] | None, order_by: Sequence[tuple[str, bool]], first: int | None, after: str | None,
    last: int | None, before: str | None,
) -> Page[ServiceRecord]:
    """One keyset page of contacts in scope matching ``where``, newest first unless ``order_by`` says."""
    return await fields.page(
        session, scoped_records(scope, customer_id), ctx, where=where, order_by=order_by or NEWEST_FIRST,
        first=first, after=after, last=last, before=before,
    )


async def count_records(
    session: Reader, *, fields: Searchable, ctx: QueryContext, scope: RowScope, customer_id: int | None,
    where: Mapping[str, Any] | None,
) -> int:
    """How many contacts in scope match ``where`` (the whole list, not the page)."""
    stmt = select(func.count()).select_from(ServiceRecord).join(Customer, Customer.id == ServiceRecord.customer_id)
    if customer_id is not None:
        stmt = stmt.where(ServiceRecord.customer_id == customer_id)
    return await fields.count(session, within(stmt, scope), ctx, where)


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
# A contact's customer's branch (the root list joins the customer).
BRANCH_FILTER = FilterSql(column=Customer.__table__.c.branch_code)


def scoped_follow_ups(scope: RowScope) -> Select[Any]:
    """Follow-ups of contacts with customers in ``scope``."""
    return within(select(ServiceFollowUp).join(Customer, Customer.id == ServiceFollowUp.customer_id), scope)


async def find_follow_ups(
    session: Reader, *, fields: Searchable, ctx: QueryContext, scope: RowScope, where: Mapping[str, Any] | None,
    order_by: Sequence[tuple[str, bool]], first: int | None, after: str | None,
) -> Page[ServiceFollowUp]:
    """One keyset page of follow-ups in scope matching ``where``, soonest due first unless ``order_by`` says."""
    return await fields.page(
        session, scoped_follow_ups(scope), ctx, where=where, order_by=order_by or SOONEST_DUE,
        first=first, after=after, last=None, before=None,
    )
