"""Credit status (R-C3) derived from the grade and the repayment record, with its basis.

The rule, in order:

1. **non-performing** — a loan is non-performing: arrears of more than 90 days, or a default in
   the last 365 days;
2. **watch** — grade C or D, or any arrears now or in the last 365 days;
3. **premium** — grade A and no arrears or default in the last 730 days;
4. **general** — everything else.
"""

from __future__ import annotations

from datetime import date, timedelta

from api.db.enums import CreditStatus
from plugins.spec import CreditHistoryEvent

NPL_DAYS = 90


def derive_credit_status(
    grade: str, history: tuple[CreditHistoryEvent, ...], days_past_due: int, as_of: date
) -> tuple[CreditStatus, str]:
    """The status the rule gives, and its basis in words."""
    year_ago, two_years_ago = as_of - timedelta(days=365), as_of - timedelta(days=730)
    defaults = [e for e in history if e.kind == "default" and e.occurred_on >= year_ago]
    late_year = [e for e in history if e.kind == "overdue" and e.occurred_on >= year_ago]
    late_two_years = [e for e in history if e.kind in ("overdue", "default") and e.occurred_on >= two_years_ago]
    if days_past_due > NPL_DAYS or defaults:
        why = f"{days_past_due} days past due" if days_past_due > NPL_DAYS else f"default on {defaults[0].occurred_on}"
        return CreditStatus.NON_PERFORMING, (
            f"Non-performing: {why} (rule: over {NPL_DAYS} days past due or a default in the last year)."
        )
    if grade in ("C", "D") or days_past_due > 0 or late_year:
        reasons = []
        if grade in ("C", "D"):
            reasons.append(f"grade {grade}")
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
