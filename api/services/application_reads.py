"""Reading credit applications: the reviewers' queue in scope, an application's moves, and what its
approver weighs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import CreditApplication, CreditApplicationStep
from api.services.applications import OPEN, Weighing, weigh_all
from api.services.customer_rows import CustomerRows
from api.services.filtering import FilterSql
from api.services.information_reads import grouped_by, newest_per_customer, newest_rows_sql

# The reviewers' queue: the green channel first, then by the day due, then in the order submitted.
APPLICATIONS = CustomerRows(CreditApplication, (("green_channel", True), ("due_on", False), ("id", False)))
NEWEST = (CreditApplication.id.desc(),)


def overdue(wanted: bool, today: Any) -> ColumnElement[bool]:
    """Applications open and past their day due (``wanted``), or the others."""
    late = and_(CreditApplication.status.in_(OPEN), CreditApplication.due_on < today)
    return late if wanted else not_(late)


OVERDUE_FILTER = FilterSql(custom=lambda op, wanted, ctx: overdue(bool(wanted), ctx.today))


async def applications_of(session: AsyncSession, ids: Sequence[int], limit: int) -> dict[int, list[Any]]:
    """The newest ``limit`` applications of each customer, newest first."""
    return await newest_per_customer(session, CreditApplication, ids, order=NEWEST, limit=limit)


def newest_applications_sql(parent_key: Any, columns: Sequence[str], limit: Any) -> Any:
    return newest_rows_sql(CreditApplication, NEWEST, parent_key, columns, limit)


async def steps_of(session: AsyncSession, ids: Sequence[int], _: Any = None) -> dict[int, list[Any]]:
    return await grouped_by(session, select(CreditApplicationStep).where(
        CreditApplicationStep.application_id.in_(ids)).order_by(CreditApplicationStep.id), key="application_id")


async def weighings(session: AsyncSession, ids: Sequence[int], _: Any = None) -> dict[int, Weighing]:
    """What approving the amount applied for goes against, for each application of ``ids`` (the caller
    reached them already), in three statements."""
    rows = list(await session.execute(select(*CreditApplication.__table__.c).where(CreditApplication.id.in_(ids))))
    return await weigh_all(session, rows)
