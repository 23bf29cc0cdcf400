"""The revisit schedule (R-I2, R-I3): when each customer is next due a revisit, from its grade.

The interval is the grade's treatment (``revisit_interval_days``: A 180 days, B 90, C 30, D 14 as
shipped). A revisit restarts the count from its day. A change of grade moves the date: counted
from the last revisit (from today when there has been none), and never later than the date
already due when the grade worsens. A customer that has no grade has no schedule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from api.clock import business_date
from api.db.enums import InfoGroup, ServiceKind
from api.db.models import Customer, ServiceRecord
from api.reference.treatments import treatments
from plugins.spec import Grade

# Grades from best to worst: a higher rank is a worse grade.
_RANK = {grade.value: rank for rank, grade in enumerate(Grade)}
# Information groups a visit can confirm as current, and the customer's column holding the day.
VERIFIED_COLUMNS = {
    InfoGroup.BASIC: "basic_verified_on",
    InfoGroup.FINANCIAL: "financial_verified_on",
    InfoGroup.OPERATING: "operating_verified_on",
    InfoGroup.CREDIT: "credit_verified_on",
}
# Contacts that may confirm information; only a revisit restarts the revisit schedule.
VERIFYING_KINDS = frozenset({ServiceKind.REVISIT, ServiceKind.SITE_VISIT})


def interval(grade: str) -> timedelta:
    """The time between revisits of a customer of ``grade``."""
    return timedelta(days=treatments()[grade].revisit_interval_days)


def after_revisit(grade: str | None, revisited_on: date | None, current: date | None) -> date | None:
    """The next revisit once one was made on ``revisited_on`` (none made: ``current`` stands)."""
    if grade is None or revisited_on is None:
        return current
    return revisited_on + interval(grade)


def after_grade_change(
    *, previous: str | None, grade: str, last_revisit: date | None, current: date | None, today: date
) -> date:
    """The next revisit once ``grade`` replaces ``previous`` (the same grade keeps ``current``)."""
    if previous == grade and current is not None:
        return current
    due = (last_revisit or today) + interval(grade)
    if current is not None and previous is not None and _RANK[grade] > _RANK[previous]:
        return min(current, due)  # a worse grade never puts the revisit off
    return due


async def refresh(session: AsyncSession, customer: Customer, timezone: str) -> None:
    """Recompute the customer's last revisit and verified days from its contacts; the next revisit
    moves only when the last revisit did (a warning's or a grade's date stands otherwise).

    Written as a plain UPDATE: the schedule is not part of the record an editor holds, so it
    never moves the customer's version (and never makes an edit conflict).
    """
    rows = (await session.execute(
        select(ServiceRecord.kind, ServiceRecord.occurred_at, ServiceRecord.verified)
        .where(ServiceRecord.customer_id == customer.id, ServiceRecord.kind.in_(VERIFYING_KINDS))
    )).all()
    values: dict[str, Any] = dict.fromkeys(VERIFIED_COLUMNS.values())
    last: date | None = None
    for kind, occurred_at, verified in rows:
        day = business_date(occurred_at, timezone)
        if kind is ServiceKind.REVISIT:
            last = max(last or day, day)
        for group in verified or ():
            column = VERIFIED_COLUMNS[InfoGroup(group)]
            values[column] = max(values[column] or day, day)
    values["last_revisit_on"] = last
    if last != customer.last_revisit_on:  # a revisit made, moved or corrected away: count again
        if last is not None:
            values["next_revisit_on"] = after_revisit(customer.grade, last, customer.next_revisit_on)
        elif customer.grade is not None and customer.graded_at is not None:
            # No revisit any more: counted from the grading, as when the grade was first given.
            values["next_revisit_on"] = business_date(customer.graded_at, timezone) + interval(customer.grade)
    await write(session, customer, values)


async def write(session: AsyncSession, customer: Customer, values: dict[str, Any]) -> None:
    """Set schedule columns of one customer without moving its version."""
    await session.execute(update(Customer).where(Customer.id == customer.id).values(**values)
                          .execution_options(synchronize_session=False))
    for name, value in values.items():
        set_committed_value(customer, name, value)


async def bring_forward(session: AsyncSession, customer: Customer, today: date) -> None:
    """A HIGH warning: the revisit is due today, unless it was already due earlier (overdue stays overdue)."""
    await write(session, customer, {"next_revisit_on": min(customer.next_revisit_on or today, today)})


def verified_groups(names: Iterable[str]) -> list[str]:
    """The groups named, each once, in the order of ``VERIFIED_COLUMNS``."""
    wanted = set(names)
    return [group.value for group in VERIFIED_COLUMNS if group.value in wanted]
