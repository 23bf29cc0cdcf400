"""Days past due, overdue amounts and balances, computed from a facility's repayment schedule and
the repayments received: never typed in.

Repayments settle the installments in the order they fall due (the oldest first), each
installment's interest before its principal; a repayment larger than what is due pays ahead.
An installment is overdue from the day after it falls due until it is settled; the facility's
days past due count from its oldest installment still unsettled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Installment:
    """One installment of a schedule."""

    due_on: date
    principal: Decimal
    interest: Decimal


@dataclass(frozen=True, slots=True)
class Payment:
    """One repayment received."""

    paid_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Arrears:
    """Where a facility stands on ``as_of``."""

    days_past_due: int
    overdue_amount: Decimal  # principal and interest due before ``as_of`` and not paid
    overdue_since: date | None  # the due day of the oldest installment still unsettled
    principal_repaid: Decimal


def arrears(installments: Sequence[Installment], payments: Sequence[Payment], as_of: date) -> Arrears:
    """The facility's arrears on ``as_of``, counting the payments received by then."""
    paid = sum((p.amount for p in payments if p.paid_on <= as_of), ZERO)
    principal_repaid = overdue = ZERO
    since: date | None = None
    for item in sorted(installments, key=lambda i: i.due_on):
        interest = min(paid, item.interest)
        principal = min(paid - interest, item.principal)
        paid -= interest + principal
        principal_repaid += principal
        unpaid = item.interest + item.principal - interest - principal
        if unpaid > 0 and item.due_on < as_of:
            overdue += unpaid
            since = since or item.due_on
    days = (as_of - since).days if since is not None else 0
    return Arrears(days, overdue, since, principal_repaid)
