"""Changing the credit business: booking a facility with its schedule, recording repayments,
restructuring. Each re-classifies the borrower and re-grades it when its arrears or category changed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from api.services import facilities
from schema.context import Info
from schema.convert import input_dict
from schema.credit.types import CreditFacility, facility_of
from schema.errors import ConflictError, InvalidInputError, NotFoundError
from schema.ids import decode_global_id
from schema.mutation_runner import WriteSession, run_mutation


@strawberry.input(description="One installment of a repayment schedule.")
class InstallmentInput:
    due_on: date = strawberry.field(description="The day it falls due.")
    principal: Decimal = strawberry.field(description="Principal due (two decimal places at most).")
    interest: Decimal = strawberry.field(description="Interest due (two decimal places at most).")


@strawberry.input(description="A facility to book, with its repayment schedule.")
class BookCreditFacilityInput:
    customer_id: strawberry.ID = strawberry.field(description="The borrower (`Customer.id`).")
    reference: str = strawberry.field(description="The lender's reference of the facility (unique, 1–64 characters).")
    product: str = strawberry.field(description="The product (1–100 characters).")
    limit_amount: Decimal = strawberry.field(description="The limit granted (more than zero).")
    currency: str = strawberry.field(description="ISO 4217 code of every amount of the facility.")
    drawn_amount: Decimal = strawberry.field(description="The principal drawn: at most the limit.")
    start_on: date = strawberry.field(description="The day it started: not ahead of today.")
    maturity_on: date = strawberry.field(description="The day it matures: after it starts.")
    rate: Decimal = strawberry.field(description="Yearly interest rate as a fraction (`0.0435` is 4.35 %).")
    renewal_of_id: strawberry.ID | None = strawberry.field(
        default=None, description="The borrower's facility it renews (`CreditFacility.id`), if any.")
    application_id: strawberry.ID | None = strawberry.field(
        default=None, description="The APPROVED application it is booked from (`CreditApplication.id`), once: its "
        "currency, and a limit within the amount approved; none for a facility granted before it was recorded here.")
    schedule: list[InstallmentInput] = strawberry.field(
        default_factory=list,
        description="The repayment schedule: due days after the start and by maturity, each once; its principal "
        "adds up to the principal drawn (at most 600 installments).",
    )


@strawberry.input(description="A repayment received.")
class RecordRepaymentInput:
    facility_id: strawberry.ID = strawberry.field(description="The facility (`CreditFacility.id`).")
    paid_on: date = strawberry.field(description="The day it was received: not ahead of today.")
    amount: Decimal = strawberry.field(description="How much (more than zero), in the facility's currency.")
    reference: str = strawberry.field(
        description="The payment's reference (1–64 characters): a reference already on record is refused.")


@strawberry.input(description="A facility restructured: a new schedule for what is still owed.")
class RestructureCreditFacilityInput:
    id: strawberry.ID = strawberry.field(description="The facility (`CreditFacility.id`).")
    version: int = strawberry.field(description="The facility's version as last read.")
    restructured_on: date = strawberry.field(description="The day of restructuring: after the start, not ahead.")
    maturity_on: date = strawberry.field(description="The new maturity day.")
    reason: str = strawberry.field(description="Why (1–4000 characters).")
    schedule: list[InstallmentInput] = strawberry.field(
        description="The new schedule from the day of restructuring: its principal adds up to the principal "
        "outstanding that day, overdue installments included.")


@strawberry.type(description="The facility as it is now.")
class CreditFacilityPayload:
    credit_facility: CreditFacility | None = strawberry.field(
        description="The facility; null (with an error) for a caller who may not read credit information.")


CreditFacilityResult = Annotated[
    CreditFacilityPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("CreditFacilityResult", description="The facility after the change, or why nothing changed."),
]


Answer = CreditFacilityPayload | InvalidInputError | NotFoundError | ConflictError


async def _change(info: Info, step: Any, **arguments: Any) -> Answer:
    ctx = info.context

    async def act(session: WriteSession) -> CreditFacilityPayload:
        found = await step(session, principal=ctx.principal, scope=ctx.scope, today=ctx.today,
                           rules=ctx.settings.classification_rules(), regrade=ctx.regrader(), **arguments)
        return CreditFacilityPayload(credit_facility=facility_of(found))

    return await run_mutation(info, act)


@strawberry.type
class CreditMutation:
    @strawberry.mutation(
        description="Book a credit facility with its repayment schedule (one granted before it was recorded "
        "here); the borrower is classified and re-graded."
    )
    async def book_credit_facility(
        self, info: Info, input: Annotated[BookCreditFacilityInput, strawberry.argument(description="The facility.")]
    ) -> CreditFacilityResult:
        data = input_dict(input)
        customer_id = decode_global_id(data.pop("customer_id"), "Customer", "input.customerId")
        if data.get("renewal_of_id") is not None:
            data["renewal_of_id"] = decode_global_id(data["renewal_of_id"], "CreditFacility", "input.renewalOfId")
        if data.get("application_id") is not None:
            data["application_id"] = decode_global_id(data["application_id"], "CreditApplication",
                                                      "input.applicationId")
        return await _change(info, facilities.book_facility, customer_id=customer_id, data=data)

    @strawberry.mutation(
        description="Record a repayment received; the facility's arrears and category, and the borrower's "
        "classification, credit status and grade follow."
    )
    async def record_repayment(
        self, info: Info, input: Annotated[RecordRepaymentInput, strawberry.argument(description="The repayment.")]
    ) -> CreditFacilityResult:
        data = input_dict(input)
        facility_id = decode_global_id(data.pop("facility_id"), "CreditFacility", "input.facilityId")
        return await _change(info, facilities.record_repayment, facility_id=facility_id, data=data)

    @strawberry.mutation(
        description="Restructure a facility: a new schedule for the principal still owed; it stays at least "
        "SPECIAL_MENTION through the classification rules' observation period."
    )
    async def restructure_credit_facility(
        self, info: Info,
        input: Annotated[RestructureCreditFacilityInput, strawberry.argument(description="The restructuring.")],
    ) -> CreditFacilityResult:
        data = input_dict(input)
        facility_id = decode_global_id(data.pop("id"), "CreditFacility", "input.id")
        version = data.pop("version")
        return await _change(info, facilities.restructure, facility_id=facility_id, expected_version=version,
                             data=data)
