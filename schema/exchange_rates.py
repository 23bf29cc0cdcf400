"""Exchange rates in the schema: the lender records them, sizing converts statements with them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import InvalidInput
from api.services import exchange_rates
from schema.context import Info
from schema.convert import from_row, input_dict
from schema.errors import ConflictError, InvalidInputError
from schema.mutation_runner import run_mutation
from schema.scalars import CurrencyCode


@strawberry.type(
    description="Yuan per unit of a currency, in force from `effectiveOn` until the next rate of that currency. "
    "A statement in another currency is sized at the rate in force on its period end."
)
class ExchangeRate:
    currency: CurrencyCode = strawberry.field(description="The foreign currency, e.g. `USD`.")
    cny_per_unit: Decimal = strawberry.field(description="Yuan for one unit of it, up to 8 decimals.")
    effective_on: date = strawberry.field(description="The first day it is in force.")
    source: str = strawberry.field(description="Where it comes from, e.g. `PBOC central parity`.")
    recorded_by: str = strawberry.field(description="Who recorded it (token `sub`).")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")


@strawberry.input(description="A rate in force from a day (rates are history: one per currency and day).")
class RecordExchangeRateInput:
    currency: CurrencyCode = strawberry.field(description="The foreign currency (not CNY).")
    cny_per_unit: Decimal = strawberry.field(description="Yuan per unit, greater than 0, up to 8 decimals.")
    effective_on: date = strawberry.field(description="The first day it is in force; today or earlier.")
    source: str = strawberry.field(description="Where it comes from (1–200 characters).")


@strawberry.type(description="The rate was recorded.")
class ExchangeRatePayload:
    exchange_rate: ExchangeRate = strawberry.field(description="The rate as recorded.")


RecordExchangeRateResult = Annotated[
    ExchangeRatePayload | InvalidInputError | ConflictError,
    strawberry.union("RecordExchangeRateResult", description="The recorded rate, or why none was recorded."),
]


@strawberry.type
class ExchangeRateQuery:
    @strawberry.field(description="Recorded exchange rates, newest first.")
    async def exchange_rates(
        self,
        info: Info,
        currency: Annotated[
            CurrencyCode | None, strawberry.argument(description="Only this currency's; all when null.")
        ] = None,
        limit: Annotated[int, strawberry.argument(description="How many, newest first (1–500).")] = 100,
    ) -> list[ExchangeRate] | None:
        if not 1 <= limit <= 500:
            raise InvalidInput.one("limit", "must be between 1 and 500")
        async with info.context.reading() as session:
            rows = await exchange_rates.rates(session, currency=currency, limit=limit)
        return [from_row(ExchangeRate, row) for row in rows]


@strawberry.type
class ExchangeRateMutation:
    @strawberry.mutation(description="Record an exchange rate (yuan per unit) in force from a day.")
    async def record_exchange_rate(
        self, info: Info, input: Annotated[RecordExchangeRateInput, strawberry.argument(description="The rate.")]
    ) -> RecordExchangeRateResult:
        async def act(session: AsyncSession) -> ExchangeRatePayload:
            row = await exchange_rates.record_rate(session, principal=info.context.principal, data=input_dict(input))
            return ExchangeRatePayload(exchange_rate=from_row(ExchangeRate, row))

        return await run_mutation(info, act)
