"""Complaints as the schema shows them (R-Q1 … R-Q4): the complaint and its history, team,
investigations, plans, feedback, extensions and compensations.

Each field declares how it reads, its data class and which ``where``/``orderBy`` fields it answers
(``schema.reads``): the root list's inputs and SQL are derived from them. What the complainant
said and what the lender found are ``complaint_details``; compensation amounts ``compensation``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from api.db.models import Complaint as ComplaintRow
from api.services import complaint_reads
from schema.comparisons import (
    BooleanComparison,
    DateComparison,
    DateTimeComparison,
    StringComparison,
    enum_comparison,
)
from schema.complaints.enums import (
    CompensationStatusEnum,
    ComplaintCategoryEnum,
    ComplaintCauseEnum,
    ComplaintChannelEnum,
    ComplaintOutcomeEnum,
    ComplaintStatusEnum,
    ExaminationKindEnum,
    TeamCapacityEnum,
)
from schema.context import Info
from schema.convert import from_row
from schema.data_classes import classes, classified
from schema.reads import METADATA_KEY, Computed, Declarer, Related, TypeReads, declare
from schema.resolve import looked_up, related
from schema.servicing.types import CUSTOMER

if TYPE_CHECKING:
    from schema.customer.types import Customer

DETAILS = "complaint_details"
ComplaintStatusComparison = enum_comparison(ComplaintStatusEnum, "ComplaintStatusComparison", "a complaint's state")
ComplaintChannelComparison = enum_comparison(
    ComplaintChannelEnum, "ComplaintChannelComparison", "a complaint's channel")
ComplaintCategoryComparison = enum_comparison(
    ComplaintCategoryEnum, "ComplaintCategoryComparison", "a complaint's category")
ComplaintCauseComparison = enum_comparison(
    ComplaintCauseEnum, "ComplaintCauseComparison", "a complaint's root cause", nullable=True)
ComplaintOutcomeComparison = enum_comparison(
    ComplaintOutcomeEnum, "ComplaintOutcomeComparison", "a complaint's outcome", nullable=True)
_complaint = Declarer(ComplaintRow.__table__)


@classified("complaints")
@strawberry.type(description="One move of a complaint between states: kept for ever.")
class ComplaintTransition:
    complaint_id: strawberry.Private[int]
    from_status: ComplaintStatusEnum | None = strawberry.field(description="The state before; null for the intake.")
    to_status: ComplaintStatusEnum = strawberry.field(description="The state after.")
    at: datetime = strawberry.field(description="When.")
    by: str = strawberry.field(description="Who (token `sub`).")
    note: str | None = strawberry.field(description="What was said with it.", metadata=classes(DETAILS))


@classified("complaints")
@strawberry.type(description="A member of the investigation team.")
class ComplaintTeamMember:
    username: str = strawberry.field(description="The staff member's username.")
    capacity: TeamCapacityEnum = strawberry.field(description="Credit staff or risk expert.")
    appointed_at: datetime = strawberry.field(description="When they were appointed.")
    appointed_by: str = strawberry.field(description="Who appointed them.")


@classified(DETAILS)
@strawberry.type(description="One thing an investigation examined.")
class ComplaintExamination:
    complaint_id: strawberry.Private[int]
    kind: ExaminationKindEnum = strawberry.field(description="Files, a talk or a site visit.")
    description: str = strawberry.field(description="What was examined, with whom or where.")
    on: date = strawberry.field(description="The day.")


@classified(DETAILS)
@strawberry.type(description="What an investigation examined, what it found and the root cause.")
class ComplaintInvestigation:
    complaint_id: strawberry.Private[int]
    examined: list[ComplaintExamination] = strawberry.field(description="What was examined.")
    findings: str = strawberry.field(description="What was found.")
    root_cause: ComplaintCauseEnum = strawberry.field(description="The root cause.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    recorded_by: str = strawberry.field(description="Who recorded it.")


def investigation_of(row: Any) -> ComplaintInvestigation:
    return from_row(ComplaintInvestigation, row, examined=[
        ComplaintExamination(complaint_id=row.complaint_id, kind=ExaminationKindEnum(item["kind"]),
                             description=item["description"],
                             on=date.fromisoformat(item["on"])) for item in row.examined or ()])


@classified(DETAILS)
@strawberry.type(description="A handling plan: who is responsible, the measures and the deadline.")
class ComplaintPlan:
    complaint_id: strawberry.Private[int]
    department: str = strawberry.field(description="The responsible department.")
    responsible: str = strawberry.field(description="The responsible person (a staff member's username).")
    measures: str = strawberry.field(description="The measures to take.")
    deadline: date = strawberry.field(description="The plan's deadline.")
    lender_at_fault: bool = strawberry.field(description="Whether the lender was at fault.")
    agreed_at: datetime = strawberry.field(description="When it was agreed.")
    agreed_by: str = strawberry.field(description="Who agreed it.")


@classified(DETAILS)
@strawberry.type(description="The result told to the complainant, and their response.")
class ComplaintFeedback:
    complaint_id: strawberry.Private[int]
    explanation: str = strawberry.field(description="What the complainant was told.")
    response: str | None = strawberry.field(description="What they answered.")
    satisfied: bool = strawberry.field(description="Whether they were satisfied.")
    given_at: datetime = strawberry.field(description="When.")
    given_by: str = strawberry.field(description="Who told them.")


@classified("complaints")
@strawberry.type(description="The decision day moved to a later stage of the SLA policy.")
class ComplaintExtension:
    complaint_id: strawberry.Private[int]
    stage: str = strawberry.field(description="The policy's stage, e.g. `EXTENDED`.")
    from_due_on: date = strawberry.field(description="The day due before.")
    due_on: date = strawberry.field(description="The day due after.")
    reason: str | None = strawberry.field(description="Why.", metadata=classes(DETAILS))
    approved_by: str | None = strawberry.field(description="The senior manager who approved it, where needed.")
    complainant_told_on: date | None = strawberry.field(description="When the complainant was told, where needed.")
    requested_at: datetime = strawberry.field(description="When it was requested.")
    requested_by: str = strawberry.field(description="Who requested it.")


@classified("complaints")
@strawberry.type(description="A compensation: proposed by one person, approved by another, then paid.")
class ComplaintCompensation(relay.Node):
    id: relay.NodeID[int]
    complaint_id: strawberry.Private[int]
    amount: Decimal | None = strawberry.field(description="How much.", metadata=classes("compensation"))
    currency: str | None = strawberry.field(description="In which currency.", metadata=classes("compensation"))
    reason: str | None = strawberry.field(description="Why.", metadata=classes(DETAILS))
    status: CompensationStatusEnum = strawberry.field(description="Where it is.")
    proposed_at: datetime = strawberry.field(description="When it was proposed.")
    proposed_by: str = strawberry.field(description="Who proposed it.")
    approved_at: datetime | None = strawberry.field(description="When it was approved.")
    approved_by: str | None = strawberry.field(description="Who approved it: never its proposer.")
    paid_on: date | None = strawberry.field(description="When it was paid.")
    paid_reference: str | None = strawberry.field(description="The payment's reference.")
    paid_by: str | None = strawberry.field(description="Who recorded the payment.")
    version: int = strawberry.field(description="Send it back to approve or pay (else CONFLICT).")


def compensation_of(row: Any) -> ComplaintCompensation:
    return from_row(ComplaintCompensation, row)


TRANSITIONS = Related("id", complaint_reads.transitions_of, lambda row, _: from_row(ComplaintTransition, row))
TEAM = Related("id", complaint_reads.team_of, lambda row, _: from_row(ComplaintTeamMember, row))
INVESTIGATIONS = Related("id", complaint_reads.investigations_of, lambda row, _: investigation_of(row))
PLANS = Related("id", complaint_reads.plans_of, lambda row, _: from_row(ComplaintPlan, row))
FEEDBACK = Related("id", complaint_reads.feedback_of, lambda row, _: from_row(ComplaintFeedback, row))
EXTENSIONS = Related("id", complaint_reads.extensions_of, lambda row, _: from_row(ComplaintExtension, row))
COMPENSATIONS = Related("id", complaint_reads.compensations_of, lambda row, _: compensation_of(row))

OPEN = Computed(("status",), lambda row, _: row.status.value != "closed")
EXTENDED = Computed(("sla_stage",), lambda row, _: row.sla_stage > 0)
DAYS_LEFT = Computed(("due_on", "decided_on"),
                     lambda row, ctx: None if row.decided_on is not None else (row.due_on - ctx.today).days)
BREACHED = Computed(
    ("due_on", "decided_on"),
    lambda row, ctx: row.decided_on > row.due_on if row.decided_on is not None else row.due_on < ctx.today,
)


@classified("complaints")
@strawberry.type(
    description="A complaint from intake to closure: who complains (a customer, or a party not yet one), about "
    "what, the decision day promised under the SLA policy, and where its handling is."
)
class Complaint(relay.Node):
    id: relay.NodeID[int]
    customer_id: strawberry.Private[int | None]
    status: ComplaintStatusEnum = strawberry.field(
        description="Where it is in its handling.",
        metadata=_complaint.column("status", "complaints", where=(ComplaintStatusComparison, "The state.")),
    )
    channel: ComplaintChannelEnum = strawberry.field(
        description="Where it came in.",
        metadata=_complaint.column("channel", "complaints", where=(ComplaintChannelComparison, "The channel.")),
    )
    channel_reference: str | None = strawberry.field(
        description="The channel's own reference (ticket, letter or referral number).", metadata=classes(DETAILS)
    )
    category: ComplaintCategoryEnum = strawberry.field(
        description="What it is about.",
        metadata=_complaint.column("category", "complaints", where=(ComplaintCategoryComparison, "The category.")),
    )
    branch_code: str = strawberry.field(
        description="The branch that owns it: the customer's, or where a non-customer's came in.",
        metadata=_complaint.column("branch_code", "complaints", where=(StringComparison, "The branch code.")),
    )
    complainant_name: str | None = strawberry.field(
        description="A party not yet a customer: its name (null for a customer's complaint).", metadata=classes(DETAILS)
    )
    complainant_credit_code: str | None = strawberry.field(
        description="A party not yet a customer: its unified social credit code.", metadata=classes(DETAILS)
    )
    complainant_contact: str | None = strawberry.field(
        description="A party not yet a customer: how to reach it.", metadata=classes(DETAILS)
    )
    matter: str | None = strawberry.field(description="What the complaint is about.", metadata=classes(DETAILS))
    request: str | None = strawberry.field(description="What the complainant asks for.", metadata=classes(DETAILS))
    evidence: list[str] | None = strawberry.field(
        description="References to the evidence given (documents, recordings).", metadata=classes(DETAILS)
    )
    received_at: datetime = strawberry.field(
        description="When it was received.",
        metadata=_complaint.column("received_at", "complaints", where=(DateTimeComparison, "When it was received."),
                                   sort=True),
    )
    received_on: date = strawberry.field(description="The lender's calendar day of receipt (not counted).")
    sla_policy: str = strawberry.field(description="The SLA policy its deadlines follow, e.g. `cn_2020`.")
    sla_stage: int = strawberry.field(description="0 for the first promise; one more per extension.")
    first_due_on: date = strawberry.field(description="The decision day first promised.")
    due_on: date = strawberry.field(
        description="The decision day promised now (later after an extension).",
        metadata=_complaint.column("due_on", "complaints", where=(DateComparison, "The decision day promised."),
                                   sort=True),
    )
    handler: str = strawberry.field(
        description="Who took it in (token `sub`).",
        metadata=_complaint.column("handler", "complaints", where=(StringComparison, "Who took it in.")),
    )
    root_cause: ComplaintCauseEnum | None = strawberry.field(
        description="The root cause the latest investigation found.",
        metadata=_complaint.column("root_cause", "complaints", where=(ComplaintCauseComparison, "The root cause.")),
    )
    lender_at_fault: bool | None = strawberry.field(description="Whether the plan found the lender at fault.")
    decided_at: datetime | None = strawberry.field(description="When the decision was first told (the first feedback).")
    decided_on: date | None = strawberry.field(description="The lender's day of the decision.")
    outcome: ComplaintOutcomeEnum | None = strawberry.field(
        description="How it ended; null while open.",
        metadata=_complaint.column("outcome", "complaints", where=(ComplaintOutcomeComparison, "The outcome.")),
    )
    reopened_count: int = strawberry.field(description="How many times it was reopened.")
    closed_at: datetime | None = strawberry.field(description="When it was closed; null while open.")
    version: int = strawberry.field(description="Changes with every step; send it back with the next (else CONFLICT).")
    created_at: datetime = strawberry.field(description="When it was recorded.")

    @strawberry.field(
        description="True until it is closed.",
        metadata=declare(OPEN, "complaints", filters=[_complaint.filter(
            "open", BooleanComparison, "Open (true) or closed (false).", complaint_reads.OPEN_FILTER)]),
    )
    def open(self) -> bool:
        return OPEN.value(self, None)  # type: ignore[no-any-return]

    @strawberry.field(
        description="True once the decision day was moved to a later stage of the SLA policy (`extensions`).",
        metadata=declare(EXTENDED, "complaints", filters=[_complaint.filter(
            "extended", BooleanComparison, "Extended (true) or not (false).", complaint_reads.EXTENDED_FILTER)]),
    )
    def extended(self) -> bool:
        return EXTENDED.value(self, None)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Days until the decision day (the lender's today; negative once past); null once decided.",
        metadata=declare(DAYS_LEFT, "complaints"),
    )
    def days_left(self, info: Info) -> int | None:
        return DAYS_LEFT.value(self, info.context)  # type: ignore[no-any-return]

    @strawberry.field(
        description="True when the decision came after the day promised, or is still to come and that day has passed.",
        metadata=declare(BREACHED, "complaints", filters=[_complaint.filter(
            "breached", BooleanComparison, "Past its deadline (true), or not (false).",
            complaint_reads.BREACHED_FILTER)]),
    )
    def breached(self, info: Info) -> bool:
        return BREACHED.value(self, info.context)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The customer complaining; null for a party not yet a customer.",
        metadata=declare(CUSTOMER, "complaints"),
    )
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.customer.types")] | None:
        return await looked_up(info, CUSTOMER, self)  # type: ignore[no-any-return]

    @strawberry.field(description="Every move, the intake first.", metadata=declare(TRANSITIONS, "complaints"))
    async def transitions(self, info: Info) -> list[ComplaintTransition] | None:
        return await related(info, TRANSITIONS, self)  # type: ignore[no-any-return]

    @strawberry.field(description="The investigation team.", metadata=declare(TEAM, "complaints"))
    async def team(self, info: Info) -> list[ComplaintTeamMember] | None:
        return await related(info, TEAM, self)  # type: ignore[no-any-return]

    @strawberry.field(description="Every investigation, the first first.", metadata=declare(INVESTIGATIONS, DETAILS))
    async def investigations(self, info: Info) -> list[ComplaintInvestigation] | None:
        return await related(info, INVESTIGATIONS, self)  # type: ignore[no-any-return]

    @strawberry.field(description="Every handling plan, the first first.", metadata=declare(PLANS, DETAILS))
    async def plans(self, info: Info) -> list[ComplaintPlan] | None:
        return await related(info, PLANS, self)  # type: ignore[no-any-return]

    @strawberry.field(description="Every feedback given, the first first.", metadata=declare(FEEDBACK, DETAILS))
    async def feedback(self, info: Info) -> list[ComplaintFeedback] | None:
        return await related(info, FEEDBACK, self)  # type: ignore[no-any-return]

    @strawberry.field(description="Every extension of the deadline.", metadata=declare(EXTENSIONS, "complaints"))
    async def extensions(self, info: Info) -> list[ComplaintExtension] | None:
        return await related(info, EXTENSIONS, self)  # type: ignore[no-any-return]

    @strawberry.field(description="Every compensation, the first first.", metadata=declare(COMPENSATIONS, "complaints"))
    async def compensations(self, info: Info) -> list[ComplaintCompensation] | None:
        return await related(info, COMPENSATIONS, self)  # type: ignore[no-any-return]


def complaint_of(row: Any) -> Complaint:
    return from_row(Complaint, row, evidence=list(row.evidence or ()))


COMPLAINT_READS = TypeReads.of(Complaint, node_id=_complaint.column("id", "complaints", sort=True)[METADATA_KEY])
