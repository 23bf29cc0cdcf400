"""Batch reads of the information groups for many customers at once (one statement each)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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
    """The first ``limit`` rows of ``model`` per customer in ``order``, in one statement.

    The rows are read-only snapshots (Core rows, attributes named as the columns): building an
    ORM object per row costs several times as much, and no caller changes them.
    """
    table = model.__table__
    rank = func.row_number().over(partition_by=table.c.customer_id, order_by=order).label("rank")
    inner = select(*table.c, rank).where(table.c.customer_id.in_(ids))
    if condition is not None:
        inner = inner.where(condition)
    ranked = inner.subquery()
    stmt = (
        select(*(ranked.c[column.key] for column in table.c))
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.customer_id, ranked.c.rank)
    )
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in await session.execute(stmt):
        grouped[row.customer_id].append(row)
    return grouped


async def rows_each(session: AsyncSession, model: Any, ids: Sequence[int]) -> dict[int, Any]:
    """The one row of ``model`` per customer, as read-only Core rows (attributes named as the
    columns): for bulk work, where an ORM object per row costs several times as much."""
    table = model.__table__
    return {row.customer_id: row for row in await session.execute(select(table).where(table.c.customer_id.in_(ids)))}


async def basic_information(session: AsyncSession, ids: Sequence[int]) -> dict[int, BasicInformation]:
    return await _one_each(session, BasicInformation, ids)


async def operating_information(session: AsyncSession, ids: Sequence[int]) -> dict[int, OperatingInformation]:
    return await _one_each(session, OperatingInformation, ids)


async def credit_information(session: AsyncSession, ids: Sequence[int]) -> dict[int, CreditInformation]:
    return await _one_each(session, CreditInformation, ids)


# Each list's order, newest first: the batch reads and their SQL forms share it.
INVESTMENT_ORDER = (MajorInvestment.decided_on.desc(), MajorInvestment.id.desc())
EVENT_ORDER = (CreditEvent.occurred_on.desc(), CreditEvent.id.desc())
GUARANTEE_ORDER = (Guarantee.starts_on.desc(), Guarantee.id.desc())
STATEMENT_ORDER = (FinancialStatement.period_end.desc(), FinancialStatement.id.desc())


async def major_investments(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[MajorInvestment]]:
    return await _many_each(session, MajorInvestment, ids, *INVESTMENT_ORDER)


async def credit_events(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[CreditEvent]]:
    return await _many_each(session, CreditEvent, ids, *EVENT_ORDER)


async def guarantees(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Guarantee]]:
    return await _many_each(session, Guarantee, ids, *GUARANTEE_ORDER)


async def financial_statements(
    session: AsyncSession, ids: Sequence[int], *, last: int
) -> dict[int, list[FinancialStatement]]:
    """The newest ``last`` statements of each customer, newest first."""
    return await newest_per_customer(session, FinancialStatement, ids, limit=last, order=STATEMENT_ORDER)


async def grouped_by(session: AsyncSession, stmt: Any, key: str = "customer_id") -> dict[int, list[Any]]:
    """The rows of ``stmt`` (in its order) grouped by their ``key`` attribute, for DataLoaders."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in await session.scalars(stmt):
        grouped[getattr(row, key)].append(row)
    return grouped


def newest_rows_sql(
    model: Any, order: Sequence[Any], parent_key: Any, columns: Sequence[str], limit: Any, key: str = "customer_id"
) -> Any:
    """SQL for the rows of ``model`` whose ``key`` is ``parent_key`` (a column of the enclosing
    query), newest first by ``order``, at most ``limit``: a subquery with ``columns`` and the
    ``id``, ``key`` and order columns, read along the table's index (PostgreSQL builds lists
    of them as JSON)."""
    table = model.__table__
    ordering = [getattr(o, "element", o) for o in order]
    names = list(dict.fromkeys([*(["id"] if "id" in table.c else []), key, *(c.key for c in ordering), *columns]))
    return (
        select(*(table.c[name] for name in names))
        .where(table.c[key] == parent_key)
        .order_by(*order)
        .limit(limit)
        .correlate_except(table)  # the parent's row comes from the enclosing query
        .subquery()
    )


def rows_sql(model: Any, order: Sequence[Any]) -> Callable[[Any, Sequence[str], Any], Any]:
    """``newest_rows_sql`` of ``model`` in ``order``: the SQL form of one of the batch reads above."""
    return lambda parent_key, columns, limit: newest_rows_sql(model, order, parent_key, columns, limit)


statements_sql = rows_sql(FinancialStatement, STATEMENT_ORDER)
investments_sql = rows_sql(MajorInvestment, INVESTMENT_ORDER)
events_sql = rows_sql(CreditEvent, EVENT_ORDER)
guarantees_sql = rows_sql(Guarantee, GUARANTEE_ORDER)
# One row per customer: the group's row is keyed by its customer.
basic_information_sql = rows_sql(BasicInformation, (BasicInformation.customer_id,))
operating_information_sql = rows_sql(OperatingInformation, (OperatingInformation.customer_id,))
credit_information_sql = rows_sql(CreditInformation, (CreditInformation.customer_id,))
