"""Credit applications (R-S2): submitted → under review → approved / rejected / withdrawn, every move
kept with who and when; the approval deadline and the green channel from the applicant's grade.

The treatment of the applicant's grade at submission (``api.reference.treatments``) is what the
approver weighs: approving above its exposure cap, without the mitigation it requires, or for an
applicant not yet graded, needs an explicit exception reason. An approved application is booked
as a facility (``api.services.facilities.book_facility`` with its ``application_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.base import utcnow
from api.db.enums import ApplicationStatus, FacilityStatus, PeriodKind
from api.db.models import CreditApplication, CreditApplicationStep, CreditFacility, Customer, FinancialStatement
from api.errors import FieldProblem, InvalidInput
from api.principal import Principal
from api.reference.treatments import Treatment, treatments, ungraded_approval_days
from api.services.customers import customer_in_scope
from api.services.information_reads import newest_per_customer
from api.services.locking import locked_in_scope
from api.services.scope import RowScope, within
from api.services.validation import (
    Command,
    CurrencyCode,
    LongText,
    NonNegativeMoney,
    PositiveMoney,
    ShortText,
    parse,
)

OPEN = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW)
# Where each state may go: a step the table does not allow is refused, naming the state.
MOVES: dict[ApplicationStatus, tuple[ApplicationStatus, ...]] = {
    ApplicationStatus.SUBMITTED: (ApplicationStatus.UNDER_REVIEW, ApplicationStatus.WITHDRAWN),
    ApplicationStatus.UNDER_REVIEW: (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED,
                                     ApplicationStatus.WITHDRAWN),
    ApplicationStatus.APPROVED: (),
    ApplicationStatus.REJECTED: (),
    ApplicationStatus.WITHDRAWN: (),
}
Rate = Annotated[Decimal, Field(ge=0, lt=1, max_digits=9, decimal_places=6)]


class CollateralDraft(Command):
    kind: Annotated[str, Field(min_length=1, max_length=50)]
    description: ShortText
    value: NonNegativeMoney


class GuaranteeOfferDraft(Command):
    guarantor: ShortText
    amount: PositiveMoney


class ApplicationDraft(Command):
    product: Annotated[str, Field(min_length=1, max_length=100)]
    amount: PositiveMoney
    currency: CurrencyCode
    term_months: Annotated[int, Field(ge=1, le=600)]
    purpose: LongText
    collateral: Annotated[list[CollateralDraft], Field(max_length=50)] = Field(default_factory=list)
    guarantees: Annotated[list[GuaranteeOfferDraft], Field(max_length=50)] = Field(default_factory=list)
    received_on: date | None = None


class ApprovalDraft(Command):
    approved_amount: PositiveMoney
    approved_rate: Rate
    note: LongText | None = None
    exception_reason: LongText | None = None


class DecisionDraft(Command):
    reason: LongText


@dataclass(frozen=True, slots=True)
class Weighing:
    """What the approver weighs: the treatment of the applicant's grade and what it allows here."""

    treatment: Treatment | None  # None: the applicant was not graded at submission
    equity: Decimal | None  # the latest annual statement's, in ``equity_currency``
    equity_currency: str | None
    exposure_cap: Decimal | None  # the treatment's multiple of equity, when both are known
    existing_limits: Decimal  # limits of the running facilities in the application's currency
    reasons_for_exception: tuple[str, ...]  # what approving ``amount`` would go against


def applications_within(stmt: Select[Any], scope: RowScope) -> Select[Any]:
    """``stmt`` over applications, narrowed to those whose customer ``scope`` reaches."""
    return within(stmt.join(Customer, Customer.id == CreditApplication.customer_id), scope)


async def application_in_scope(
    session: AsyncSession, application_id: int, scope: RowScope, *, expected_version: int | None,
    field: str = "input.id",
) -> CreditApplication:
    stmt = applications_within(select(CreditApplication).where(CreditApplication.id == application_id), scope)
    return await locked_in_scope(session, stmt, CreditApplication, expected_version=expected_version, field=field)


