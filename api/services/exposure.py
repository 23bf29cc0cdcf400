"""A customer's exposure here as its latest classification left it: the worst running facility's
days past due and the borrower's category (for credit status and the grading facts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.enums import FacilityStatus, RiskCategory
from api.db.models import BorrowerClassification, CreditFacility
from api.services.information_reads import newest_per_customer


@dataclass(frozen=True, slots=True)
class Exposure:
    """A customer's facilities here as their latest classification left them."""

    days_past_due: int  # the worst running facility's, computed from its schedule and repayments
    category: RiskCategory  # the borrower's category


async def exposures(session: AsyncSession, ids: Sequence[int]) -> dict[int, Exposure]:
    """Each customer's latest classification and worst arrears, for those with a facility on record."""
    classified = await newest_per_customer(
        session, BorrowerClassification, ids, limit=1,
        order=(BorrowerClassification.effective_on.desc(), BorrowerClassification.id.desc()),
    )
    if not classified:
        return {}
    worst: dict[int, int] = {customer_id: days for customer_id, days in await session.execute(
        select(CreditFacility.customer_id, func.max(CreditFacility.days_past_due))
        .where(CreditFacility.customer_id.in_(list(classified)), CreditFacility.status == FacilityStatus.ACTIVE)
        .group_by(CreditFacility.customer_id)
    )}
    return {customer_id: Exposure(worst.get(customer_id) or 0, RiskCategory(rows[0].category))
            for customer_id, rows in classified.items()}
