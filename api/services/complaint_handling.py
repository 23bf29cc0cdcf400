"""Handling a complaint (R-Q2, R-Q3): the investigation team and what it found, the handling plan,
feedback to the complainant, closing, reopening and escalating. Each step is a move of the state
machine (``complaint_states``), refused when the complaint's state does not allow it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from api.clock import business_date
from api.db.base import utcnow
from api.db.enums import CompensationStatus, ComplaintCause, ComplaintOutcome, ComplaintStatus, ExaminationKind
from api.db.enums import TeamCapacity as Capacity
from api.db.models import (
    Complaint,
    ComplaintCompensation,
    ComplaintFeedback,
    ComplaintInvestigation,
    ComplaintPlan,
    ComplaintTeamMember,
    Customer,
    ServiceRecord,
    StaffMember,
)
from api.errors import FieldProblem, InvalidInput
from api.principal import Principal
from api.services import organisation
from api.services.complaint_states import check_move, move
from api.services.complaints import complaint_in_scope
from api.services.scope import RowScope
from api.services.validation import Command, LongText, ShortText, parse

MAX_TEAM = 10
MAX_EXAMINED = 50
Username = Annotated[str, Field(min_length=1, max_length=64)]


class TeamMemberDraft(Command):
    username: Username
    capacity: Capacity


class TeamDraft(Command):
    team: Annotated[list[TeamMemberDraft], Field(max_length=MAX_TEAM)] = Field(default_factory=list)
    note: LongText | None = None


async def _involved(session: AsyncSession, complaint: Complaint) -> set[str]:
    """Who handled the matter complained about: the customer's relationship manager and everyone who
    recorded a contact with the customer."""
    if complaint.customer_id is None:
        return set()
    manager = await session.scalar(
        select(StaffMember.username).join(Customer, Customer.relationship_manager_id == StaffMember.id)
        .where(Customer.id == complaint.customer_id)
    )
    recorders = set((await session.scalars(
        select(ServiceRecord.recorded_by).where(ServiceRecord.customer_id == complaint.customer_id).distinct()
    )).all())
    return {name.lower() for name in recorders} | ({manager} if manager else set())


async def _team_problems(
    session: AsyncSession, complaint: Complaint, team: list[TeamMemberDraft]
) -> list[FieldProblem]:
    names = [member.username.lower() for member in team]
    problems = []
    if len(set(names)) != len(names):
        problems.append(FieldProblem("input.team", "each member once"))
    capacities = {member.capacity for member in team}
    if not {Capacity.CREDIT, Capacity.RISK} <= capacities:
        problems.append(FieldProblem("input.team", "at least one credit staff member and one risk expert"))
    unknown = await organisation.unknown_staff(session, names)
    involved = await _involved(session, complaint)
    for index, name in enumerate(names):
        if name in unknown:
            problems.append(FieldProblem(f"input.team.{index}.username", f"unknown staff member {name!r}"))
        elif name in involved:
            problems.append(FieldProblem(
                f"input.team.{index}.username",
                f"{name} handled the matter complained about (the customer's manager or a recorded contact): "
                "recused"))
    return problems


async def start_investigation(
    session: AsyncSession, *, principal: Principal, scope: RowScope, complaint_id: int, expected_version: int,
    data: dict[str, Any],
) -> Complaint:
    """Appoint the investigation team (again, for a re-investigation: a new team replaces the old one;
    none given keeps it) and move the complaint to INVESTIGATING."""
    draft = parse(TeamDraft, data)
    complaint = await complaint_in_scope(session, complaint_id, scope, expected_version=expected_version)
    check_move(complaint, ComplaintStatus.INVESTIGATING)
    has_team = await session.scalar(
        select(func.count()).select_from(ComplaintTeamMember).where(ComplaintTeamMember.complaint_id == complaint.id))
    if draft.team or not has_team:
        problems = await _team_problems(session, complaint, list(draft.team))
        if problems:
            raise InvalidInput(problems)
        await session.execute(delete(ComplaintTeamMember).where(ComplaintTeamMember.complaint_id == complaint.id))
        now = utcnow()
        session.add_all(ComplaintTeamMember(complaint_id=complaint.id, username=member.username.lower(),
                                            capacity=member.capacity, appointed_at=now, appointed_by=principal.sub)
                        for member in draft.team)
    move(session, complaint, ComplaintStatus.INVESTIGATING, by=principal.sub, at=utcnow(), note=draft.note)
    complaint.root_cause = None  # this investigation's findings are still to come
    await session.flush()
    return complaint


class ExaminedDraft(Command):
    kind: ExaminationKind
    description: LongText
    on: date


class FindingsDraft(Command):
    examined: Annotated[list[ExaminedDraft], Field(min_length=1, max_length=MAX_EXAMINED)]
    findings: LongText
    root_cause: ComplaintCause


async def record_findings(
    session: AsyncSession, *, principal: Principal, scope: RowScope, complaint_id: int, expected_version: int,
    data: dict[str, Any], today: date,
) -> Complaint:
    """Record what the investigation examined, what it found and the root cause (while INVESTIGATING)."""
    draft = parse(FindingsDraft, data)
    complaint = await complaint_in_scope(session, complaint_id, scope, expected_version=expected_version)
    if complaint.status is not ComplaintStatus.INVESTIGATING:
        raise InvalidInput.one("input.id", f"findings are recorded while INVESTIGATING, not {complaint.status.name}")
    for index, item in enumerate(draft.examined):
        if not complaint.received_on <= item.on <= today:
            raise InvalidInput.one(f"input.examined.{index}.on", "a day between receipt and today")
    session.add(ComplaintInvestigation(
        complaint_id=complaint.id, examined=[item.model_dump(mode="json") for item in draft.examined],
        findings=draft.findings, root_cause=draft.root_cause, recorded_at=utcnow(), recorded_by=principal.sub,
    ))
    complaint.root_cause = draft.root_cause
    flag_modified(complaint, "root_cause")  # written even when the cause is the same: the version moves
    await session.flush()
    return complaint


class PlanDraft(Command):
    department: ShortText
    responsible_username: Username
    measures: LongText
    deadline: date
    lender_at_fault: bool
    note: LongText | None = None


async def agree_plan(
    session: AsyncSession, *, principal: Principal, scope: RowScope, complaint_id: int, expected_version: int,
    data: dict[str, Any], today: date,
) -> Complaint:
    """Agree the handling plan (after findings were recorded) and move to PLAN_AGREED."""
    draft = parse(PlanDraft, data)
    complaint = await complaint_in_scope(session, complaint_id, scope, expected_version=expected_version)
    check_move(complaint, ComplaintStatus.PLAN_AGREED)
    if complaint.root_cause is None:  # cleared when an investigation starts
        raise InvalidInput.one("input.id", "record the investigation's findings before the plan")
    if await organisation.unknown_staff(session, [draft.responsible_username]):
        raise InvalidInput.one("input.responsibleUsername", f"unknown staff member {draft.responsible_username!r}")
    if draft.deadline < today:
        raise InvalidInput.one("input.deadline", "a plan's deadline is today or later")
    now = utcnow()
    session.add(ComplaintPlan(
        complaint_id=complaint.id, department=draft.department, responsible=draft.responsible_username.lower(),
        measures=draft.measures, deadline=draft.deadline, lender_at_fault=draft.lender_at_fault, agreed_at=now,
        agreed_by=principal.sub,
    ))
    complaint.lender_at_fault = draft.lender_at_fault
    move(session, complaint, ComplaintStatus.PLAN_AGREED, by=principal.sub, at=now, note=draft.note)
    await session.flush()
    return complaint


class FeedbackDraft(Command):
    explanation: LongText
    response: LongText | None = None
    satisfied: bool


async def give_feedback(
    session: AsyncSession, *, principal: Principal, scope: RowScope, complaint_id: int, expected_version: int,
    data: dict[str, Any], timezone: str,
) -> Complaint:
    """Tell the complainant the result (or explain further) with their response: FEEDBACK_GIVEN. The first
    feedback is the decision the deadline measures."""
    draft = parse(FeedbackDraft, data)
    complaint = await complaint_in_scope(session, complaint_id, scope, expected_version=expected_version)
    now = utcnow()
    move(session, complaint, ComplaintStatus.FEEDBACK_GIVEN, by=principal.sub, at=now,
         note="satisfied" if draft.satisfied else "not satisfied")
    session.add(ComplaintFeedback(complaint_id=complaint.id, explanation=draft.explanation, response=draft.response,
                                  satisfied=draft.satisfied, given_at=now, given_by=principal.sub))
    if complaint.decided_at is None:
        complaint.decided_at, complaint.decided_on = now, business_date(now, timezone)
    await session.flush()
    return complaint


class CloseDraft(Command):
    outcome: ComplaintOutcome
    note: LongText | None = None


async def close(
    session: AsyncSession, *, principal: Principal, scope: RowScope, complaint_id: int, expected_version: int,
    data: dict[str, Any],
) -> Complaint:
    """Close after feedback. A complainant not satisfied needs a note (the lender's final position and
    the remedies left to them); a compensation proposed or approved but not paid keeps it open."""
    draft = parse(CloseDraft, data)
    complaint = await complaint_in_scope(session, complaint_id, scope, expected_version=expected_version)
    check_move(complaint, ComplaintStatus.CLOSED)
    satisfied = await session.scalar(
        select(ComplaintFeedback.satisfied).where(ComplaintFeedback.complaint_id == complaint.id)
        .order_by(ComplaintFeedback.id.desc()).limit(1))
    if not satisfied and draft.note is None:
        raise InvalidInput.one("input.note", "the complainant is not satisfied: say the final position and the "
                                             "remedies left to them")
    pending = await session.scalar(select(func.count()).select_from(ComplaintCompensation).where(
        ComplaintCompensation.complaint_id == complaint.id,
        ComplaintCompensation.status.in_([CompensationStatus.PROPOSED, CompensationStatus.APPROVED])))
    if pending:
        raise InvalidInput.one("input.id", "a compensation is not yet paid (or withdrawn)")
    now = utcnow()
    move(session, complaint, ComplaintStatus.CLOSED, by=principal.sub, at=now, note=draft.note)
    complaint.outcome, complaint.closed_at = draft.outcome, now
    await session.flush()
    return complaint


class ReasonDraft(Command):
    reason: LongText


async def reopen(
    session: AsyncSession, *, principal: Principal, scope: RowScope, complaint_id: int, expected_version: int,
    data: dict[str, Any],
) -> Complaint:
    """Reopen a closed complaint (the complainant came back): REOPENED, counted for the review."""
    draft = parse(ReasonDraft, data)
    complaint = await complaint_in_scope(session, complaint_id, scope, expected_version=expected_version)
    move(session, complaint, ComplaintStatus.REOPENED, by=principal.sub, at=utcnow(), note=draft.reason)
    complaint.reopened_count += 1
    complaint.closed_at = complaint.outcome = None
    await session.flush()
    return complaint


async def escalate(
    session: AsyncSession, *, principal: Principal, scope: RowScope, complaint_id: int, expected_version: int,
    data: dict[str, Any],
) -> Complaint:
    """Escalate an open complaint (to a superior institution, head office or the regulator): ESCALATED."""
    draft = parse(ReasonDraft, data)
    complaint = await complaint_in_scope(session, complaint_id, scope, expected_version=expected_version)
    move(session, complaint, ComplaintStatus.ESCALATED, by=principal.sub, at=utcnow(), note=draft.reason)
    await session.flush()
    return complaint
