"""Credit facilities: booking one with its repayment schedule, recording repayments, restructuring.

Every change re-classifies the borrower on the lender's day (``api.services.reclassification``)
and re-grades it when its arrears or category changed: credit status and the grading facts
follow the records. A facility is always reached through its customer's row scope: outside it, it
does not exist.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, model_validator
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.base import utcnow
from api.db.enums import ApplicationStatus, FacilityStatus, InfoGroup
from api.db.models import CreditApplication, CreditFacility, Customer, Repayment, RepaymentInstallment
from api.errors import FieldProblem, InvalidInput
from api.principal import Principal
from api.reference.loan_classification import ClassificationRules
from api.services.arrears import Installment, Payment, arrears
from api.services.credit_status import refresh_credit_status
from api.services.customers import customer_in_scope
from api.services.facility_reads import facilities_within
from api.services.grading import Regrader
from api.services.history import note_event
from api.services.locking import locked_in_scope
from api.services.reclassification import reclassify
from api.services.scope import RowScope
from api.services.validation import (
    Command,
    CurrencyCode,
    LongText,
    NonNegativeMoney,
    PositiveMoney,
    parse,
)

Reference = Annotated[str, Field(min_length=1, max_length=64)]
Rate = Annotated[Decimal, Field(ge=0, lt=1, max_digits=9, decimal_places=6)]
MAX_INSTALLMENTS = 600  # fifty years of monthly installments


class InstallmentDraft(Command):
    due_on: date
    principal: NonNegativeMoney
    interest: NonNegativeMoney


def _schedule_problems(schedule: list[InstallmentDraft], after: date, until: date, principal: Decimal) -> list[str]:
    problems = []
    days = [item.due_on for item in schedule]
    if len(set(days)) != len(days):
        problems.append("two installments fall due on the same day")
    if any(day <= after or day > until for day in days):
        problems.append(f"every installment falls due after {after.isoformat()} and by {until.isoformat()}")
    total = sum((item.principal for item in schedule), Decimal(0))
    if total != principal:
        problems.append(f"the installments' principal ({total}) must add up to {principal}")
    return problems


class FacilityDraft(Command):
    reference: Reference
    product: Annotated[str, Field(min_length=1, max_length=100)]
    limit_amount: PositiveMoney
    currency: CurrencyCode
    drawn_amount: NonNegativeMoney
    start_on: date
    maturity_on: date
    rate: Rate
    renewal_of_id: int | None = None
    application_id: int | None = None
    schedule: Annotated[list[InstallmentDraft], Field(default_factory=list, max_length=MAX_INSTALLMENTS)]

    @model_validator(mode="after")
    def _consistent(self) -> FacilityDraft:
        if self.maturity_on <= self.start_on:
            raise ValueError("the facility matures after it starts")
        if self.drawn_amount > self.limit_amount:
            raise ValueError("more drawn than the limit")
        problems = _schedule_problems(self.schedule, self.start_on, self.maturity_on, self.drawn_amount)
        if problems:
            raise ValueError("; ".join(problems))
        return self


class RepaymentDraft(Command):
    paid_on: date
    amount: PositiveMoney
    reference: Reference


class RestructuringDraft(Command):
    restructured_on: date
    maturity_on: date
    reason: LongText
    # The new schedule of what is still owed: its principal adds up to the principal outstanding.
    schedule: Annotated[list[InstallmentDraft], Field(min_length=1, max_length=MAX_INSTALLMENTS)]


async def _facility(
    session: AsyncSession, facility_id: int, scope: RowScope, expected_version: int | None, field: str = "input.id"
) -> CreditFacility:
    stmt = facilities_within(select(CreditFacility).where(CreditFacility.id == facility_id), scope)
    return await locked_in_scope(session, stmt, CreditFacility, expected_version=expected_version, field=field)


async def _settle_classification(
    session: AsyncSession, customer: Customer, *, today: date, rules: ClassificationRules,
    regrade: Regrader | None, trigger: str,
) -> None:
    """Re-classify the customer and re-grade it: its arrears, category and credit status follow."""
    await session.flush()
    await reclassify(session, [customer.id], as_of=today, rules=rules)
    await refresh_credit_status(session, [customer.id], as_of=today, by=f"classification:{rules.version}")
    if regrade is not None:
        await regrade(session, customer, trigger)


async def book_facility(
    session: AsyncSession, *, principal: Principal, scope: RowScope, customer_id: int, data: dict[str, Any],
    today: date, rules: ClassificationRules, regrade: Regrader | None = None,
) -> CreditFacility:
    """Book a facility with its schedule (one granted before it was recorded here, or on approval)."""
    draft = parse(FacilityDraft, data)
    customer = await customer_in_scope(session, customer_id, scope)
    problems = []
    if draft.start_on > today:
        problems.append(FieldProblem("input.startOn", "a facility is booked once it has started"))
    if await session.scalar(select(CreditFacility.id).where(CreditFacility.reference == draft.reference)):
        problems.append(FieldProblem("input.reference", f"facility {draft.reference!r} is already on record"))
    if draft.renewal_of_id is not None:
        renewed = await session.scalar(
            select(CreditFacility.customer_id).where(CreditFacility.id == draft.renewal_of_id))
        if renewed != customer.id:
            problems.append(FieldProblem("input.renewalOfId", "not a facility of this customer"))
    if draft.application_id is not None:
        problems += await _application_problems(session, draft, customer.id)
    if problems:
        raise InvalidInput(problems)
    facility = CreditFacility(
        customer_id=customer.id, reference=draft.reference, product=draft.product, limit_amount=draft.limit_amount,
        currency=draft.currency, drawn_amount=draft.drawn_amount, start_on=draft.start_on,
        maturity_on=draft.maturity_on, rate=draft.rate, renewal_of_id=draft.renewal_of_id,
        application_id=draft.application_id, outstanding=draft.drawn_amount, category_reasons=[],
        classified_on=today, recorded_by=principal.sub,
    )
    session.add(facility)
    await session.flush()
    session.add_all(RepaymentInstallment(facility_id=facility.id, due_on=item.due_on, principal=item.principal,
                                         interest=item.interest) for item in draft.schedule)
    session.add(note_event(customer_id=customer.id, group=InfoGroup.CREDIT, field="facility",
                           new_value=f"{draft.reference}: {draft.currency} {draft.limit_amount} {draft.product}",
                           principal=principal, now=utcnow()))
    await _settle_classification(session, customer, today=today, rules=rules, regrade=regrade, trigger="facility")
    await session.refresh(facility)
    return facility


async def _application_problems(session: AsyncSession, draft: FacilityDraft, customer_id: int) -> list[FieldProblem]:
    """What stops booking ``draft`` from its application: it must be this customer's, approved, not yet
    booked, and the facility within what was approved."""
    field = "input.applicationId"
    application = await session.get(CreditApplication, draft.application_id)
    if application is None or application.customer_id != customer_id:
        return [FieldProblem(field, "not an application of this customer")]
    if application.status is not ApplicationStatus.APPROVED:
        return [FieldProblem(field, f"the application is {application.status.name}, not APPROVED")]
    if await session.scalar(select(CreditFacility.id).where(CreditFacility.application_id == application.id)):
        return [FieldProblem(field, "a facility is already booked from this application")]
    problems = []
    if draft.currency != application.currency:
        problems.append(FieldProblem("input.currency", f"the application was in {application.currency}"))
    if application.approved_amount is not None and draft.limit_amount > application.approved_amount:
        problems.append(FieldProblem("input.limitAmount", f"above the {application.approved_amount} approved"))
    return problems


async def record_repayment(
    session: AsyncSession, *, principal: Principal, scope: RowScope, facility_id: int, data: dict[str, Any],
    today: date, rules: ClassificationRules, regrade: Regrader | None = None,
) -> CreditFacility:
    """Record a repayment received; the facility's arrears and category are computed again."""
    draft = parse(RepaymentDraft, data)
    facility = await _facility(session, facility_id, scope, None, field="input.facilityId")
    problems = []
    if draft.paid_on > today:
        problems.append(FieldProblem("input.paidOn", "a repayment is recorded once received, not ahead"))
    if draft.paid_on < facility.start_on:
        problems.append(FieldProblem("input.paidOn", f"before the facility started ({facility.start_on.isoformat()})"))
    if facility.status is FacilityStatus.SETTLED:
        problems.append(FieldProblem("input.facilityId", "the facility is settled"))
    if await session.scalar(select(Repayment.id).where(Repayment.facility_id == facility.id,
                                                       Repayment.reference == draft.reference)):
        problems.append(FieldProblem("input.reference", f"repayment {draft.reference!r} is already on record"))
    if problems:
        raise InvalidInput(problems)
    session.add(Repayment(facility_id=facility.id, paid_on=draft.paid_on, amount=draft.amount,
                          reference=draft.reference, recorded_by=principal.sub))
    customer = await session.get_one(Customer, facility.customer_id)
    await _settle_classification(session, customer, today=today, rules=rules, regrade=regrade, trigger="repayment")
    await session.refresh(facility)
    return facility


