"""Finding customers: a keyset page or a count within the row scope, filtered and ordered as declared."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from api.db.compiled import Reader
from api.db.models import Customer, StaffMember
from api.services.filtering import FilterSql, QueryContext, Searchable
from api.services.pagination import Page
from api.services.scope import RowScope, within


def stale_cutoff(today: date, months: int) -> date:
    """The oldest period end that still counts as current, ``months`` before ``today``."""
    month_index = today.year * 12 + today.month - 1 - months
    year, month = divmod(month_index, 12)
    # Clamp the day: 31 March minus one month is the last day of February.
    day = min(today.day, [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return date(year, month + 1, day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def is_stale(customer: Customer, cutoff: date) -> bool:
    """Financial information is stale unless the newest statement ended on or after the cutoff, or a
    revisit confirmed the financial information as current on or after it (R-I3)."""
    latest = customer.latest_statement_period_end
    verified = customer.financial_verified_on
    return (latest is None or latest < cutoff) and (verified is None or verified < cutoff)


def stale_condition(wanted: bool, cutoff: date) -> ColumnElement[bool]:
    """Customers whose financial information is stale (``wanted``) or current, as ``is_stale`` says."""
    stale = and_(
        or_(Customer.latest_statement_period_end.is_(None), Customer.latest_statement_period_end < cutoff),
        or_(Customer.financial_verified_on.is_(None), Customer.financial_verified_on < cutoff),
    )
    return stale if wanted else not_(stale)


def revisit_overdue(customer: Customer, today: date) -> bool | None:
    """Whether the next revisit's day has passed; null for a customer without a schedule."""
    due = customer.next_revisit_on
    return None if due is None else due < today


def revisit_overdue_condition(wanted: bool, today: date) -> ColumnElement[bool]:
    """Customers whose revisit is overdue (``wanted``) or scheduled and not yet overdue."""
    due = Customer.next_revisit_on
    return due < today if wanted else due >= today


# The SQL of the customer filters that are not a comparison on one of the customer's columns.
STALE_FILTER = FilterSql(custom=lambda op, wanted, ctx: stale_condition(bool(wanted), ctx.stale_cutoff))
REVISIT_OVERDUE_FILTER = FilterSql(
    custom=lambda op, wanted, ctx: revisit_overdue_condition(bool(wanted), ctx.today)
)
MANAGER_USERNAME_FILTER = FilterSql(
    column=StaffMember.username,
    via=lambda condition: Customer.relationship_manager_id.in_(select(StaffMember.id).where(condition)),
)


async def find_customers(
    session: Reader,
    *,
    where: Mapping[str, Any] | None,
    order_by: Sequence[tuple[str, bool]],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    fields: Searchable,
    ctx: QueryContext,
    scope: RowScope,
) -> Page[Customer]:
    """One page of customers (ORM objects) in scope matching ``where`` in the requested order."""
    return await fields.page(
        session, within(select(Customer), scope), ctx, where=where, order_by=order_by, first=first, after=after,
        last=last, before=before,
    )


async def count_customers(
    session: Reader, *, where: Mapping[str, Any] | None, fields: Searchable, ctx: QueryContext, scope: RowScope
) -> int:
    """How many customers in scope match ``where`` (the whole list, not the page)."""
    return await fields.count(session, within(select(func.count()).select_from(Customer), scope), ctx, where)
