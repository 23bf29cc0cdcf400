"""Taking complaints in (R-Q1): the complainant, the matter, the promised decision day, and moving
that day to a later stage of the SLA policy when the case needs it.

A complaint belongs to a customer, or to a party not yet a customer (its name, credit code and
contact) and the branch where it came in. Which complaints a caller reaches follows the row scope:
a customer's complaints with the customer; a non-customer's by its branch (branch scope) or with
every row (``all``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import AwareDatetime, Field, field_validator, model_validator
from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import business_date
from api.db.base import utcnow
from api.db.enums import ComplaintCategory, ComplaintChannel, ComplaintStatus
from api.db.models import Branch, Complaint, ComplaintExtension, ComplaintTransition, Customer
from api.errors import FieldProblem, InvalidInput, NotFound
from api.principal import Principal
from api.reference.complaint_sla import Need, SlaPolicy
from api.reference.identifiers import credit_code_error
from api.services import organisation
from api.services.customers import customer_in_scope
from api.services.locking import locked_in_scope
from api.services.scope import RowScope
from api.services.validation import Command, ListItem, LongText, ShortText, parse

S = TypeVar("S", bound="Select[Any]")
_CLOCK_SLACK = timedelta(minutes=5)
MAX_EVIDENCE = 20


def complaints_within(stmt: S, scope: RowScope) -> S:
    """``stmt`` (a select over complaints) limited to the complaints ``scope`` reaches."""
    stmt = stmt.outerjoin(Customer, Customer.id == Complaint.customer_id)
    condition = scope.condition()
    if condition is None:
        return stmt
    branch = (and_(Complaint.customer_id.is_(None), Complaint.branch_code == scope.branch_code)
              if scope.branch_code is not None else false())
    return stmt.where(or_(and_(Complaint.customer_id.is_not(None), condition), branch))


async def complaint_in_scope(
    session: AsyncSession, complaint_id: int, scope: RowScope, *, expected_version: int | None = None,
    field: str = "input.id",
) -> Complaint:
    """The complaint, locked for this transaction, if ``scope`` reaches it (else NOT_FOUND, as missing
    is); a stale ``expected_version`` is a CONFLICT."""
    stmt = complaints_within(select(Complaint).where(Complaint.id == complaint_id), scope)
    return await locked_in_scope(session, stmt, Complaint, expected_version=expected_version, field=field)


class Complainant(Command):
    name: ShortText
    credit_code: Annotated[str, Field(min_length=18, max_length=18)]
    contact: ShortText

    @field_validator("credit_code")
    @classmethod
    def _valid_code(cls, value: str) -> str:
        problem = credit_code_error(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class ComplaintDraft(Command):
    customer_id: int | None = None
    complainant: Complainant | None = None
    branch_code: Annotated[str, Field(min_length=1, max_length=16)] | None = None
    channel: ComplaintChannel
    channel_reference: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    category: ComplaintCategory
    matter: LongText
    request: LongText | None = None
    evidence: Annotated[list[ListItem], Field(max_length=MAX_EVIDENCE)] = Field(default_factory=list)
    received_at: AwareDatetime

    @field_validator("received_at")
    @classmethod
    def _not_ahead(cls, value: datetime) -> datetime:
        if value > utcnow() + _CLOCK_SLACK:
            raise ValueError("a complaint is recorded once received, not ahead")
        return value

    @model_validator(mode="after")
    def _who(self) -> ComplaintDraft:
        if (self.customer_id is None) == (self.complainant is None):
            raise ValueError("give the customer (customerId) or, for a party not yet a customer, the complainant")
        if self.complainant is not None and self.branch_code is None:
            raise ValueError("a complaint from a party not yet a customer names the branch it came in at (branchCode)")
        if self.customer_id is not None and self.branch_code is not None:
            raise ValueError("a customer's complaint belongs to the customer's branch: leave branchCode out")
        return self


async def file_complaint(
    session: AsyncSession, *, principal: Principal, scope: RowScope, data: dict[str, Any], policy: SlaPolicy,
    timezone: str,
) -> Complaint:
    """Take a complaint in: its decision day is promised under ``policy`` from the lender's day of receipt."""
    draft = parse(ComplaintDraft, data)
    who: dict[str, Any]
    if draft.customer_id is not None:
        customer = await customer_in_scope(session, draft.customer_id, scope)
        who = {"customer_id": customer.id, "branch_code": customer.branch_code}
    else:
        assert draft.complainant is not None and draft.branch_code is not None
        reachable = scope.all or scope.branch_code == draft.branch_code
        if not reachable or await session.get(Branch, draft.branch_code) is None:
            raise NotFound("Branch", field="input.branchCode")
        who = {"customer_id": None, "branch_code": draft.branch_code,
               "complainant_name": draft.complainant.name, "complainant_credit_code": draft.complainant.credit_code,
               "complainant_contact": draft.complainant.contact}
    received_on = business_date(draft.received_at, timezone)
    due_on = policy.due_on(received_on, 0)
    now = utcnow()
    complaint = Complaint(
        **who, channel=draft.channel, channel_reference=draft.channel_reference, category=draft.category,
        matter=draft.matter, request=draft.request, evidence=list(draft.evidence), received_at=draft.received_at,
        received_on=received_on, sla_policy=policy.id, sla_stage=0, first_due_on=due_on, due_on=due_on,
        handler=principal.sub, status=ComplaintStatus.RECEIVED, reopened_count=0, created_at=now,
    )
    session.add(complaint)
    await session.flush()
    session.add(ComplaintTransition(complaint_id=complaint.id, from_status=None, to_status=ComplaintStatus.RECEIVED,
                                    at=now, by=principal.sub, note="received"))
    await session.flush()
    return complaint


