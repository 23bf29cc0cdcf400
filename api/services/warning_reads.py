"""Reading early warnings: a customer's newest, how many are open, and the root list in scope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.enums import WarningStatus
from api.db.models import Customer, EarlyWarning
from api.services.customer_rows import CustomerRows, OpenCount
from api.services.information_reads import newest_per_customer, newest_rows_sql
from api.services.scope import RowScope, within

WARNING_ORDER = (EarlyWarning.raised_at.desc(), EarlyWarning.id.desc())
WARNINGS = CustomerRows(EarlyWarning, (("raised_at", True), ("id", True)))
OPEN_WARNINGS = OpenCount(EarlyWarning, WarningStatus.CLOSED)


async def latest_warnings(session: AsyncSession, ids: Sequence[int], limit: int) -> dict[int, list[Any]]:
    """The newest ``limit`` warnings of each customer, newest first."""
    return await newest_per_customer(session, EarlyWarning, ids, order=WARNING_ORDER, limit=limit)


def newest_warnings_sql(parent_key: Any, columns: Sequence[str], limit: Any) -> Any:
    """The newest warnings of the customer ``parent_key`` names, as a subquery."""
    return newest_rows_sql(EarlyWarning, WARNING_ORDER, parent_key, columns, limit)


async def warning_by_key(
    session: AsyncSession, *, scope: RowScope, customer_id: int, rule_id: str, key: str
) -> EarlyWarning | None:
    """The warning a rule raised for a condition of a customer in ``scope``; None when out of reach."""
    return await session.scalar(within(
        select(EarlyWarning).join(Customer, Customer.id == EarlyWarning.customer_id)
        .where(EarlyWarning.customer_id == customer_id, EarlyWarning.rule_id == rule_id, EarlyWarning.key == key),
        scope,
    ))
