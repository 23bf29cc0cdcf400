"""Batch reads of grades for many customers at once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import GradeAssessment, GradeOverride
from api.services.information_reads import grouped_by, newest_per_customer, rows_sql

ASSESSMENT_ORDER = (GradeAssessment.id.desc(),)
assessments_sql = rows_sql(GradeAssessment, ASSESSMENT_ORDER)


async def assessments(session: AsyncSession, ids: Sequence[int], limit: int) -> dict[int, list[GradeAssessment]]:
    """The newest ``limit`` assessments of each customer, newest first."""
    return await newest_per_customer(session, GradeAssessment, ids, order=ASSESSMENT_ORDER, limit=limit)


async def overrides_by_assessment(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[GradeOverride]]:
    return await grouped_by(
        session,
        select(GradeOverride).where(GradeOverride.assessment_id.in_(ids)).order_by(GradeOverride.id.desc()),
        key="assessment_id",
    )
