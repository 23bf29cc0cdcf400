"""Enterprise size (R-C2): derived from the latest annual figures by the configured size rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.enums import InfoGroup, PeriodKind
from api.db.models import Customer, CustomerChange, FinancialStatement
from api.errors import InvalidInput
from api.principal import Principal
from api.reference.sizes import SizeInputs, SizeResult, SizeRules, classify_size, default_size_rules
from api.services.exchange_rates import HOME_CURRENCY, in_yuan, rate_on
from api.services.history import apply_changes


async def latest_annual_statement(session: AsyncSession, customer_id: int) -> FinancialStatement | None:
    return await session.scalar(
        select(FinancialStatement)
        .where(
            FinancialStatement.customer_id == customer_id,
            FinancialStatement.period_kind == PeriodKind.ANNUAL,
        )
        .order_by(FinancialStatement.period_end.desc())
        .limit(1)
    )


def size_columns(result: SizeResult | None, rules: SizeRules) -> dict[str, Any]:
    """The customer's size columns for ``result`` (None: unknown, under ``rules``)."""
    return {
        "size": result.size if result else None,
        "size_rule_version": result.rule_version if result else rules.version,
        "size_rule_id": result.rule_id if result else None,
        "size_inputs": result.inputs if result else None,
    }


async def _size_of(
    session: AsyncSession, industry_code: str, statement: FinancialStatement, rules: SizeRules, field: str
) -> SizeResult | None:
    """The size ``statement`` gives, its money converted to yuan (the thresholds' currency) at the
    rate in force on its period end; INVALID_INPUT on ``field`` when no such rate is recorded."""
    revenue: Decimal | None = statement.revenue
    total_assets: Decimal | None = statement.total_assets
    conversion: dict[str, str] = {}
    if statement.currency != HOME_CURRENCY:
        rate = await rate_on(session, statement.currency, statement.period_end)
        if rate is None:
            raise InvalidInput.one(field, (
                f"no {statement.currency} exchange rate in force on {statement.period_end.isoformat()} is recorded: "
                "sizes compare yuan, so record one first (recordExchangeRate)"
            ))
        revenue, total_assets = in_yuan(revenue, rate), in_yuan(total_assets, rate)
        conversion = {"currency": statement.currency, "cnyPerUnit": str(rate.cny_per_unit),
                      "rateEffectiveOn": rate.effective_on.isoformat()}
    result = classify_size(
        industry_code, SizeInputs(employees=statement.employees, revenue=revenue, total_assets=total_assets), rules
    )
    return result if result is None or not conversion else replace(result, inputs={**result.inputs, **conversion})


async def refresh_size(
    session: AsyncSession, customer: Customer, *, principal: Principal, now: datetime, rules: SizeRules | None = None,
    field: str = "input.currency",
) -> list[CustomerChange]:
    """Recompute the customer's size from its latest annual statement; history if it changed.

    The standard is stated in annual revenue, so only annual statements count. Without one, or
    when a figure the industry's rule needs is missing, the size is unknown (never guessed). A
    statement in another currency without a recorded rate is INVALID_INPUT on ``field``.
    """
    rules = rules or default_size_rules()
    result = rules.not_applicable(customer.industry_code)  # not sized, with or without statements
    statement = None if result is not None else await latest_annual_statement(session, customer.id)
    if statement is not None:
        result = await _size_of(session, customer.industry_code, statement, rules, field)
    changes = apply_changes(
        customer, size_columns(result, rules), customer_id=customer.id, group=InfoGroup.CUSTOMER,
        principal=principal, now=now,
    )
    if changes:
        customer.size_determined_at = now
    # Only the size itself is worth a line of history; its basis is kept on the customer.
    return [change for change in changes if change.field == "size"]
