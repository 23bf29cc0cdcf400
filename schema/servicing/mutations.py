"""Recording service contacts, correcting them (new versions) and closing their follow-ups."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.services import servicing
from schema.context import Info
from schema.convert import input_dict
from schema.errors import ConflictError, InvalidInputError, NotFoundError
from schema.ids import decode_global_id
from schema.mutation_runner import run_mutation
from schema.reference import InfoGroupEnum
from schema.servicing.types import (
    ServiceChannelEnum,
    ServiceFollowUp,
    ServiceKindEnum,
    ServiceRecord,
    ServiceStageEnum,
    follow_up_of,
    service_record_of,
)

if TYPE_CHECKING:
    from schema.customer.types import Customer

_LONG = "1–4000 characters."


@strawberry.input(description="An action agreed in the contact.")
class FollowUpInput:
    action: str = strawberry.field(description=f"What is to be done ({_LONG})")
    owner_username: str = strawberry.field(description="The staff member who owns it (their username).")
    due_on: date = strawberry.field(description="When it falls due: on or after the day of the contact.")


@strawberry.input(description="What a contact was; a correction gives all of it again.")
class ServiceContactFields:
    stage: ServiceStageEnum = strawberry.field(description="Pre-loan, in-loan or post-loan.")
    kind: ServiceKindEnum = strawberry.field(description="What kind of contact it was.")
    channel: ServiceChannelEnum = strawberry.field(description="How it was made.")
    occurred_at: datetime = strawberry.field(description="When it happened, with its time zone; not in the future.")
    participants: list[str] = strawberry.field(
        default_factory=list, description="Who took part on both sides (at most 20, 1–200 characters each)."
    )
    summary: str = strawberry.field(description=f"What was discussed or done ({_LONG})")
    outcome: str | None = strawberry.field(default=None, description=f"What came of it ({_LONG})")
    satisfaction: int | None = strawberry.field(
        default=None, description="The customer's satisfaction, 1 (low) to 5 (high), if asked."
    )
    verified: list[InfoGroupEnum] = strawberry.field(
        default_factory=list,
        description="For a REVISIT or SITE_VISIT: the information groups (BASIC, FINANCIAL, OPERATING, CREDIT) "
        "confirmed as current, which refreshes their verified day; financial information confirmed current "
        "is not stale.",
    )


@strawberry.input(description="A contact with a customer.")
class RecordServiceContactInput(ServiceContactFields):
    customer_id: strawberry.ID = strawberry.field(description="The customer (`Customer.id`).")
    follow_ups: list[FollowUpInput] = strawberry.field(
        default_factory=list, description="The actions agreed (at most 20)."
    )


@strawberry.input(description="A correction: the contact's fields as they should read, and why.")
class CorrectServiceContactInput(ServiceContactFields):
    id: strawberry.ID = strawberry.field(description="The contact (`ServiceRecord.id`).")
    version: int = strawberry.field(description="The contact's `version` you corrected (else CONFLICT).")
    reason: str = strawberry.field(description=f"Why it is corrected ({_LONG})")


@strawberry.input(description="A follow-up done.")
class CompleteServiceFollowUpInput:
    id: strawberry.ID = strawberry.field(description="The follow-up (`ServiceFollowUp.id`).")
    note: str | None = strawberry.field(default=None, description=f"What was done ({_LONG})")


@strawberry.type(description="The contact as recorded, and its customer's revisit schedule after it.")
class ServiceRecordPayload:
    service_record: ServiceRecord | None = strawberry.field(
        description="The contact, its newest version; null (with an error) for a caller who may not read contacts."
    )
    customer: Annotated[Customer, strawberry.lazy("schema.customer.types")] = strawberry.field(
        description="The customer: its next revisit and verified days may have moved."
    )


@strawberry.type(description="The follow-up as it is now.")
class ServiceFollowUpPayload:
    follow_up: ServiceFollowUp | None = strawberry.field(
        description="The follow-up, done; null (with an error) for a caller who may not read follow-ups."
    )


ServiceRecordResult = Annotated[
    ServiceRecordPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("ServiceRecordResult", description="The recorded contact, or why nothing changed."),
]
ServiceFollowUpResult = Annotated[
    ServiceFollowUpPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("ServiceFollowUpResult", description="The follow-up done, or why nothing changed."),
]


def _payload(result: tuple[Any, Any]) -> ServiceRecordPayload:
    from schema.customer.types import Customer

    customer, record = result
    return ServiceRecordPayload(service_record=service_record_of(record), customer=Customer.from_row(customer))


@strawberry.type
class ServicingMutation:
    @strawberry.mutation(
        description="Record a contact with a customer: before, during or after a loan, with the follow-ups agreed. "
        "A REVISIT restarts the customer's revisit schedule from its day."
    )
    async def record_service_contact(
        self, info: Info, input: Annotated[RecordServiceContactInput, strawberry.argument(description="The contact.")]
    ) -> ServiceRecordResult:
        data = input_dict(input)
        raw_id = data.pop("customer_id")
        ctx = info.context

        async def act(session: AsyncSession) -> ServiceRecordPayload:
            customer_id = decode_global_id(raw_id, "Customer", "input.customerId")
            return _payload(await servicing.record_contact(
                session, principal=ctx.principal, scope=ctx.scope, customer_id=customer_id, data=data,
                timezone=ctx.settings.timezone,
            ))

        return await run_mutation(info, act)

    @strawberry.mutation(
        description="Correct a contact: a new version with the reason; every earlier version stays readable."
    )
    async def correct_service_contact(
        self, info: Info,
        input: Annotated[CorrectServiceContactInput, strawberry.argument(description="The corrected contact.")],
    ) -> ServiceRecordResult:
        data = input_dict(input)
        raw_id, version = data.pop("id"), data.pop("version")
        ctx = info.context

        async def act(session: AsyncSession) -> ServiceRecordPayload:
            record_id = decode_global_id(raw_id, "ServiceRecord", "input.id")
            return _payload(await servicing.correct_contact(
                session, principal=ctx.principal, scope=ctx.scope, record_id=record_id, expected_version=version,
                data=data, timezone=ctx.settings.timezone,
            ))

        return await run_mutation(info, act)

    @strawberry.mutation(description="Mark a follow-up done, saying what was done.")
    async def complete_service_follow_up(
        self, info: Info,
        input: Annotated[CompleteServiceFollowUpInput, strawberry.argument(description="The follow-up.")],
    ) -> ServiceFollowUpResult:
        ctx = info.context

        async def act(session: AsyncSession) -> ServiceFollowUpPayload:
            follow_up_id = decode_global_id(input.id, "ServiceFollowUp", "input.id")
            found = await servicing.complete_follow_up(
                session, principal=ctx.principal, scope=ctx.scope, follow_up_id=follow_up_id, note=input.note,
            )
            return ServiceFollowUpPayload(follow_up=follow_up_of(found))

        return await run_mutation(info, act)
