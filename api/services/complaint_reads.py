"""Reading complaints: the root list in the caller's scope, and batch reads of each complaint's
moves, team, investigations, plans, feedback, extensions and compensations (one statement each)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.enums import ComplaintStatus
from api.db.models import (
    Complaint,
    ComplaintCompensation,
    ComplaintExtension,
    ComplaintFeedback,
    ComplaintInvestigation,
    ComplaintPlan,
    ComplaintTeamMember,
    ComplaintTransition,
)
from api.services.complaints import complaints_within
from api.services.customer_rows import CustomerRows
from api.services.filtering import FilterSql
from api.services.information_reads import grouped_by
from api.services.scope import RowScope


@dataclass(frozen=True, slots=True)
class ComplaintRows(CustomerRows):
    """Complaints in the caller's scope: a customer's with the customer, a non-customer's by its branch."""

    def _scoped(self, stmt: Select[Any], scope: RowScope, customer_id: int | None) -> Select[Any]:
        if customer_id is not None:
            stmt = stmt.where(Complaint.customer_id == customer_id)
        return complaints_within(stmt, scope)


# The root list: newest received first (the sort keys of its declarations).
COMPLAINTS = ComplaintRows(Complaint, (("received_at", True), ("id", True)))


def is_open() -> ColumnElement[bool]:
    return Complaint.status != ComplaintStatus.CLOSED


def breached(wanted: bool, today: date) -> ColumnElement[bool]:
    """Complaints whose decision came (or is still to come) after the day promised (``wanted``), or the others."""
    late = and_(Complaint.decided_on.is_(None), Complaint.due_on < today) | (Complaint.decided_on > Complaint.due_on)
    return late if wanted else not_(late)


def extended(wanted: bool) -> ColumnElement[bool]:
    """Complaints whose decision day was moved to a later stage (``wanted``), or the others."""
    return Complaint.sla_stage > 0 if wanted else Complaint.sla_stage == 0


# The SQL of the complaint filters that are not a comparison on one of its columns.
EXTENDED_FILTER = FilterSql(custom=lambda op, wanted, ctx: extended(bool(wanted)))
OPEN_FILTER = FilterSql(custom=lambda op, wanted, ctx: is_open() if wanted else not_(is_open()))
BREACHED_FILTER = FilterSql(custom=lambda op, wanted, ctx: breached(bool(wanted), ctx.today))


def _by_complaint(model: Any, *order: Any) -> Any:
    async def fetch(session: AsyncSession, ids: Sequence[int], _: Any = None) -> dict[int, list[Any]]:
        return await grouped_by(session, select(model).where(model.complaint_id.in_(ids)).order_by(*order),
                                key="complaint_id")
    return fetch


transitions_of = _by_complaint(ComplaintTransition, ComplaintTransition.id)
team_of = _by_complaint(ComplaintTeamMember, ComplaintTeamMember.appointed_at, ComplaintTeamMember.username)
investigations_of = _by_complaint(ComplaintInvestigation, ComplaintInvestigation.id)
plans_of = _by_complaint(ComplaintPlan, ComplaintPlan.id)
feedback_of = _by_complaint(ComplaintFeedback, ComplaintFeedback.id)
extensions_of = _by_complaint(ComplaintExtension, ComplaintExtension.id)
compensations_of = _by_complaint(ComplaintCompensation, ComplaintCompensation.id)


async def teams_joined(session: AsyncSession, username: str, ids: Sequence[int]) -> dict[int, bool]:
    """Which of the complaints ``ids`` have ``username`` on their investigation team."""
    found = await session.scalars(select(ComplaintTeamMember.complaint_id).where(
        ComplaintTeamMember.username == username, ComplaintTeamMember.complaint_id.in_(ids)))
    return dict.fromkeys(found, True)


async def complaints_by_id(session: AsyncSession, ids: Sequence[int], scope: RowScope) -> dict[int, Complaint]:
    """The complaints of ``ids`` that ``scope`` reaches (``node(id:)``)."""
    rows = await session.scalars(complaints_within(select(Complaint).where(Complaint.id.in_(ids)), scope))
    return {row.id: row for row in rows}


async def compensations_by_id(
    session: AsyncSession, ids: Sequence[int], scope: RowScope
) -> dict[int, ComplaintCompensation]:
    """The compensations of ``ids`` whose complaint ``scope`` reaches."""
    rows = await session.scalars(complaints_within(
        select(ComplaintCompensation).join(Complaint, Complaint.id == ComplaintCompensation.complaint_id)
        .where(ComplaintCompensation.id.in_(ids)), scope))
    return {row.id: row for row in rows}
