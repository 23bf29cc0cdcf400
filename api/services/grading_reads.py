"""Batch reads of grades for many customers at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import GradeAssessment, GradeOverride, GradingFailure
from api.services.information_reads import grouped_by, newest_per_customer, newest_rows_sql
from api.services.pagination import PageRequest, ParentPage, SortKey, counts_per_parent, pages_per_parent

ASSESSMENT_ORDER = (GradeAssessment.id.desc(),)
# A provisional assessment (required answers missing) is history, never the one in force.
IN_FORCE = GradeAssessment.provisional.is_(False)


async def assessments_in_force(
    session: AsyncSession, ids: Sequence[int], limit: int
) -> dict[int, list[GradeAssessment]]:
    """The newest ``limit`` assessments of each customer that were put in force, newest first."""
    return await newest_per_customer(
        session, GradeAssessment, ids, order=ASSESSMENT_ORDER, limit=limit, condition=IN_FORCE
    )


# A customer's grade history is newest first: by id, which grows with time.
ASSESSMENT_KEYS = (SortKey("id", GradeAssessment.__table__.c.id, descending=True, parse=int),)


async def assessment_pages(
    session: AsyncSession, ids: Sequence[int], request: PageRequest
) -> dict[int, ParentPage[Any]]:
    """The page ``request`` asks for of each customer's assessments, newest first, in one statement."""
    return await pages_per_parent(session, GradeAssessment.__table__, "customer_id", ids, ASSESSMENT_KEYS, request)


async def assessment_counts(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    """How many assessments each customer has."""
    return await counts_per_parent(session, GradeAssessment.__table__, "customer_id", ids)


async def overrides_by_assessment(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[GradeOverride]]:
    return await grouped_by(
        session,
        select(GradeOverride).where(GradeOverride.assessment_id.in_(ids)).order_by(GradeOverride.id.desc()),
        key="assessment_id",
    )


FAILURE_ORDER = (GradingFailure.id.desc(),)


async def latest_failures(session: AsyncSession, ids: Sequence[int], limit: int) -> dict[int, list[GradingFailure]]:
    """The newest ``limit`` failed automatic re-grades of each customer, newest first."""
    return await newest_per_customer(session, GradingFailure, ids, order=FAILURE_ORDER, limit=limit)


def newest_failures_sql(parent_key: Any, columns: Sequence[str], limit: Any) -> Any:
    """The newest failed re-grades of the customer ``parent_key`` names, as a subquery."""
    return newest_rows_sql(GradingFailure, FAILURE_ORDER, parent_key, columns, limit)


async def failures(session: AsyncSession, *, strategy_id: str | None, limit: int) -> list[GradingFailure]:
    """The newest failed re-grades of every customer, of one strategy or all."""
    stmt = select(GradingFailure)
    if strategy_id is not None:
        stmt = stmt.where(GradingFailure.strategy_id == strategy_id)
    return list((await session.scalars(stmt.order_by(*FAILURE_ORDER).limit(limit))).all())
