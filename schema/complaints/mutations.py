"""Complaint steps as mutations: each takes the complaint's ``id`` and ``version`` (else CONFLICT), moves
the state machine where it allows (else TransitionNotAllowedError) and writes nothing when refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from api.services import compensations, complaint_handling, complaints
from schema.complaints.enums import (
    ComplaintCategoryEnum,
    ComplaintCauseEnum,
    ComplaintChannelEnum,
    ComplaintOutcomeEnum,
    ExaminationKindEnum,
    TeamCapacityEnum,
)
from schema.complaints.types import Complaint, ComplaintCompensation, compensation_of, complaint_of
from schema.context import Context, Info
from schema.convert import input_dict
from schema.errors import ConflictError, InvalidInputError, NotFoundError, TransitionNotAllowedError
from schema.ids import decode_global_id
from schema.mutation_runner import WriteSession, run_mutation

_LONG = "1–4000 characters."
_VERSION = "The complaint's `version` you read (else CONFLICT)."


@strawberry.input(description="A party not yet a customer.")
class ComplainantInput:
    name: str = strawberry.field(description="Its name (1–200 characters).")
    credit_code: str = strawberry.field(description="Its unified social credit code (18 characters, checked).")
    contact: str = strawberry.field(description="How to reach it (1–200 characters).")


@strawberry.input(description="A complaint as received: the customer, or a party not yet a customer.")
class FileComplaintInput:
    customer_id: strawberry.ID | None = strawberry.field(default=None, description="The customer (`Customer.id`).")
    complainant: ComplainantInput | None = strawberry.field(
        default=None, description="A party not yet a customer (instead of `customerId`)."
    )
    branch_code: str | None = strawberry.field(
        default=None, description="For a non-customer: the branch it came in at. A customer's is the customer's."
    )
    channel: ComplaintChannelEnum = strawberry.field(description="Where it came in.")
    channel_reference: str | None = strawberry.field(default=None, description="The channel's reference.")
    category: ComplaintCategoryEnum = strawberry.field(description="What it is about.")
    matter: str = strawberry.field(description=f"The matter complained about ({_LONG})")
    request: str | None = strawberry.field(default=None, description=f"What the complainant asks for ({_LONG})")
    evidence: list[str] = strawberry.field(
        default_factory=list, description="References to the evidence (at most 20, 1–200 characters each)."
    )
    received_at: datetime = strawberry.field(
        description="When it was received, with its time zone; not in the future. The decision day is promised from "
        "the lender's calendar day of it."
    )


@strawberry.input(description="A member of the investigation team.")
class TeamMemberInput:
    username: str = strawberry.field(description="A staff member's username.")
    capacity: TeamCapacityEnum = strawberry.field(description="Credit staff or risk expert.")


@strawberry.input(description="Start (or restart) the investigation.")
class StartComplaintInvestigationInput:
    id: strawberry.ID = strawberry.field(description="The complaint (`Complaint.id`).")
    version: int = strawberry.field(description=_VERSION)
    team: list[TeamMemberInput] = strawberry.field(
        default_factory=list,
        description="The team: at least one CREDIT and one RISK member, none of whom handled the matter (the "
        "customer's relationship manager or anyone who recorded a contact with it). Leave empty on a "
        "re-investigation to keep the team.",
    )
    note: str | None = strawberry.field(default=None, description=f"A note ({_LONG})")


@strawberry.input(description="One thing examined.")
class ExaminationInput:
    kind: ExaminationKindEnum = strawberry.field(description="Files, a talk or a site visit.")
    description: str = strawberry.field(description=f"What, with whom or where ({_LONG})")
    on: date = strawberry.field(description="The day: between receipt and today.")


@strawberry.input(description="What the investigation examined and found.")
class RecordComplaintFindingsInput:
    id: strawberry.ID = strawberry.field(description="The complaint (`Complaint.id`).")
    version: int = strawberry.field(description=_VERSION)
    examined: list[ExaminationInput] = strawberry.field(description="What was examined (1–50).")
    findings: str = strawberry.field(description=f"What was found ({_LONG})")
    root_cause: ComplaintCauseEnum = strawberry.field(description="The root cause.")


@strawberry.input(description="The handling plan.")
class AgreeComplaintPlanInput:
    id: strawberry.ID = strawberry.field(description="The complaint (`Complaint.id`).")
    version: int = strawberry.field(description=_VERSION)
    department: str = strawberry.field(description="The responsible department (1–200 characters).")
    responsible_username: str = strawberry.field(description="The responsible person (a staff member's username).")
    measures: str = strawberry.field(description=f"The measures ({_LONG})")
    deadline: date = strawberry.field(description="The plan's deadline: today or later.")
    lender_at_fault: bool = strawberry.field(description="Whether the lender was at fault (compensation may follow).")
    note: str | None = strawberry.field(default=None, description=f"A note ({_LONG})")


@strawberry.input(description="The result told to the complainant, and their response.")
class GiveComplaintFeedbackInput:
    id: strawberry.ID = strawberry.field(description="The complaint (`Complaint.id`).")
    version: int = strawberry.field(description=_VERSION)
    explanation: str = strawberry.field(description=f"What they were told ({_LONG})")
    response: str | None = strawberry.field(default=None, description=f"What they answered ({_LONG})")
    satisfied: bool = strawberry.field(description="Whether they were satisfied.")


@strawberry.input(description="Close the complaint.")
class CloseComplaintInput:
    id: strawberry.ID = strawberry.field(description="The complaint (`Complaint.id`).")
    version: int = strawberry.field(description=_VERSION)
    outcome: ComplaintOutcomeEnum = strawberry.field(description="How it ended.")
    note: str | None = strawberry.field(
        default=None,
        description=f"Required when the complainant was not satisfied: the final position and remedies left ({_LONG})",
    )


@strawberry.input(description="A step that needs a reason (reopen, escalate).")
class ComplaintReasonInput:
    id: strawberry.ID = strawberry.field(description="The complaint (`Complaint.id`).")
    version: int = strawberry.field(description=_VERSION)
    reason: str = strawberry.field(description=f"Why ({_LONG})")


@strawberry.input(description="Move the decision day to the SLA policy's next stage.")
class ExtendComplaintDeadlineInput:
    id: strawberry.ID = strawberry.field(description="The complaint (`Complaint.id`).")
    version: int = strawberry.field(description=_VERSION)
    reason: str = strawberry.field(description=f"Why the case needs longer ({_LONG})")
    approved_by: str | None = strawberry.field(
        default=None, description="Where the stage needs it: the senior manager who approved (not you)."
    )
    complainant_told_on: date | None = strawberry.field(
        default=None, description="Where the stage needs it: when the complainant was told."
    )


@strawberry.input(description="A compensation proposed.")
class ProposeComplaintCompensationInput:
    complaint_id: strawberry.ID = strawberry.field(description="The complaint (`Complaint.id`).")
    version: int = strawberry.field(description=_VERSION)
    amount: Decimal = strawberry.field(description="How much (more than 0, at most 2 decimals).")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY.")
    reason: str = strawberry.field(description=f"Why ({_LONG})")


@strawberry.input(description="A step on a compensation (approve, withdraw).")
class ComplaintCompensationStepInput:
    id: strawberry.ID = strawberry.field(description="The compensation (`ComplaintCompensation.id`).")
    version: int = strawberry.field(description="Its `version` you read (else CONFLICT).")


@strawberry.input(description="An approved compensation paid.")
class RecordComplaintCompensationPaidInput:
    id: strawberry.ID = strawberry.field(description="The compensation (`ComplaintCompensation.id`).")
    version: int = strawberry.field(description="Its `version` you read (else CONFLICT).")
    paid_on: date = strawberry.field(description="When it was paid: not after today.")
    reference: str = strawberry.field(description="The payment's reference (1–100 characters).")


@strawberry.type(description="The complaint after the step.")
class ComplaintPayload:
    complaint: Complaint | None = strawberry.field(
        description="The complaint; null (with an error) for a caller who may not read complaints."
    )


@strawberry.type(description="The compensation after the step.")
class ComplaintCompensationPayload:
    compensation: ComplaintCompensation | None = strawberry.field(
        description="The compensation; null (with an error) for a caller who may not read compensations."
    )


ComplaintResult = Annotated[
    ComplaintPayload | InvalidInputError | NotFoundError | ConflictError | TransitionNotAllowedError,
    strawberry.union("ComplaintResult", description="The complaint after the step, or why nothing changed."),
]
ComplaintCompensationResult = Annotated[
    ComplaintCompensationPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("ComplaintCompensationResult", description="The compensation after the step, or why nothing "
                     "changed."),
]
Step = Callable[..., Awaitable[Any]]


Answer = ComplaintPayload | InvalidInputError | NotFoundError | ConflictError | TransitionNotAllowedError
CompensationAnswer = ComplaintCompensationPayload | InvalidInputError | NotFoundError | ConflictError


async def _step(info: Info, input: Any, step: Step, **extra: Callable[[Context], Any]) -> Answer:
    """Run ``step`` on the complaint ``input`` names at the version it gives, with the rest of the input."""
    data = input_dict(input)
    raw_id, version = data.pop("id"), data.pop("version")
    ctx = info.context

    async def act(session: WriteSession) -> ComplaintPayload:
        key = decode_global_id(raw_id, "Complaint", "input.id")
        found = await step(session, principal=ctx.principal, scope=ctx.scope, complaint_id=key,
                           expected_version=version, data=data, **{k: v(ctx) for k, v in extra.items()})
        return ComplaintPayload(complaint=complaint_of(found))

    return await run_mutation(info, act)


async def _compensation_step(info: Info, input: Any, step: Step, **extra: Any) -> CompensationAnswer:
    ctx = info.context

    async def act(session: WriteSession) -> ComplaintCompensationPayload:
        key = decode_global_id(input.id, "ComplaintCompensation", "input.id")
        found = await step(session, principal=ctx.principal, scope=ctx.scope, compensation_id=key,
                           expected_version=input.version, **extra)
        return ComplaintCompensationPayload(compensation=compensation_of(found))

    return await run_mutation(info, act)


def _today(ctx: Context) -> date:
    return ctx.today


def _timezone(ctx: Context) -> str:
    return ctx.settings.timezone


@strawberry.type
class ComplaintMutation:
    @strawberry.mutation(
        description="Take a complaint in: the decision day is promised under the SLA policy in force, from the "
        "lender's calendar day of receipt (that day not counted)."
    )
    async def file_complaint(
        self, info: Info, input: Annotated[FileComplaintInput, strawberry.argument(description="The complaint.")]
    ) -> ComplaintResult:
        data = input_dict(input)
        ctx = info.context

        async def act(session: WriteSession) -> ComplaintPayload:
            if data.get("customer_id") is not None:
                data["customer_id"] = decode_global_id(data["customer_id"], "Customer", "input.customerId")
            settings = ctx.settings
            found = await complaints.file_complaint(
                session, principal=ctx.principal, scope=ctx.scope, data=data,
                policy=settings.sla_policies()[settings.complaint_sla], timezone=settings.timezone,
            )
            return ComplaintPayload(complaint=complaint_of(found))

        return await run_mutation(info, act)

    @strawberry.mutation(description="Appoint the investigation team and start investigating (RECEIVED, REOPENED, "
                         "ESCALATED or FEEDBACK_GIVEN → INVESTIGATING).")
    async def start_complaint_investigation(
        self, info: Info,
        input: Annotated[StartComplaintInvestigationInput, strawberry.argument(description="The team.")],
    ) -> ComplaintResult:
        return await _step(info, input, complaint_handling.start_investigation)

    @strawberry.mutation(description="Record what the investigation examined and found, and the root cause "
                         "(while INVESTIGATING).")
    async def record_complaint_findings(
        self, info: Info, input: Annotated[RecordComplaintFindingsInput, strawberry.argument(description="Findings.")]
    ) -> ComplaintResult:
        return await _step(info, input, complaint_handling.record_findings, today=_today)

    @strawberry.mutation(description="Agree the handling plan (INVESTIGATING → PLAN_AGREED; findings first).")
    async def agree_complaint_plan(
        self, info: Info, input: Annotated[AgreeComplaintPlanInput, strawberry.argument(description="The plan.")]
    ) -> ComplaintResult:
        return await _step(info, input, complaint_handling.agree_plan, today=_today)

    @strawberry.mutation(description="Tell the complainant the result, or explain further, with their response "
                         "(PLAN_AGREED or FEEDBACK_GIVEN → FEEDBACK_GIVEN). The first feedback is the decision.")
    async def give_complaint_feedback(
        self, info: Info, input: Annotated[GiveComplaintFeedbackInput, strawberry.argument(description="Feedback.")]
    ) -> ComplaintResult:
        return await _step(info, input, complaint_handling.give_feedback, timezone=_timezone)

    @strawberry.mutation(description="Close the complaint (FEEDBACK_GIVEN → CLOSED): no compensation left unpaid.")
    async def close_complaint(
        self, info: Info, input: Annotated[CloseComplaintInput, strawberry.argument(description="The outcome.")]
    ) -> ComplaintResult:
        return await _step(info, input, complaint_handling.close)

    @strawberry.mutation(description="Reopen a closed complaint (CLOSED → REOPENED).")
    async def reopen_complaint(
        self, info: Info, input: Annotated[ComplaintReasonInput, strawberry.argument(description="Why.")]
    ) -> ComplaintResult:
        return await _step(info, input, complaint_handling.reopen)

    @strawberry.mutation(description="Escalate an open complaint (→ ESCALATED).")
    async def escalate_complaint(
        self, info: Info, input: Annotated[ComplaintReasonInput, strawberry.argument(description="Why.")]
    ) -> ComplaintResult:
        return await _step(info, input, complaint_handling.escalate)

    @strawberry.mutation(description="Move the decision day to the SLA policy's next stage, with what that stage "
                         "needs (a reason; for some, a senior approval and the complainant told).")
    async def extend_complaint_deadline(
        self, info: Info, input: Annotated[ExtendComplaintDeadlineInput, strawberry.argument(description="Why.")]
    ) -> ComplaintResult:
        return await _step(info, input, complaints.extend_deadline, today=_today,
                           policies=lambda ctx: ctx.settings.sla_policies())

    @strawberry.mutation(description="Propose a compensation on a complaint whose plan found the lender at fault.")
    async def propose_complaint_compensation(
        self, info: Info,
        input: Annotated[ProposeComplaintCompensationInput, strawberry.argument(description="The compensation.")],
    ) -> ComplaintCompensationResult:
        data = input_dict(input)
        raw_id, version = data.pop("complaint_id"), data.pop("version")
        ctx = info.context

        async def act(session: WriteSession) -> ComplaintCompensationPayload:
            key = decode_global_id(raw_id, "Complaint", "input.complaintId")
            _, found = await compensations.propose(session, principal=ctx.principal, scope=ctx.scope,
                                                   complaint_id=key, expected_version=version, data=data)
            return ComplaintCompensationPayload(compensation=compensation_of(found))

        return await run_mutation(info, act)

    @strawberry.mutation(description="Approve a proposed compensation: a second person, never its proposer.")
    async def approve_complaint_compensation(
        self, info: Info, input: Annotated[ComplaintCompensationStepInput, strawberry.argument(description="Which.")]
    ) -> ComplaintCompensationResult:
        return await _compensation_step(info, input, compensations.approve)

    @strawberry.mutation(description="Withdraw a compensation not yet paid.")
    async def withdraw_complaint_compensation(
        self, info: Info, input: Annotated[ComplaintCompensationStepInput, strawberry.argument(description="Which.")]
    ) -> ComplaintCompensationResult:
        return await _compensation_step(info, input, compensations.withdraw)

    @strawberry.mutation(description="Record an approved compensation as paid.")
    async def record_complaint_compensation_paid(
        self, info: Info,
        input: Annotated[RecordComplaintCompensationPaidInput, strawberry.argument(description="The payment.")],
    ) -> ComplaintCompensationResult:
        data = {"paid_on": input.paid_on, "reference": input.reference}
        return await _compensation_step(info, input, compensations.record_paid, data=data, today=info.context.today)
