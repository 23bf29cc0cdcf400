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
from schema.data_classes import classes
from schema.errors import ConflictError, InvalidInputError, NotFoundError
from schema.ids import decode_global_id
from schema.mutation_runner import ErrorMember, run_mutation


@strawberry.type(description="The customer after the change.")
class CustomerPayload:
    customer: Customer = strawberry.field(description="The customer as it is now, with its new `version`.")


@strawberry.type(description="The statement was recorded; the customer's size was re-derived.")
class FinancialStatementPayload:
    customer: Customer = strawberry.field(description="The customer as it is now, with its new `version` and size.")
    statement: FinancialStatement | None = strawberry.field(
        description="The statement as recorded; null (with an error) for a caller who may not read financial "
        "information.", metadata=classes("financial"),
    )


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
    async def create_customer(
        self, info: Info, input: Annotated[CreateCustomerInput, strawberry.argument(description="The new customer.")]
    ) -> CustomerResult:
        principal: Principal = info.context.principal

        async def act(session: AsyncSession) -> CustomerPayload:
            return customer_payload(
                await customers.create_customer(
                    session, principal=principal, scope=info.context.scope, data=input_dict(input),
                    size_rules=info.context.size_rules,
                )
            )

        return await run_mutation(info, act)

    @strawberry.mutation(description="Change name, industry, branch or relationship manager.")
    async def update_customer(
        self, info: Info, input: Annotated[UpdateCustomerInput, strawberry.argument(description="The changes.")]
    ) -> CustomerResult:
        return await _change(info, input, "id", customers.update_customer, regrade=info.context.regrader(),
                             size_rules=info.context.size_rules)

    @strawberry.mutation(
        description="Set the credit status with its basis (the rating and repayment record it rests on)."
    )
    async def set_credit_status(
        self, info: Info, input: Annotated[SetCreditStatusInput, strawberry.argument(description="The new status.")]
    ) -> CustomerResult:
        return await _change(info, input, "customer_id", customers.set_credit_status)

    @strawberry.mutation(
        description="Record basic information: licence, articles, legal representative, capital and scope; a "
        "change of legal representative or business scope is evaluated for early warnings."
    )
    async def record_basic_information(
        self, info: Info, input: Annotated[BasicInformationInput, strawberry.argument(description="The changes.")]
    ) -> CustomerResult:
        return await _change(
            info, input, "customer_id", information.record_basic_information, regrade=info.context.regrader()
        )

    @strawberry.mutation(
        description="Record one period's financial statements; re-derives the size, regrades the customer and "
        "evaluates the early-warning rules."
    )
    async def record_financial_statement(
        self, info: Info, input: Annotated[FinancialStatementInput, strawberry.argument(description="The statement.")]
    ) -> FinancialStatementResult:
        return await _change(
            info, input, "customer_id", information.record_financial_statement, statement_payload,
            regrade=info.context.regrader(), size_rules=info.context.size_rules,
        )

    @strawberry.mutation(
        description="Record operating information: market share, industry position, products, channels, partners."
    )
    async def record_operating_information(
        self, info: Info, input: Annotated[OperatingInformationInput, strawberry.argument(description="The changes.")]
    ) -> CustomerResult:
        return await _change(info, input, "customer_id", information.record_operating_information)

    @strawberry.mutation(
        description="Record a major investment; it is kept in history as a major change and evaluated for early "
        "warnings."
    )
    async def record_major_investment(
        self, info: Info, input: Annotated[MajorInvestmentInput, strawberry.argument(description="The investment.")]
    ) -> CustomerResult:
        return await _change(
            info, input, "customer_id", information.record_major_investment, regrade=info.context.regrader()
        )

    @strawberry.mutation(
        description="Record credit information, credit events and guarantees; regrades the customer and evaluates "
        "the early-warning rules."
    )
    async def record_credit_information(
        self,
        info: Info,
        input: Annotated[CreditInformationInput, strawberry.argument(description="The changes and additions.")],
    ) -> CustomerResult:
        return await _change(
            info, input, "customer_id", information.record_credit_information, regrade=info.context.regrader(),
            classification=(info.context.today, info.context.settings.classification_rules()),
        )
