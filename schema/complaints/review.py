"""The periodic complaint review (R-Q4) in the schema: counts, handling times, reopenings, compensation
paid and recurring causes over a period, and the same as CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from api.authz.policy import FieldAccess
from api.services import complaint_review
from schema.context import Info
from schema.customer.information_types import Money, money
from schema.data_classes import classes, classified

COMPENSATION_PAID = "ComplaintReview.compensationPaid"


@classified("complaints")
@strawberry.type(description="How many complaints of the period have one value (a category, cause, channel…).")
class ComplaintTally:
    key: str | None = strawberry.field(
        description="The value as the schema names it (e.g. `FEES_AND_CHARGES`, a branch code); null: none yet "
        "(a cause not found, an outcome of an open complaint)."
    )
    count: int = strawberry.field(description="How many complaints.")


@classified("complaints")
@strawberry.type(
    description="The periodic review of complaints received in a period (the lender's days of receipt, both "
    "ends included), within your reach: what came in, why, how fast it was decided, how often it came back."
)
class ComplaintReview:
    received_from: date = strawberry.field(description="The first day of the period.")
    received_to: date = strawberry.field(description="The last day of the period.")
    total: int = strawberry.field(description="Complaints received in the period.")
    by_category: list[ComplaintTally] = strawberry.field(description="By category, most first.")
    by_cause: list[ComplaintTally] = strawberry.field(description="By root cause found, most first.")
    by_channel: list[ComplaintTally] = strawberry.field(description="By channel, most first.")
    by_branch: list[ComplaintTally] = strawberry.field(description="By owning branch, most first.")
    by_outcome: list[ComplaintTally] = strawberry.field(description="By outcome (null: still open), most first.")
    decided: int = strawberry.field(description="Complaints whose decision was told (a first feedback).")
    decided_in_time: int = strawberry.field(description="Of those, decided on or before the day promised.")
    in_time_share: float | None = strawberry.field(
        description="`decidedInTime` / `decided`, 0–1; null when none was decided."
    )
    open_past_due: int = strawberry.field(description="Not yet decided, and the day promised has passed.")
    median_handling_days: float | None = strawberry.field(
        description="Median calendar days from the day of receipt to the decision, over those decided."
    )
    p90_handling_days: int | None = strawberry.field(
        description="90th percentile (nearest rank) of the same: 90 % were decided within this many days."
    )
    reopened: int = strawberry.field(description="Complaints reopened at least once.")
    reopen_rate: float | None = strawberry.field(description="`reopened` / `total`, 0–1; null for no complaint.")
    compensation_paid: list[Money] | None = strawberry.field(
        description="Compensation paid on the period's complaints, per currency.", metadata=classes("compensation")
    )
    recurring_causes: list[ComplaintTally] = strawberry.field(
        description=f"Root causes found {complaint_review.RECURRING} times or more: what training should address."
    )
    csv: str = strawberry.field(
        description="The same as CSV (`section,key,value` rows), compensation included only for those who may "
        "read `compensationPaid`."
    )


def _tallies(found: list[complaint_review.Tally]) -> list[ComplaintTally]:
    return [ComplaintTally(key=t.key, count=t.count) for t in found]


@strawberry.type
class ComplaintReviewQuery:
    @strawberry.field(description="The periodic complaint review of a period (at most about three years).")
    async def complaint_review(
        self, info: Info,
        received_from: Annotated[date, strawberry.argument(name="from", description="The first day of receipt.")],
        received_to: Annotated[date, strawberry.argument(name="to", description="The last day of receipt.")],
        branch_code: Annotated[
            str | None, strawberry.argument(description="Only this branch's complaints; all in reach when null.")
        ] = None,
    ) -> ComplaintReview | None:
        ctx = info.context
        async with ctx.reading() as session:
            found = await complaint_review.review(
                session, scope=ctx.scope, received_from=received_from, received_to=received_to, today=ctx.today,
                branch_code=branch_code,
            )
        amounts = ctx.decisions.field(COMPENSATION_PAID) is not FieldAccess.DENIED
        return ComplaintReview(
            received_from=found.received_from, received_to=found.received_to, total=found.total,
            by_category=_tallies(found.by_category), by_cause=_tallies(found.by_cause),
            by_channel=_tallies(found.by_channel), by_branch=_tallies(found.by_branch),
            by_outcome=_tallies(found.by_outcome), decided=found.decided, decided_in_time=found.decided_in_time,
            in_time_share=found.in_time_share, open_past_due=found.open_past_due,
            median_handling_days=found.median_days, p90_handling_days=found.p90_days, reopened=found.reopened,
            reopen_rate=found.reopen_rate,
            compensation_paid=[m for amount, currency in found.compensation_paid
                               if (m := money(amount, currency)) is not None],
            recurring_causes=_tallies(found.recurring_causes),
            csv=complaint_review.review_csv(found, with_compensation=amounts),
        )
