"""Grade overrides: one step up or down, with a reason, approved by a second person."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from pydantic import Field
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import business_today
from api.db.base import utcnow
from api.db.enums import InfoGroup
from api.db.models import Customer, GradeOverride, StaffMember
from api.errors import InvalidInput, NotFound
from api.principal import Principal
from api.services import revisits
from api.services.credit_status import derive_credit_status
from api.services.customers import customer_in_scope, save
from api.services.grading import GradeChange, gather_facts, latest_assessment
from api.services.history import apply_changes, touch
from api.services.scope import RowScope, within
from api.services.treatment_actions import follow_grade_changes
from api.services.validation import Command, LongText, parse

ReasonCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,39}$")]


class OverrideProposal(Command):
    grade: Literal["A", "B", "C", "D"]
    reason_code: ReasonCode
    reason_text: Annotated[LongText, Field(min_length=10)]


class OverrideDecision(Command):
    approve: bool
    comment: Annotated[str, Field(max_length=2000)] | None = None


async def propose_override(
    session: AsyncSession, *, principal: Principal, scope: RowScope, customer_id: int, data: dict[str, Any]
) -> GradeOverride:
    """Propose moving the latest assessment's grade by one step; it waits for approval."""
    proposal = parse(OverrideProposal, data)
    customer = await customer_in_scope(session, customer_id, scope)
    assessment = await latest_assessment(session, customer.id)
    if assessment is None:
        raise InvalidInput.one("input.customerId", "the customer has no grade to override yet")
    steps = "ABCD".index(proposal.grade) - "ABCD".index(assessment.grade)
    if abs(steps) != 1:
        raise InvalidInput.one(
            "input.grade", f"an override moves the assessed grade {assessment.grade} by exactly one step"
        )
    pending = await session.scalar(
        select(GradeOverride.id).where(GradeOverride.assessment_id == assessment.id, GradeOverride.status == "pending")
    )
    if pending is not None:
        raise InvalidInput.one("input.customerId", "an override of this grade already awaits a decision")
    override = GradeOverride(
        assessment_id=assessment.id, customer_id=customer.id, from_grade=assessment.grade,
        to_grade=proposal.grade, direction="down" if steps > 0 else "up", reason_code=proposal.reason_code,
        reason_text=proposal.reason_text, status="pending", proposed_by=principal.sub, proposed_at=utcnow(),
    )
    session.add(override)
    await save(session)
    return override


async def decide_override(
    session: AsyncSession, *, principal: Principal, scope: RowScope, override_id: int, data: dict[str, Any]
) -> tuple[GradeOverride, GradeChange | None]:
    """Approve or reject a pending override: never by its proposer nor the customer's manager."""
    decision = parse(OverrideDecision, data)
    found = (await session.execute(
        within(select(GradeOverride, Customer).join(Customer, Customer.id == GradeOverride.customer_id), scope)
        .where(GradeOverride.id == override_id)
    )).first()
    if found is None:
        raise NotFound("Grade override", field="input.id")
    override, customer = found
    if override.status != "pending":
        raise InvalidInput.one("input.id", f"this override is already {override.status}")
    if override.proposed_by == principal.sub:
        raise InvalidInput.one("input.id", "a second person must decide: you proposed this override")
    manager = await session.get(StaffMember, customer.relationship_manager_id)
    if manager is not None and manager.username == principal.sub:
        raise InvalidInput.one("input.id", "the customer's relationship manager may not decide its override")
    latest = await latest_assessment(session, customer.id)
    if latest is None or latest.id != override.assessment_id:
        raise InvalidInput.one("input.id", "the customer was graded again since: this override is out of date")
    now = utcnow()
    # Decide only while still pending, in the database: of two simultaneous decisions one wins.
    decided = await session.execute(
        update(GradeOverride)
        .where(GradeOverride.id == override.id, GradeOverride.status == "pending")
        .values(status="approved" if decision.approve else "rejected", decided_by=principal.sub,
                decided_at=now, decision_comment=decision.comment)
        .execution_options(synchronize_session=False)
    )
    if cast("CursorResult[Any]", decided).rowcount != 1:  # an UPDATE's result is a CursorResult
        raise InvalidInput.one("input.id", "this override was decided by someone else meanwhile")
    await session.refresh(override)
    change = None
    if decision.approve:
        previous = customer.grade
        facts = await gather_facts(session, customer, latest.answers, business_today())
        status, basis = derive_credit_status(override.to_grade, facts.credit_history, facts.days_past_due, facts.as_of,
                                             facts.risk_category)
        changes = apply_changes(customer, {"grade": override.to_grade, "credit_status": status},
                                customer_id=customer.id, group=InfoGroup.CUSTOMER, principal=principal, now=now)
        customer.credit_status_basis = f"{basis} Grade by approved override ({override.reason_code})."
        customer.credit_status_set_at = now
        customer.credit_status_set_by = principal.sub
        customer.next_revisit_on = revisits.after_grade_change(
            previous=previous, grade=override.to_grade, last_revisit=customer.last_revisit_on,
            current=customer.next_revisit_on, today=facts.as_of,
        )
        touch(customer, changes, now)
        session.add_all(changes)
        if previous != override.to_grade:
            change = GradeChange(customer.id, previous, override.to_grade, latest.strategy_id, now)
            await follow_grade_changes(session, [change], today=facts.as_of)
    await save(session)
    return override, change


async def override_report(session: AsyncSession, *, scope: RowScope) -> list[tuple[str, str, str, int]]:
    """Decided overrides counted by approver, direction and outcome (customers in scope)."""
    rows = await session.execute(
        within(
            select(GradeOverride.decided_by, GradeOverride.direction, GradeOverride.status, func.count())
            .join(Customer, Customer.id == GradeOverride.customer_id)
            .where(GradeOverride.status != "pending")
            .group_by(GradeOverride.decided_by, GradeOverride.direction, GradeOverride.status)
            .order_by(GradeOverride.decided_by, GradeOverride.direction, GradeOverride.status),
            scope,
        )
    )
    return [(approver or "", direction, status, int(count)) for approver, direction, status, count in rows]


async def overrides_for(
    session: AsyncSession, *, scope: RowScope, status: str | None
) -> list[GradeOverride]:
    stmt = within(select(GradeOverride).join(Customer, Customer.id == GradeOverride.customer_id), scope)
    if status is not None:
        stmt = stmt.where(GradeOverride.status == status)
    return list((await session.scalars(stmt.order_by(GradeOverride.id.desc()).limit(200))).all())
