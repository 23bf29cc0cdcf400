"""Moving a credit application: submitted, taken for review, approved (against its treatment only with
an exception reason), rejected or withdrawn; and telling the customer how it progresses (a service
record)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from api.db.enums import ServiceKind, ServiceStage
from api.services import applications, servicing
from schema.context import Info
from schema.convert import input_dict
from schema.credit.applications import CreditApplication, application_of
from schema.errors import ConflictError, InvalidInputError, NotFoundError
from schema.ids import decode_global_id
from schema.mutation_runner import WriteSession, run_mutation
from schema.servicing.types import ServiceChannelEnum, ServiceRecord, service_record_of

_LONG = "1–4000 characters"


@strawberry.input(description="Collateral offered.")
class CollateralInput:
    kind: str = strawberry.field(description="What it is, e.g. `real_estate` (1–50 characters).")
    description: str = strawberry.field(description="Which asset (1–200 characters).")
    value: Decimal = strawberry.field(description="Its value in the application's currency.")


@strawberry.input(description="A guarantee offered.")
class GuaranteeOfferInput:
    guarantor: str = strawberry.field(description="Who guarantees (1–200 characters).")
    amount: Decimal = strawberry.field(description="Up to how much, in the application's currency.")


@strawberry.input(description="A credit application.")
class SubmitCreditApplicationInput:
    customer_id: strawberry.ID = strawberry.field(description="The applicant (`Customer.id`).")
    product: str = strawberry.field(description="The product applied for (1–100 characters).")
    amount: Decimal = strawberry.field(description="The amount applied for (more than zero).")
    currency: str = strawberry.field(description="ISO 4217 code.")
    term_months: int = strawberry.field(description="The term, in months (1–600).")
    purpose: str = strawberry.field(description=f"What the credit is for ({_LONG}).")
    collateral: list[CollateralInput] = strawberry.field(default_factory=list, description="Collateral offered.")
    guarantees: list[GuaranteeOfferInput] = strawberry.field(default_factory=list, description="Guarantees offered.")
    received_on: date | None = strawberry.field(
        default=None, description="The lender's day it came in (default today; not ahead): the approval deadline "
        "counts from it, in calendar days.")


@strawberry.input(description="An application taken for review.")
class ReviewCreditApplicationInput:
    id: strawberry.ID = strawberry.field(description="The application (`CreditApplication.id`), SUBMITTED.")
    version: int = strawberry.field(description="Its version as last read.")


@strawberry.input(description="An application approved.")
class ApproveCreditApplicationInput:
    id: strawberry.ID = strawberry.field(description="The application (`CreditApplication.id`), UNDER_REVIEW.")
    version: int = strawberry.field(description="Its version as last read.")
    approved_amount: Decimal = strawberry.field(description="The amount approved: at most the amount applied for.")
    approved_rate: Decimal = strawberry.field(description="The yearly rate approved, as a fraction.")
    note: str | None = strawberry.field(default=None, description=f"What is said with the approval ({_LONG}).")
    exception_reason: str | None = strawberry.field(
        default=None, description="Why it is approved against its grade's treatment (above the exposure cap, "
        f"without the mitigation required, or for an applicant not graded): required then ({_LONG}).")


@strawberry.input(description="An application rejected or withdrawn.")
class DecideCreditApplicationInput:
    id: strawberry.ID = strawberry.field(description="The application (`CreditApplication.id`).")
    version: int = strawberry.field(description="Its version as last read.")
    reason: str = strawberry.field(description=f"Why ({_LONG}).")


@strawberry.input(description="The customer told how their application progresses.")
class CommunicateApplicationProgressInput:
    id: strawberry.ID = strawberry.field(description="The application (`CreditApplication.id`).")
    channel: ServiceChannelEnum = strawberry.field(description="How the customer was told.")
    occurred_at: datetime = strawberry.field(description="When, with its time zone; not in the future.")
    summary: str = strawberry.field(description=f"What they were told ({_LONG}).")


@strawberry.type(description="The application as it is now.")
class CreditApplicationPayload:
    credit_application: CreditApplication | None = strawberry.field(
        description="The application; null (with an error) for a caller who may not read credit information.")


@strawberry.type(description="The service record of the communication, and the application.")
class ApplicationProgressPayload:
    service_record: ServiceRecord | None = strawberry.field(description="The contact, kind APPROVAL_PROGRESS.")
    credit_application: CreditApplication | None = strawberry.field(description="The application.")


CreditApplicationResult = Annotated[
    CreditApplicationPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("CreditApplicationResult", description="The application after the step, or why nothing "
                     "changed (a step its state does not allow is InvalidInputError at `input.id`, naming the state)."),
]
ApplicationProgressResult = Annotated[
    ApplicationProgressPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("ApplicationProgressResult", description="The contact recorded, or why not."),
]
Answer = CreditApplicationPayload | InvalidInputError | NotFoundError | ConflictError


async def _step(info: Info, input: Any, step: Any, *, dated: bool = True) -> Answer:
    ctx = info.context
    data = input_dict(input)
    application_id = decode_global_id(data.pop("id"), "CreditApplication", "input.id")
    version = data.pop("version")
    extra = {"data": data, "today": ctx.today} if dated else {}

    async def act(session: WriteSession) -> CreditApplicationPayload:
        found = await step(session, principal=ctx.principal, scope=ctx.scope, application_id=application_id,
                           expected_version=version, **extra)
        return CreditApplicationPayload(credit_application=application_of(found))

    return await run_mutation(info, act)


@strawberry.type
class ApplicationMutation:
    @strawberry.mutation(
        description="Submit a credit application: its approval deadline comes from the applicant's grade, and a "
        "premium grade takes the green channel."
    )
    async def submit_credit_application(
        self, info: Info,
        input: Annotated[SubmitCreditApplicationInput, strawberry.argument(description="The application.")],
    ) -> CreditApplicationResult:
        ctx = info.context
        data = input_dict(input)
        customer_id = decode_global_id(data.pop("customer_id"), "Customer", "input.customerId")

        async def act(session: WriteSession) -> CreditApplicationPayload:
            found = await applications.submit(session, principal=ctx.principal, scope=ctx.scope,
                                              customer_id=customer_id, data=data, today=ctx.today)
            return CreditApplicationPayload(credit_application=application_of(found))

        return await run_mutation(info, act)

    @strawberry.mutation(description="Take a SUBMITTED application for review: you become its reviewer.")
    async def review_credit_application(
        self, info: Info, input: Annotated[ReviewCreditApplicationInput, strawberry.argument(description="Which.")]
    ) -> CreditApplicationResult:
        return await _step(info, input, applications.start_review, dated=False)

    @strawberry.mutation(
        description="Approve an application UNDER_REVIEW; against its grade's treatment only with an exception "
        "reason. It can then be booked as a facility (`bookCreditFacility` with its `applicationId`)."
    )
    async def approve_credit_application(
        self, info: Info,
        input: Annotated[ApproveCreditApplicationInput, strawberry.argument(description="The approval.")],
    ) -> CreditApplicationResult:
        return await _step(info, input, applications.approve)

    @strawberry.mutation(description="Reject an application UNDER_REVIEW, with the reason.")
    async def reject_credit_application(
        self, info: Info, input: Annotated[DecideCreditApplicationInput, strawberry.argument(description="Why.")]
    ) -> CreditApplicationResult:
        return await _step(info, input, applications.reject)

    @strawberry.mutation(description="Withdraw an open application at the applicant's request, with the reason.")
    async def withdraw_credit_application(
        self, info: Info, input: Annotated[DecideCreditApplicationInput, strawberry.argument(description="Why.")]
    ) -> CreditApplicationResult:
        return await _step(info, input, applications.withdraw)

    @strawberry.mutation(
        description="Record that the customer was told how their application progresses: an in-loan service "
        "contact of kind APPROVAL_PROGRESS."
    )
    async def communicate_application_progress(
        self, info: Info,
        input: Annotated[CommunicateApplicationProgressInput, strawberry.argument(description="The contact.")],
    ) -> ApplicationProgressResult:
        ctx = info.context
        application_id = decode_global_id(input.id, "CreditApplication", "input.id")

        async def act(session: WriteSession) -> ApplicationProgressPayload:
            application = await applications.application_in_scope(session, application_id, ctx.scope,
                                                                   expected_version=None)
            data = {"stage": ServiceStage.IN_LOAN, "kind": ServiceKind.APPROVAL_PROGRESS, "channel": input.channel,
                    "occurred_at": input.occurred_at, "summary": input.summary,
                    "outcome": f"Application #{application.id} ({application.product}): {application.status.name}"}
            _, record = await servicing.record_contact(
                session, principal=ctx.principal, scope=ctx.scope, customer_id=application.customer_id, data=data,
                timezone=ctx.settings.timezone)
            return ApplicationProgressPayload(service_record=service_record_of(record),
                                              credit_application=application_of(application))

        return await run_mutation(info, act)
