"""Reading the treatment's tasks: a customer's, their recall decisions, the balances an exposure
reduction plan is measured against, the root list in the caller's scope, and each owner's progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Select, and_, cast, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.enums import FacilityStatus, TreatmentActionStatus
from api.db.models import CreditFacility, Customer, RecallDecision, TreatmentAction
from api.services.customer_rows import CustomerRows
from api.services.filtering import FilterSql
from api.services.information_reads import grouped_by, newest_per_customer, newest_rows_sql
from api.services.scope import RowScope, within

# A task still to be carried out: raised and not yet done or withdrawn.
OPEN_STATES = (TreatmentActionStatus.OPEN, TreatmentActionStatus.IN_PROGRESS)
ACTION_ORDER = (TreatmentAction.id.desc(),)
# The root list: soonest due first (the owners' worklist).
ACTIONS = CustomerRows(TreatmentAction, (("due_on", False), ("id", False)))


def action_overdue(wanted: bool, today: date) -> ColumnElement[bool]:
    """Tasks still open past their due day (``wanted``), or the others."""
    overdue = and_(TreatmentAction.status.in_(OPEN_STATES), TreatmentAction.due_on < today)
    return overdue if wanted else not_(overdue)


OVERDUE_FILTER = FilterSql(custom=lambda op, wanted, ctx: action_overdue(bool(wanted), ctx.today))


def is_overdue(status: TreatmentActionStatus, due_on: date, today: date) -> bool:
    """The Python form of ``action_overdue`` for one task already read."""
    return status in OPEN_STATES and due_on < today


async def actions_of(session: AsyncSession, ids: Sequence[int], limit: int) -> dict[int, list[Any]]:
    """The newest ``limit`` tasks of each customer, newest first."""
    return await newest_per_customer(session, TreatmentAction, ids, order=ACTION_ORDER, limit=limit)


def newest_actions_sql(parent_key: Any, columns: Sequence[str], limit: Any) -> Any:
    """The newest tasks of the customer ``parent_key`` names, as a subquery."""
    return newest_rows_sql(TreatmentAction, ACTION_ORDER, parent_key, columns, limit)


async def decisions_of(session: AsyncSession, ids: Sequence[int], _: Any = None) -> dict[int, list[RecallDecision]]:
    """The recall decisions of each task, the first first."""
    return await grouped_by(session, select(RecallDecision).where(RecallDecision.action_id.in_(ids))
                            .order_by(RecallDecision.id), key="action_id")


async def balances(session: AsyncSession, keys: Sequence[tuple[int, str]], _: Any = None) -> dict[tuple[int, str], Any]:
    """The principal outstanding on each (customer, currency)'s running facilities (0 when none)."""
    customers = sorted({customer_id for customer_id, _currency in keys})
    found = {key: Decimal(0) for key in keys}
    rows = await session.execute(
        select(CreditFacility.customer_id, CreditFacility.currency, func.sum(CreditFacility.outstanding))
        .where(CreditFacility.customer_id.in_(customers), CreditFacility.status == FacilityStatus.ACTIVE)
        .group_by(CreditFacility.customer_id, CreditFacility.currency)
    )
    for customer_id, currency, total in rows:
        if (customer_id, currency) in found:
            found[(customer_id, currency)] = Decimal(total)
    return found


async def plan_progress(session: AsyncSession, ids: Sequence[int], _: Any = None) -> dict[int, tuple[Any, Decimal]]:
    """Each planned exposure reduction task of ``ids`` with the principal outstanding now on its
    customer's running facilities in the plan's currency."""
    current = select(func.sum(CreditFacility.outstanding)).where(
        CreditFacility.customer_id == TreatmentAction.customer_id, CreditFacility.currency == TreatmentAction.currency,
        CreditFacility.status == FacilityStatus.ACTIVE,
    ).correlate(TreatmentAction).scalar_subquery()
    rows = await session.execute(
        select(TreatmentAction.id, TreatmentAction.baseline_balance, TreatmentAction.target_balance,
               func.coalesce(current, 0).label("current"))
        .where(TreatmentAction.id.in_(ids), TreatmentAction.target_balance.is_not(None))
    )
    return {row.id: (row, Decimal(row.current)) for row in rows}


def actions_within(stmt: Select[Any], scope: RowScope) -> Select[Any]:
    """``stmt`` over tasks, narrowed to those whose customer ``scope`` reaches."""
    return within(stmt.join(Customer, Customer.id == TreatmentAction.customer_id), scope)


async def actions_by_id(session: AsyncSession, ids: Sequence[int], scope: RowScope) -> dict[int, TreatmentAction]:
    """The tasks of ``ids`` whose customer ``scope`` reaches (``node(id:)``)."""
    rows = await session.scalars(actions_within(select(TreatmentAction).where(TreatmentAction.id.in_(ids)), scope))
    return {row.id: row for row in rows}


@dataclass(frozen=True, slots=True)
class OwnerProgress:
    """How far one owner has come with the tasks in the caller's reach."""

    owner: str | None
    open: int
    in_progress: int
    done: int
    withdrawn: int
    overdue: int
    done_on_time: int


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(cast(condition, Integer)), 0)


async def progress_by_owner(session: AsyncSession, *, scope: RowScope, today: date) -> list[OwnerProgress]:
    """Each owner's tasks by where they stand, the owners in name order; counted in the database over
    the customers ``scope`` reaches."""
    status, due, closed_on = TreatmentAction.status, TreatmentAction.due_on, TreatmentAction.closed_on
    stmt = actions_within(select(
        TreatmentAction.owner,
        _count(status == TreatmentActionStatus.OPEN),
        _count(status == TreatmentActionStatus.IN_PROGRESS),
        _count(status == TreatmentActionStatus.DONE),
        _count(status == TreatmentActionStatus.WITHDRAWN),
        _count(action_overdue(True, today)),
        _count(and_(status == TreatmentActionStatus.DONE, closed_on <= due)),
    ), scope).group_by(TreatmentAction.owner).order_by(TreatmentAction.owner)
    return [OwnerProgress(owner, *(int(value) for value in counts)) for owner, *counts in await session.execute(stmt)]
