"""The periodic complaint review (R-Q4): what came in over a period, why, how fast it was decided,
how often it came back, and what was paid; counted in the database, within the caller's scope.

A complaint belongs to the period of its lender's day of receipt. Handling time is the calendar days
from the day of receipt to the day the decision was told (the first feedback): the clock the SLA
policies run. The 90th percentile is the nearest-rank one (the smallest time at least 90 % of the
decided complaints took no longer than).
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.enums import CompensationStatus
from api.db.models import Complaint, ComplaintCompensation
from api.errors import InvalidInput
from api.services.complaints import complaints_within
from api.services.scope import RowScope

MAX_DAYS = 3 * 366
RECURRING = 2  # a cause found this many times or more in the period recurs


@dataclass(frozen=True, slots=True)
class Tally:
    key: str | None
    count: int


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    """The review of one period."""

    received_from: date
    received_to: date
    total: int
    by_category: list[Tally]
    by_cause: list[Tally]
    by_channel: list[Tally]
    by_branch: list[Tally]
    by_outcome: list[Tally]
    decided: int
    decided_in_time: int
    open_past_due: int
    median_days: float | None
    p90_days: int | None
    reopened: int
    compensation_paid: list[tuple[Decimal, str]] = field(default_factory=list)
    recurring_causes: list[Tally] = field(default_factory=list)

    @property
    def in_time_share(self) -> float | None:
        """Decided within the deadline, of those decided."""
        return None if not self.decided else self.decided_in_time / self.decided

    @property
    def reopen_rate(self) -> float | None:
        return None if not self.total else self.reopened / self.total


def _period(received_from: date, received_to: date) -> None:
    if received_to < received_from:
        raise InvalidInput.one("to", "the period ends on or after it starts")
    if (received_to - received_from).days > MAX_DAYS:
        raise InvalidInput.one("to", f"a review covers at most {MAX_DAYS} days")


def _in(scope: RowScope, received_from: date, received_to: date, branch_code: str | None, stmt: Select[Any]) -> Any:
    stmt = complaints_within(stmt, scope).where(Complaint.received_on.between(received_from, received_to))
    return stmt if branch_code is None else stmt.where(Complaint.branch_code == branch_code)


async def _tally(session: AsyncSession, column: Any, scoped: Any) -> list[Tally]:
    rows = await session.execute(scoped(select(column, func.count()).select_from(Complaint)).group_by(column))
    # Enum values by their names, as the schema and the CSV show them (FEES_AND_CHARGES).
    found = [Tally(key.name if isinstance(key, Enum) else key, count) for key, count in rows]
    return sorted(found, key=lambda t: (-t.count, t.key or ""))


def nearest_rank(values: Sequence[int], share: float) -> int | None:
    """The nearest-rank percentile of sorted ``values``."""
    if not values:
        return None
    return values[max(0, math.ceil(share * len(values)) - 1)]


async def review(
    session: AsyncSession, *, scope: RowScope, received_from: date, received_to: date, today: date,
    branch_code: str | None = None,
) -> ReviewSummary:
    """The review of the complaints received from ``received_from`` to ``received_to`` (both included)."""
    _period(received_from, received_to)

    def scoped(stmt: Any) -> Any:
        return _in(scope, received_from, received_to, branch_code, stmt)

    c = Complaint
    tallies = {name: await _tally(session, column, scoped) for name, column in (
        ("category", c.category), ("cause", c.root_cause), ("channel", c.channel), ("branch", c.branch_code),
        ("outcome", c.outcome))}
    total = sum(t.count for t in tallies["category"])
    times = sorted(
        (decided - received).days for received, decided in await session.execute(
            scoped(select(c.received_on, c.decided_on).select_from(c)).where(c.decided_on.is_not(None)))
    )
    in_time = await session.scalar(scoped(select(func.count()).select_from(c)).where(c.decided_on <= c.due_on))
    past_due = await session.scalar(
        scoped(select(func.count()).select_from(c)).where(c.decided_on.is_(None), c.due_on < today))
    reopened = await session.scalar(scoped(select(func.count()).select_from(c)).where(c.reopened_count > 0))
    paid = await session.execute(
        scoped(select(func.sum(ComplaintCompensation.amount), ComplaintCompensation.currency).select_from(c)
               .join(ComplaintCompensation, ComplaintCompensation.complaint_id == c.id))
        .where(ComplaintCompensation.status == CompensationStatus.PAID)
        .group_by(ComplaintCompensation.currency).order_by(ComplaintCompensation.currency)
    )
    return ReviewSummary(
        received_from=received_from, received_to=received_to, total=total, by_category=tallies["category"],
        by_cause=tallies["cause"], by_channel=tallies["channel"], by_branch=tallies["branch"],
        by_outcome=tallies["outcome"], decided=len(times), decided_in_time=int(in_time or 0),
        open_past_due=int(past_due or 0), median_days=float(statistics.median(times)) if times else None,
        p90_days=nearest_rank(times, 0.9), reopened=int(reopened or 0),
        compensation_paid=[(Decimal(amount).quantize(Decimal("0.01")), currency) for amount, currency in paid],
        recurring_causes=[t for t in tallies["cause"] if t.key is not None and t.count >= RECURRING],
    )


def review_csv(summary: ReviewSummary, *, with_compensation: bool) -> str:
    """The review as CSV: one row per figure (``section,key,value``), for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "key", "value"])
    writer.writerow(["period", "from", summary.received_from.isoformat()])
    writer.writerow(["period", "to", summary.received_to.isoformat()])
    writer.writerow(["total", "received", summary.total])
    for section, tallies in (("category", summary.by_category), ("cause", summary.by_cause),
                             ("channel", summary.by_channel), ("branch", summary.by_branch),
                             ("outcome", summary.by_outcome), ("recurring_cause", summary.recurring_causes)):
        for tally in tallies:
            writer.writerow([section, tally.key or "", tally.count])
    figures: list[tuple[str, Any]] = [
        ("decided", summary.decided), ("decided_in_time", summary.decided_in_time),
        ("in_time_share", "" if summary.in_time_share is None else f"{summary.in_time_share:.4f}"),
        ("open_past_due", summary.open_past_due),
        ("median_handling_days", "" if summary.median_days is None else summary.median_days),
        ("p90_handling_days", "" if summary.p90_days is None else summary.p90_days),
        ("reopened", summary.reopened),
        ("reopen_rate", "" if summary.reopen_rate is None else f"{summary.reopen_rate:.4f}"),
    ]
    for key, value in figures:
        writer.writerow(["handling", key, value])
    if with_compensation:
        for amount, currency in summary.compensation_paid:
            writer.writerow(["compensation_paid", currency, f"{amount:.2f}"])
    return out.getvalue()