async def restructure(
    session: AsyncSession, *, principal: Principal, scope: RowScope, facility_id: int, expected_version: int,
    data: dict[str, Any], today: date, rules: ClassificationRules, regrade: Regrader | None = None,
) -> CreditFacility:
    """Restructure a facility: a new schedule for the principal still owed on the day of restructuring,
    overdue installments included; it stays at least special mention through the observation period.

    What was repaid by that day is kept as one settled installment on that day, so that the
    repayments on record and the new schedule add up to what was drawn.
    """
    draft = parse(RestructuringDraft, data)
    facility = await _facility(session, facility_id, scope, expected_version)
    schedule = [Installment(row.due_on, row.principal, row.interest) for row in await session.scalars(
        select(RepaymentInstallment).where(RepaymentInstallment.facility_id == facility.id))]
    payments = [Payment(row.paid_on, row.amount) for row in await session.scalars(
        select(Repayment).where(Repayment.facility_id == facility.id))]
    problems = []
    if not facility.start_on < draft.restructured_on <= today:
        problems.append(FieldProblem("input.restructuredOn", "after the facility started and not ahead of today"))
    if facility.status is FacilityStatus.SETTLED:
        problems.append(FieldProblem("input.id", "the facility is settled"))
    if problems:
        raise InvalidInput(problems)
    repaid = arrears(schedule, payments, draft.restructured_on).principal_repaid
    paid = sum((p.amount for p in payments if p.paid_on <= draft.restructured_on), Decimal(0))
    owed = facility.drawn_amount - repaid
    problems = [FieldProblem("input.schedule", problem) for problem in _schedule_problems(
        draft.schedule, draft.restructured_on, draft.maturity_on, owed)]
    if problems:
        raise InvalidInput(problems)
    await session.execute(delete(RepaymentInstallment).where(RepaymentInstallment.facility_id == facility.id))
    settled = [InstallmentDraft(due_on=draft.restructured_on, principal=repaid, interest=paid - repaid)] if paid else []
    session.add_all(RepaymentInstallment(facility_id=facility.id, due_on=item.due_on, principal=item.principal,
                                         interest=item.interest) for item in [*settled, *draft.schedule])
    facility.restructured_on = draft.restructured_on
    facility.maturity_on = draft.maturity_on
    customer = await session.get_one(Customer, facility.customer_id)
    session.add(note_event(customer_id=customer.id, group=InfoGroup.CREDIT, field="facilityRestructured",
                           new_value=f"{facility.reference} on {draft.restructured_on.isoformat()}: {draft.reason}",
                           principal=principal, now=utcnow()))
    await _settle_classification(session, customer, today=today, rules=rules, regrade=regrade, trigger="restructuring")
    await session.refresh(facility)
    return facility
