"""Batch reads of the information groups for many customers at once (one statement each)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.db.models import (
    BasicInformation,
    CreditEvent,
    CreditInformation,
    FinancialStatement,
    Guarantee,
    MajorInvestment,
    OperatingInformation,
)

R = TypeVar("R")


async def _one_each(session: AsyncSession, model: type[R], ids: Sequence[int]) -> dict[int, R]:
    rows = await session.scalars(select(model).where(model.customer_id.in_(ids)))  # type: ignore[attr-defined]
    return {row.customer_id: row for row in rows}  # type: ignore[attr-defined]


async def _many_each(
    session: AsyncSession, model: Any, ids: Sequence[int], *order: Any
) -> dict[int, list[Any]]:
    return await grouped_by(session, select(model).where(model.customer_id.in_(ids)).order_by(*order))


async def newest_per_customer(
    session: AsyncSession, model: Any, ids: Sequence[int], *, order: Sequence[Any], limit: int,
    condition: Any = None,
) -> dict[int, list[Any]]:
    """The first ``limit`` rows of ``model`` per customer in ``order``, in one statement."""
    rank = func.row_number().over(partition_by=model.customer_id, order_by=order).label("rank")
    inner = select(model, rank).where(model.customer_id.in_(ids))
    if condition is not None:
        inner = inner.where(condition)
    ranked = inner.subquery()
    row = aliased(model, ranked)
    return await grouped_by(
        session, select(row).where(ranked.c.rank <= limit).order_by(row.customer_id, ranked.c.rank)
    )


async def basic_information(session: AsyncSession, ids: Sequence[int]) -> dict[int, BasicInformation]:
    return await _one_each(session, BasicInformation, ids)


async def operating_information(session: AsyncSession, ids: Sequence[int]) -> dict[int, OperatingInformation]:
    return await _one_each(session, OperatingInformation, ids)


async def credit_information(session: AsyncSession, ids: Sequence[int]) -> dict[int, CreditInformation]:
    return await _one_each(session, CreditInformation, ids)


async def major_investments(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[MajorInvestment]]:
    return await _many_each(session, MajorInvestment, ids, MajorInvestment.decided_on.desc(), MajorInvestment.id.desc())


async def credit_events(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[CreditEvent]]:
    return await _many_each(session, CreditEvent, ids, CreditEvent.occurred_on.desc(), CreditEvent.id.desc())


async def guarantees(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Guarantee]]:
    return await _many_each(session, Guarantee, ids, Guarantee.starts_on.desc(), Guarantee.id.desc())


async def financial_statements(
    session: AsyncSession, ids: Sequence[int], *, last: int
) -> dict[int, list[FinancialStatement]]:
    """The newest ``last`` statements of each customer, newest first."""
    return await newest_per_customer(
        session, FinancialStatement, ids, limit=last,
        order=(FinancialStatement.period_end.desc(), FinancialStatement.id.desc()),
    )


async def grouped_by(session: AsyncSession, stmt: Any, key: str = "customer_id") -> dict[int, list[Any]]:
    """The rows of ``stmt`` (in its order) grouped by their ``key`` attribute, for DataLoaders."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in await session.scalars(stmt):
        grouped[getattr(row, key)].append(row)
    return grouped
