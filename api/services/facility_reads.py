"""Reading the credit business: a customer's facilities, their schedules, repayments and
classification history, the borrower's classification, and the root list of facilities in scope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    BorrowerClassification,
    CreditFacility,
    Customer,
    FacilityClassification,
    Repayment,
    RepaymentInstallment,
)
from api.services.customer_rows import CustomerRows
from api.services.information_reads import grouped_by, newest_per_customer, newest_rows_sql
from api.services.scope import RowScope, within

FACILITY_ORDER = (CreditFacility.id.desc(),)
FACILITIES = CustomerRows(CreditFacility, (("id", True),))
BORROWER_ORDER = (BorrowerClassification.effective_on.desc(), BorrowerClassification.id.desc())


async def facilities_of(session: AsyncSession, ids: Sequence[int], limit: int) -> dict[int, list[Any]]:
    """The newest ``limit`` facilities of each customer, newest first."""
    return await newest_per_customer(session, CreditFacility, ids, order=FACILITY_ORDER, limit=limit)


def newest_facilities_sql(parent_key: Any, columns: Sequence[str], limit: Any) -> Any:
    """The newest facilities of the customer ``parent_key`` names, as a subquery."""
    return newest_rows_sql(CreditFacility, FACILITY_ORDER, parent_key, columns, limit)


async def borrower_classifications(session: AsyncSession, ids: Sequence[int], limit: int) -> dict[int, list[Any]]:
    """Each customer's newest ``limit`` borrower classifications, the one in force first."""
    return await newest_per_customer(session, BorrowerClassification, ids, order=BORROWER_ORDER, limit=limit)


def newest_borrower_classifications_sql(parent_key: Any, columns: Sequence[str], limit: Any) -> Any:
    return newest_rows_sql(BorrowerClassification, BORROWER_ORDER, parent_key, columns, limit)


def _by_facility(model: Any, *order: Any) -> Any:
    async def fetch(session: AsyncSession, ids: Sequence[int], _: Any = None) -> dict[int, list[Any]]:
        return await grouped_by(session, select(model).where(model.facility_id.in_(ids)).order_by(*order),
                                key="facility_id")
    return fetch


schedules_of = _by_facility(RepaymentInstallment, RepaymentInstallment.due_on)
repayments_of = _by_facility(Repayment, Repayment.paid_on, Repayment.id)
classifications_of = _by_facility(FacilityClassification, FacilityClassification.effective_on.desc(),
                                  FacilityClassification.id.desc())


def facilities_within(stmt: Select[Any], scope: RowScope) -> Select[Any]:
    """``stmt`` over facilities, narrowed to those whose customer ``scope`` reaches."""
    return within(stmt.join(Customer, Customer.id == CreditFacility.customer_id), scope)


async def facilities_by_id(session: AsyncSession, ids: Sequence[int], scope: RowScope) -> dict[int, CreditFacility]:
    """The facilities of ``ids`` whose customer ``scope`` reaches (``node(id:)``)."""
    rows = await session.scalars(facilities_within(select(CreditFacility).where(CreditFacility.id.in_(ids)), scope))
    return {row.id: row for row in rows}


async def borrower_classification_in_force(
    session: AsyncSession, ids: Sequence[int], _: Any = None
) -> dict[int, Any]:
    """Each customer's borrower classification in force (its newest), for those classified."""
    return {key: rows[0] for key, rows in (await borrower_classifications(session, ids, 1)).items()}