def _move(application: CreditApplication, to: ApplicationStatus, by: str, note: str | None) -> CreditApplicationStep:
    if to not in MOVES[application.status]:
        allowed = ", ".join(state.name for state in MOVES[application.status]) or "none"
        raise InvalidInput.one("input.id", f"an application {application.status.name} cannot become {to.name}; "
                                           f"it can become: {allowed}")
    step = CreditApplicationStep(application_id=application.id, from_status=application.status, to_status=to,
                                 at=utcnow(), by=by, note=note)
    application.status = to
    return step


async def submit(
    session: AsyncSession, *, principal: Principal, scope: RowScope, customer_id: int, data: dict[str, Any],
    today: date,
) -> CreditApplication:
    """Record an application; its deadline and queue place come from the applicant's grade in force."""
    draft = parse(ApplicationDraft, data)
    received = draft.received_on or today
    if received > today:
        raise InvalidInput.one("input.receivedOn", "an application is recorded once received, not ahead")
    customer = await customer_in_scope(session, customer_id, scope)
    treatment = treatments().get(customer.grade or "")
    days = treatment.approval_days if treatment is not None else ungraded_approval_days()
    application = CreditApplication(
        customer_id=customer.id, product=draft.product, amount=draft.amount, currency=draft.currency,
        term_months=draft.term_months, purpose=draft.purpose,
        collateral=[item.model_dump(mode="json") for item in draft.collateral],
        guarantees=[item.model_dump(mode="json") for item in draft.guarantees],
        status=ApplicationStatus.SUBMITTED, grade=customer.grade,
        green_channel=bool(treatment is not None and treatment.green_channel), received_on=received,
        due_on=received + timedelta(days=days),
        submitted_at=utcnow(), submitted_by=principal.sub,
    )
    session.add(application)
    await session.flush()
    session.add(CreditApplicationStep(application_id=application.id, from_status=None,
                                      to_status=ApplicationStatus.SUBMITTED, at=application.submitted_at,
                                      by=principal.sub, note=None))
    return application


async def start_review(
    session: AsyncSession, *, principal: Principal, scope: RowScope, application_id: int, expected_version: int,
) -> CreditApplication:
    application = await application_in_scope(session, application_id, scope, expected_version=expected_version)
    session.add(_move(application, ApplicationStatus.UNDER_REVIEW, principal.sub, None))
    application.reviewer = principal.sub
    await session.flush()  # the version the caller passes back next
    return application


async def _equities(session: AsyncSession, customer_ids: Sequence[int]) -> dict[int, tuple[Decimal, str]]:
    """Each customer's latest annual equity and its currency (those with an annual statement)."""
    newest = await newest_per_customer(
        session, FinancialStatement, sorted(set(customer_ids)), order=(FinancialStatement.period_end.desc(),), limit=1,
        condition=FinancialStatement.period_kind == PeriodKind.ANNUAL,
    )
    return {customer_id: (rows[0].equity, rows[0].currency) for customer_id, rows in newest.items()}


async def _limits(session: AsyncSession, customer_ids: Sequence[int]) -> dict[tuple[int, str], Decimal]:
    """The running facilities' limits of each customer, by currency."""
    rows = await session.execute(
        select(CreditFacility.customer_id, CreditFacility.currency, func.sum(CreditFacility.limit_amount))
        .where(CreditFacility.customer_id.in_(sorted(set(customer_ids))),
               CreditFacility.status == FacilityStatus.ACTIVE)
        .group_by(CreditFacility.customer_id, CreditFacility.currency)
    )
    return {(customer_id, currency): Decimal(total) for customer_id, currency, total in rows}


