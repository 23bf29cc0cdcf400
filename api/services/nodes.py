"""Looking up rows that belong to a customer by their own id, within the caller's row scope.

``node(id:)`` resolves any object with an identity. An object of a customer exists for a caller
only when its customer does: the lookup joins the customer and applies the same row scope as every
customer read (``api.services.scope``), so an object out of scope is absent, like a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Customer
from api.services.scope import RowScope, within


async def owned_rows(session: AsyncSession, model: Any, ids: Sequence[int], scope: RowScope) -> dict[int, Any]:
    """The rows of ``model`` (a table with ``id`` and ``customer_id``) among ``ids`` whose customer is in ``scope``."""
    if not ids:
        return {}
    stmt = select(model).join(Customer, Customer.id == model.customer_id).where(model.id.in_(ids))
    rows = await session.scalars(within(stmt, scope))
    return {row.id: row for row in rows}
