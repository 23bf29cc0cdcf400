"""Changing customers. Each mutation returns its payload or a typed error; errors write nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from api.principal import Principal
from api.services import customers, information
from schema.context import Info
from schema.convert import from_row, input_dict
from schema.customer.information_types import FinancialStatement
from schema.customer.inputs import (
    BasicInformationInput,
    CreateCustomerInput,
    CreditInformationInput,
    FinancialStatementInput,
    MajorInvestmentInput,
    OperatingInformationInput,
    SetCreditStatusInput,
    UpdateCustomerInput,
)
from schema.customer.types import Customer
from schema.errors import ConflictError, InvalidInputError, NotFoundError
from schema.ids import decode_global_id
from schema.mutation_runner import ErrorMember, run_mutation


@strawberry.type(description="The customer after the change.")
class CustomerPayload:
    customer: Customer


@strawberry.type(description="The statement was recorded; the customer's size was re-derived.")
class FinancialStatementPayload:
    customer: Customer
    statement: FinancialStatement


CustomerResult = Annotated[
    CustomerPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("CustomerResult", description="The changed customer, or why nothing changed."),
]
FinancialStatementResult = Annotated[
    FinancialStatementPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("FinancialStatementResult", description="The recorded statement, or why nothing changed."),
]

Change = Callable[..., Awaitable[Any]]


def customer_payload(row: Any) -> CustomerPayload:
    return CustomerPayload(customer=Customer.from_row(row))


def statement_payload(result: tuple[Any, Any]) -> FinancialStatementPayload:
    row, statement = result
    return FinancialStatementPayload(
        customer=Customer.from_row(row), statement=from_row(FinancialStatement, statement)
    )


async def _change(
    info: Info, input: Any, id_field: str, change: Change,
    present: Callable[[Any], Any] = customer_payload, **extra: Any,
) -> ErrorMember:
    """Apply ``change`` to the customer named by ``input.<id_field>`` at ``input.version``."""
    data = input_dict(input)
    raw_id = data.pop(id_field)
    version = data.pop("version")

    async def act(session: AsyncSession) -> Any:
        customer_id = decode_global_id(raw_id, "Customer", f"input.{to_camel(id_field)}")
        result = await change(
            session, principal=info.context.principal, scope=info.context.scope, customer_id=customer_id,
            expected_version=version, data=data, **extra,
        )
        return present(result)

    return await run_mutation(info, act)


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(description="Register a customer.")
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> CustomerResult:
        principal: Principal = info.context.principal

        async def act(session: AsyncSession) -> CustomerPayload:
            return customer_payload(
                await customers.create_customer(
                    session, principal=principal, scope=info.context.scope, data=input_dict(input)
                )
            )

        return await run_mutation(info, act)

    @strawberry.mutation(description="Change name, industry, branch or relationship manager.")
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> CustomerResult:
        return await _change(info, input, "id", customers.update_customer)

    @strawberry.mutation(description="Set the credit status with its basis (R-C3).")
    async def set_credit_status(self, info: Info, input: SetCreditStatusInput) -> CustomerResult:
        return await _change(info, input, "customer_id", customers.set_credit_status)

    @strawberry.mutation(description="Record basic information (R-I1).")
    async def record_basic_information(self, info: Info, input: BasicInformationInput) -> CustomerResult:
        return await _change(info, input, "customer_id", information.record_basic_information)

    @strawberry.mutation(description="Record one period's financial statements (R-I1); re-derives size.")
    async def record_financial_statement(self, info: Info, input: FinancialStatementInput) -> FinancialStatementResult:
        return await _change(
            info, input, "customer_id", information.record_financial_statement, statement_payload,
            regrade=info.context.regrader(),
        )

    @strawberry.mutation(description="Record operating information (R-I1).")
    async def record_operating_information(self, info: Info, input: OperatingInformationInput) -> CustomerResult:
        return await _change(info, input, "customer_id", information.record_operating_information)

    @strawberry.mutation(description="Record a major investment: a major change (R-I2).")
    async def record_major_investment(self, info: Info, input: MajorInvestmentInput) -> CustomerResult:
        return await _change(info, input, "customer_id", information.record_major_investment)

    @strawberry.mutation(description="Record credit information, credit events and guarantees (R-I1).")
    async def record_credit_information(self, info: Info, input: CreditInformationInput) -> CustomerResult:
        return await _change(
            info, input, "customer_id", information.record_credit_information, regrade=info.context.regrader()
        )