def _weighed(application: Any, amount: Decimal, latest: tuple[Decimal, str] | None, existing: Decimal) -> Weighing:
    """What approving ``amount`` of ``application`` goes against, given the applicant's latest annual
    equity and its running facilities' limits in the application's currency."""
    treatment = treatments().get(application.grade or "")
    equity, currency = latest if latest is not None else (None, None)
    cap = None
    if treatment is not None and equity is not None and currency == application.currency:
        cap = (max(equity, Decimal(0)) * treatment.exposure_cap_equity_multiple).quantize(Decimal("0.01"))
    reasons = []
    if treatment is None:
        reasons.append("the applicant was not graded when it applied: no treatment says what it may be lent")
    else:
        if cap is None:
            reasons.append("no annual statement in the application's currency to set the grade's exposure cap")
        elif existing + amount > cap:
            reasons.append(f"{application.currency} {existing + amount} with the running facilities is above the "
                           f"grade {treatment.grade} cap of {application.currency} {cap} "
                           f"({treatment.exposure_cap_equity_multiple} × equity)")
        if treatment.mitigation_required and not application.collateral and not application.guarantees:
            reasons.append(f"grade {treatment.grade} requires collateral or guarantees, and none is offered")
    return Weighing(treatment, equity, currency, cap, existing, tuple(reasons))


async def weigh(session: AsyncSession, application: CreditApplication, amount: Decimal) -> Weighing:
    """The treatment of the applicant's grade at submission and what approving ``amount`` goes against."""
    return (await weigh_all(session, [application], {application.id: amount}))[application.id]


async def weigh_all(
    session: AsyncSession, applications: Sequence[Any], amounts: dict[int, Decimal] | None = None,
) -> dict[int, Weighing]:
    """``weigh`` for many applications (rows or objects) at once, in two statements: each at the amount
    applied for unless ``amounts`` says."""
    ids = [application.customer_id for application in applications]
    equities, limits = await _equities(session, ids), await _limits(session, ids)
    return {
        application.id: _weighed(
            application, (amounts or {}).get(application.id, application.amount), equities.get(application.customer_id),
            limits.get((application.customer_id, application.currency), Decimal(0)),
        )
        for application in applications
    }


async def approve(
    session: AsyncSession, *, principal: Principal, scope: RowScope, application_id: int, expected_version: int,
    data: dict[str, Any], today: date,
) -> CreditApplication:
    """Approve an application under review; against its grade's treatment only with an exception reason."""
    draft = parse(ApprovalDraft, data)
    application = await application_in_scope(session, application_id, scope, expected_version=expected_version)
    step = _move(application, ApplicationStatus.APPROVED, principal.sub, draft.note)
    problems = []
    if draft.approved_amount > application.amount:
        problems.append(FieldProblem("input.approvedAmount", f"at most the {application.amount} applied for"))
    weighing = await weigh(session, application, draft.approved_amount)
    if weighing.reasons_for_exception and draft.exception_reason is None:
        problems.append(FieldProblem("input.exceptionReason", "an exception reason is needed: "
                                     + "; ".join(weighing.reasons_for_exception)))
    if problems:
        raise InvalidInput(problems)
    session.add(step)
    application.approved_amount, application.approved_rate = draft.approved_amount, draft.approved_rate
    application.exception_reason = draft.exception_reason
    application.decided_on, application.decided_by = today, principal.sub
    application.decision_note = draft.note
    await session.flush()
    return application


async def reject(
    session: AsyncSession, *, principal: Principal, scope: RowScope, application_id: int, expected_version: int,
    data: dict[str, Any], today: date,
) -> CreditApplication:
    draft = parse(DecisionDraft, data)
    application = await application_in_scope(session, application_id, scope, expected_version=expected_version)
    session.add(_move(application, ApplicationStatus.REJECTED, principal.sub, draft.reason))
    application.decided_on, application.decided_by, application.decision_note = today, principal.sub, draft.reason
    await session.flush()
    return application


async def withdraw(
    session: AsyncSession, *, principal: Principal, scope: RowScope, application_id: int, expected_version: int,
    data: dict[str, Any], today: date,
) -> CreditApplication:
    draft = parse(DecisionDraft, data)
    application = await application_in_scope(session, application_id, scope, expected_version=expected_version)
    session.add(_move(application, ApplicationStatus.WITHDRAWN, principal.sub, draft.reason))
    application.decided_on, application.decided_by, application.decision_note = today, principal.sub, draft.reason
    await session.flush()
    return application