class ExtensionDraft(Command):
    reason: LongText
    approved_by: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    complainant_told_on: date | None = None


async def extend_deadline(
    session: AsyncSession, *, principal: Principal, scope: RowScope, complaint_id: int, expected_version: int,
    data: dict[str, Any], policies: dict[str, SlaPolicy], today: date,
) -> Complaint:
    """Move the complaint's decision day to its SLA policy's next stage, with what that stage needs."""
    draft = parse(ExtensionDraft, data)
    complaint = await complaint_in_scope(session, complaint_id, scope, expected_version=expected_version)
    policy = policies.get(complaint.sla_policy)
    if policy is None:
        raise InvalidInput.one("input.id", f"its SLA policy {complaint.sla_policy!r} is no longer configured")
    if complaint.status is ComplaintStatus.CLOSED or complaint.decided_at is not None:
        raise InvalidInput.one("input.id", "a decision was already given: its deadline no longer moves")
    stage = complaint.sla_stage + 1
    if stage >= len(policy.stages):
        raise InvalidInput.one("input.id", f"{policy.id} allows no further extension")
    needs = policy.stages[stage].needs
    problems = []
    if Need.SENIOR_APPROVAL in needs:
        if draft.approved_by is None:
            problems.append(("input.approvedBy", f"{policy.stages[stage].name} needs a senior manager's approval"))
        elif draft.approved_by.lower() == principal.sub.lower():
            problems.append(("input.approvedBy", "the approval is a second person's, not the requester's"))
        elif await organisation.unknown_staff(session, [draft.approved_by]):
            problems.append(("input.approvedBy", f"unknown staff member {draft.approved_by!r}"))
    if Need.COMPLAINANT_TOLD in needs:
        if draft.complainant_told_on is None:
            problems.append(("input.complainantToldOn", "the complainant must be told of this extension"))
        elif not complaint.received_on <= draft.complainant_told_on <= today:
            problems.append(("input.complainantToldOn", "a day between receipt and today"))
    if problems:
        raise InvalidInput([FieldProblem(f, m) for f, m in problems])
    due_on = policy.due_on(complaint.received_on, stage)
    session.add(ComplaintExtension(
        complaint_id=complaint.id, stage=policy.stages[stage].name, from_due_on=complaint.due_on, due_on=due_on,
        reason=draft.reason, approved_by=draft.approved_by.lower() if draft.approved_by else None,
        complainant_told_on=draft.complainant_told_on, requested_at=utcnow(), requested_by=principal.sub,
    ))
    complaint.sla_stage, complaint.due_on = stage, due_on
    await session.flush()
    return complaint

