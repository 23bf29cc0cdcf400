"""Root lists of rows that belong to customers (contacts, follow-ups, warnings): always within the
caller's row scope, through the customer each row belongs to, one keyset page at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from api.db.compiled import Reader
from api.db.models import Customer
from api.services.filtering import FilterSql, QueryContext, Searchable
from api.services.pagination import Page
from api.services.scope import RowScope, within

# The customer's branch, for any list joined to its customer.
BRANCH_FILTER = FilterSql(column=Customer.__table__.c.branch_code)


@dataclass(frozen=True, slots=True)
class CustomerRows:
    """One kind of row with a ``customer_id``, listed newest (or soonest) first by ``default_order``."""

    model: Any
    default_order: tuple[tuple[str, bool], ...]

    def _scoped(self, stmt: Select[Any], scope: RowScope, customer_id: int | None) -> Select[Any]:
        stmt = stmt.join(Customer, Customer.id == self.model.customer_id)
        if customer_id is not None:
            stmt = stmt.where(self.model.customer_id == customer_id)
        return within(stmt, scope)

    async def page(
        self, session: Reader, *, fields: Searchable, ctx: QueryContext, scope: RowScope, customer_id: int | None,
        where: Mapping[str, Any] | None, order_by: Sequence[tuple[str, bool]], first: int | None,
        after: str | None, last: int | None, before: str | None,
    ) -> Page[Any]:
        """One keyset page of the rows in scope matching ``where``, in ``order_by`` order (else the
        default), as read-only Core rows (attributes named as the columns): an ORM object per row
        would cost several times as much, and no reader changes them."""
        columns = self.model.__table__.c
        return await fields.page(
            session, self._scoped(select(*columns), scope, customer_id), ctx, where=where,
            order_by=order_by or self.default_order, first=first, after=after, last=last, before=before,
            width=len(columns),
        )

    async def count(
        self, session: Reader, *, fields: Searchable, ctx: QueryContext, scope: RowScope, customer_id: int | None,
        where: Mapping[str, Any] | None,
    ) -> int:
        """How many rows in scope match ``where`` (the whole list, not the page)."""
        stmt = self._scoped(select(func.count()).select_from(self.model), scope, customer_id)
        return await fields.count(session, stmt, ctx, where)


@dataclass(frozen=True, slots=True)
class OpenCount:
    """How many rows of ``model`` each customer has whose ``status`` is not ``closed``."""

    model: Any
    closed: Any

    async def fetch(self, session: Reader, ids: Sequence[int]) -> dict[int, int]:
        """The counts of many customers in one statement (customers without any are absent)."""
        rows = await session.execute(
            select(self.model.customer_id, func.count())
            .where(self.model.customer_id.in_(ids), self.model.status != self.closed)
            .group_by(self.model.customer_id)
        )
        return {customer_id: count for customer_id, count in rows}

    def subquery(self) -> Any:
        """The count of the enclosing query's customer (a correlated subquery)."""
        customer = Customer.__table__
        table = self.model.__table__.c
        return (
            select(func.count())
            .where(table.customer_id == customer.c.id, table.status != self.closed.value)
            .correlate(customer)
            .scalar_subquery()
        )
