"""Compensation where the lender was at fault (R-Q3): proposed with an amount and a reason, approved
by a second person, then recorded as paid. A proposal may be withdrawn before it is paid."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.base import utcnow
from api.db.enums import CompensationStatus, ComplaintStatus
from api.db.models import Complaint, ComplaintCompensation
from api.errors import InvalidInput
from api.principal import Principal
from api.services.complaints import complaint_in_scope, complaints_within
from api.services.locking import locked_in_scope
from api.services.scope import RowScope
from api.services.validation import Command, CurrencyCode, LongText, PositiveMoney, parse


class ProposalDraft(Command):
    amount: PositiveMoney
    currency: CurrencyCode
    reason: LongText


class PaymentDraft(Command):
    paid_on: date
    reference: Annotated[str, Field(min_length=1, max_length=100)]


async def propose(
    session: AsyncSession, *, principal: Principal, scope: RowScope, complaint_id: int, expected_version: int,
    data: dict[str, Any],
) -> tuple[Complaint, ComplaintCompensation]:
    """Propose a compensation on an open complaint whose plan found the lender at fault."""
    draft = parse(ProposalDraft, data)
    complaint = await complaint_in_scope(session, complaint_id, scope, expected_version=expected_version,
                                         field="input.complaintId")
    if complaint.status is ComplaintStatus.CLOSED:
        raise InvalidInput.one("input.complaintId", "the complaint is closed")
    if not complaint.lender_at_fault:
        raise InvalidInput.one("input.complaintId", "compensation follows a plan that found the lender at fault")
    found = ComplaintCompensation(
        complaint_id=complaint.id, amount=draft.amount, currency=draft.currency, reason=draft.reason,
        status=CompensationStatus.PROPOSED, proposed_at=utcnow(), proposed_by=principal.sub,
    )
    session.add(found)
    await session.flush()
    return complaint, found


async def _compensation(
    session: AsyncSession, compensation_id: int, scope: RowScope, expected_version: int
) -> ComplaintCompensation:
    """The compensation, locked, if its complaint is in scope (else NOT_FOUND); stale: CONFLICT."""
    stmt = complaints_within(
        select(ComplaintCompensation).join(Complaint, Complaint.id == ComplaintCompensation.complaint_id)
        .where(ComplaintCompensation.id == compensation_id), scope,
    )
    return await locked_in_scope(session, stmt, ComplaintCompensation, expected_version=expected_version,
                                 field="input.id")


def _expect(found: ComplaintCompensation, status: CompensationStatus, doing: str) -> None:
    if found.status is not status:
        raise InvalidInput.one("input.id", f"only a {status.name} compensation can be {doing}; this one is "
                                           f"{found.status.name}")


async def approve(
    session: AsyncSession, *, principal: Principal, scope: RowScope, compensation_id: int, expected_version: int,
) -> ComplaintCompensation:
    """Approve a proposed compensation: a second person, never its proposer."""
    found = await _compensation(session, compensation_id, scope, expected_version)
    _expect(found, CompensationStatus.PROPOSED, "approved")
    if found.proposed_by.lower() == principal.sub.lower():
        raise InvalidInput.one("input.id", "a compensation is approved by someone other than its proposer")
    found.status, found.approved_at, found.approved_by = CompensationStatus.APPROVED, utcnow(), principal.sub
    await session.flush()
    return found


async def record_paid(
    session: AsyncSession, *, principal: Principal, scope: RowScope, compensation_id: int, expected_version: int,
    data: dict[str, Any], today: date,
) -> ComplaintCompensation:
    """Record an approved compensation as paid (on a day not after today)."""
    draft = parse(PaymentDraft, data)
    found = await _compensation(session, compensation_id, scope, expected_version)
    _expect(found, CompensationStatus.APPROVED, "paid")
    if draft.paid_on > today:
        raise InvalidInput.one("input.paidOn", "a payment is recorded once made, not ahead")
    found.status, found.paid_on, found.paid_reference, found.paid_by = (
        CompensationStatus.PAID, draft.paid_on, draft.reference, principal.sub)
    await session.flush()
    return found


async def withdraw(
    session: AsyncSession, *, principal: Principal, scope: RowScope, compensation_id: int, expected_version: int,
) -> ComplaintCompensation:
    """Withdraw a compensation not yet paid."""
    found = await _compensation(session, compensation_id, scope, expected_version)
    if found.status not in (CompensationStatus.PROPOSED, CompensationStatus.APPROVED):
        raise InvalidInput.one("input.id", f"a {found.status.name} compensation cannot be withdrawn")
    found.status = CompensationStatus.WITHDRAWN
    await session.flush()
    return found
