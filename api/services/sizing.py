"""Enterprise size (R-C2): derived from the latest annual figures by the configured size rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.enums import InfoGroup, PeriodKind
from api.db.models import Customer, CustomerChange, FinancialStatement
from api.principal import Principal
from api.reference.sizes import SizeInputs, SizeResult, SizeRules, classify_size, default_size_rules
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


async def refresh_size(
    session: AsyncSession, customer: Customer, *, principal: Principal, now: datetime, rules: SizeRules | None = None,
) -> list[CustomerChange]:
    """Recompute the customer's size from its latest annual statement; history if it changed.

    The standard is stated in annual revenue, so only annual statements count. Without one, or
    when a figure the industry's rule needs is missing, the size is unknown (never guessed).
    """
    rules = rules or default_size_rules()
    result = rules.not_applicable(customer.industry_code)  # not sized, with or without statements
    statement = None if result is not None else await latest_annual_statement(session, customer.id)
    if statement is not None:
        result = classify_size(
            customer.industry_code,
            SizeInputs(
                employees=statement.employees,
                revenue=statement.revenue,
                total_assets=statement.total_assets,
            ),
            rules,
        )
    changes = apply_changes(
        customer, size_columns(result, rules), customer_id=customer.id, group=InfoGroup.CUSTOMER,
        principal=principal, now=now,
    )
    if changes:
        customer.size_determined_at = now
    # Only the size itself is worth a line of history; its basis is kept on the customer.
    return [change for change in changes if change.field == "size"]
