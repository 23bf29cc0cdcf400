"""Credit status (R-C3) derived from the grade and the repayment record, with its basis.

The rule, in order:

1. **non-performing** — the customer's facilities here are classified non-performing (substandard,
   doubtful or loss); without a facility on record, arrears of more than 90 days; or a default in
   the last 365 days;
2. **watch** — grade C or D, classified special mention, or any arrears now or in the last 365 days;
3. **premium** — grade A and no arrears or default in the last 730 days;
4. **general** — everything else.

Arrears are computed from the facilities' schedules and repayments; the credit report's events
(at any bank) still count as the record of late payments and defaults.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.base import utcnow
from api.db.enums import CreditStatus, InfoGroup, RiskCategory
from api.db.models import CreditEvent, Customer, CustomerChange
from api.services.exposure import exposures
from plugins.spec import CreditHistoryEvent

NPL_DAYS = 90


def derive_credit_status(
    grade: str, history: tuple[CreditHistoryEvent, ...], days_past_due: int, as_of: date,
    risk_category: str | None = None,
) -> tuple[CreditStatus, str]:
    """The status the rule gives, and its basis in words (``risk_category``: the customer's
    classification here, None while no facility is on record)."""
    year_ago, two_years_ago = as_of - timedelta(days=365), as_of - timedelta(days=730)
    defaults = [e for e in history if e.kind == "default" and e.occurred_on >= year_ago]
    late_year = [e for e in history if e.kind == "overdue" and e.occurred_on >= year_ago]
    late_two_years = [e for e in history if e.kind in ("overdue", "default") and e.occurred_on >= two_years_ago]
    classified = RiskCategory(risk_category) if risk_category is not None else None
    if classified is not None and classified.non_performing:
        return CreditStatus.NON_PERFORMING, (
            f"Non-performing: classified {classified.value.replace('_', ' ')}, {days_past_due} days past due on "
            "its facilities here (rule: classified substandard, doubtful or loss)."
        )
    arrears_alone = classified is None and days_past_due > NPL_DAYS
    if arrears_alone or defaults:
        why = f"{days_past_due} days past due" if arrears_alone else f"default on {defaults[0].occurred_on}"
        return CreditStatus.NON_PERFORMING, (
            f"Non-performing: {why} (rule: over {NPL_DAYS} days past due or a default in the last year)."
        )
    if grade in ("C", "D") or days_past_due > 0 or late_year or classified is RiskCategory.SPECIAL_MENTION:
        reasons = []
        if grade in ("C", "D"):
            reasons.append(f"grade {grade}")
        if classified is RiskCategory.SPECIAL_MENTION:
            reasons.append("classified special mention")
        if days_past_due > 0:
            reasons.append(f"{days_past_due} days past due now")
        if late_year:
            reasons.append(f"{len(late_year)} late payment(s) in the last year")
        return CreditStatus.WATCH, "Watch: " + ", ".join(reasons) + "."
    if grade == "A" and not late_two_years:
        return CreditStatus.PREMIUM, "Premium: grade A and no late payment or default in the last two years."
    return CreditStatus.GENERAL, f"General: grade {grade}" + (
        ", late payment(s) in the last two years." if late_two_years else "."
    )


async def refresh_credit_status(
    session: AsyncSession, customer_ids: Sequence[int], *, as_of: date, by: str
) -> set[int]:
    """Derive again the credit status of ``customer_ids`` from their records (grade in force, credit
    history, classification) and set it where it changed, kept in the history; which changed.

    Credit status follows the repayment record whether or not a grade can be assessed: a customer
    whose first assessment waits for answers is still non-performing when its loans are.
    """
    ids = list(dict.fromkeys(customer_ids))
    found = await exposures(session, ids)
    histories: dict[int, list[CreditHistoryEvent]] = defaultdict(list)
    for event in await session.scalars(
        select(CreditEvent).where(CreditEvent.customer_id.in_(ids)).order_by(CreditEvent.occurred_on, CreditEvent.id)
    ):
        histories[event.customer_id].append(CreditHistoryEvent(
            occurred_on=event.occurred_on, kind=event.kind.value, days_past_due=event.days_past_due,
            amount=event.amount))
    changed: set[int] = set()
    now = utcnow()
    for customer in await session.scalars(select(Customer).where(Customer.id.in_(ids))):
        history = tuple(histories.get(customer.id, ()))
        exposure = found.get(customer.id)
        days = exposure.days_past_due if exposure is not None else latest_arrears(history)
        status, basis = derive_credit_status(customer.grade or "", history, days, as_of,
                                             exposure.category.value if exposure is not None else None)
        if status is customer.credit_status and basis == customer.credit_status_basis:
            continue
        if status is not customer.credit_status:
            session.add(CustomerChange(
                customer_id=customer.id, changed_at=now, changed_by=by, info_group=InfoGroup.CUSTOMER,
                field="creditStatus", old_value=customer.credit_status.value, new_value=status.value, major=False))
            changed.add(customer.id)
        customer.credit_status, customer.credit_status_basis = status, basis
        customer.credit_status_set_at, customer.credit_status_set_by = now, by
        customer.updated_at = now
    # Written now: a bulk re-grade that follows updates the same rows with Core statements.
    await session.flush()
    return changed


def latest_arrears(history: Sequence[CreditHistoryEvent]) -> int:
    """Current arrears in days by the credit events alone: the latest event, if it is an overdue one."""
    if not history:
        return 0
    latest = max(history, key=lambda e: e.occurred_on)
    return (latest.days_past_due or 1) if latest.kind == "overdue" else 0
