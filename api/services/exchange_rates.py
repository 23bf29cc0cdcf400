"""Exchange rates the lender records (yuan per unit), kept as history and never changed.

Size thresholds are stated in yuan: a statement in another currency is converted at the rate in
force on its period end — the newest rate of that currency effective on or before that day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import business_today
from api.db.models import ExchangeRate
from api.errors import InvalidInput
from api.principal import Principal
from api.services.validation import Command, CurrencyCode, ShortText, parse

HOME_CURRENCY = "CNY"
CENT = Decimal("0.01")


def _foreign(code: str) -> str:
    if code == HOME_CURRENCY:
        raise ValueError("the yuan is the home currency: its rate is 1")
    return code


_RATE = ExchangeRate.__table__.c.cny_per_unit.type  # what the column keeps, the input may hold


class RateDraft(Command):
    currency: Annotated[CurrencyCode, AfterValidator(_foreign)]
    cny_per_unit: Annotated[Decimal, Field(gt=0, max_digits=_RATE.precision, decimal_places=_RATE.scale)]
    effective_on: date
    source: ShortText


async def record_rate(session: AsyncSession, *, principal: Principal, data: dict[str, object]) -> ExchangeRate:
    """Record a rate in force from ``effective_on``; a second rate for the same day is refused."""
    draft = parse(RateDraft, data)
    if draft.effective_on > business_today():
        raise InvalidInput.one("input.effectiveOn", "a rate is recorded once it is in force, not ahead")
    taken = await session.scalar(select(ExchangeRate.id).where(
        ExchangeRate.currency == draft.currency, ExchangeRate.effective_on == draft.effective_on))
    if taken is not None:
        raise InvalidInput.one(
            "input.effectiveOn",
            f"a {draft.currency} rate from {draft.effective_on.isoformat()} is already recorded: rates are history, "
            "never changed (record the next day's rate instead)",
        )
    rate = ExchangeRate(**draft.model_dump(), recorded_by=principal.sub)
    session.add(rate)
    await session.flush()
    return rate


async def rate_on(session: AsyncSession, currency: str, day: date) -> ExchangeRate | None:
    """The rate of ``currency`` in force on ``day``: the newest effective on or before it."""
    return await session.scalar(
        select(ExchangeRate).where(ExchangeRate.currency == currency, ExchangeRate.effective_on <= day)
        .order_by(ExchangeRate.effective_on.desc()).limit(1)
    )


async def rates(session: AsyncSession, *, currency: str | None, limit: int) -> Sequence[ExchangeRate]:
    """Recorded rates, newest first, of one currency or all."""
    stmt = select(ExchangeRate)
    if currency is not None:
        stmt = stmt.where(ExchangeRate.currency == currency)
    return (await session.scalars(
        stmt.order_by(ExchangeRate.effective_on.desc(), ExchangeRate.currency).limit(limit))).all()


def in_yuan(amount: Decimal | None, rate: ExchangeRate) -> Decimal | None:
    return None if amount is None else (amount * rate.cny_per_unit).quantize(CENT)
