"""Five-category risk classification of a borrower's facilities, by the rules in force.

Pure functions over what the records say (days past due computed from schedules and repayments,
outstanding balances, restructurings, the borrower's debt at all banks): the same facts always
give the same categories, with the rules that set each one named as its reasons.

Facility by facility first (arrears, restructuring), then the borrower: when more than the
configured share of its debt at all banks is long overdue, or of its claims here is
non-performing, every facility is at least the category the rule names. The borrower's own
category is its worst facility's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from api.reference.loan_classification import ClassificationRules, RiskCategory, ShareRule


@dataclass(frozen=True, slots=True)
class FacilityFacts:
    """What classifying one facility needs."""

    facility_id: int
    days_past_due: int
    outstanding: Decimal  # the principal drawn and not repaid
    restructured_on: date | None = None


@dataclass(frozen=True, slots=True)
class BankDebt:
    """The borrower's debt at all banks (from the credit report): in total and overdue long."""

    total: Decimal
    overdue_long: Decimal  # overdue more than the rule's days (90 by default)
    as_of: date


@dataclass(frozen=True, slots=True)
class Classified:
    """A category and the rules that set it (the first is the deciding one)."""

    category: RiskCategory
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BorrowerClassified:
    """Each facility's category, and the borrower's (its worst facility's)."""

    facilities: dict[int, Classified] = field(default_factory=dict)
    borrower: Classified = Classified(RiskCategory.NORMAL)


def classify_facility(facts: FacilityFacts, as_of: date, rules: ClassificationRules) -> Classified:
    """The category ``facts`` give on their own (before the borrower-level rules)."""
    category, reasons = RiskCategory.NORMAL, []
    overdue = rules.for_overdue(facts.days_past_due)
    if overdue is not None:
        category = overdue.at_least
        reasons.append(f"{facts.days_past_due} days past due: {overdue.rule}")
    watched = rules.restructured
    if facts.restructured_on is not None and as_of < facts.restructured_on + timedelta(days=watched.observation_days):
        if watched.at_least.rank > category.rank:
            category = watched.at_least
        reasons.append(f"restructured on {facts.restructured_on.isoformat()}: {watched.rule}")
    return Classified(category, tuple(reasons) or ("Nothing overdue and no rule applies: normal.",))


def _share_over(part: Decimal, whole: Decimal, rule: ShareRule) -> Decimal | None:
    """``part / whole`` when it is above the rule's share (strictly), else None."""
    if whole <= 0:
        return None
    share = part / whole
    return share if share > rule.share_over else None


def _at_least(found: Classified, rule: ShareRule, reason: str) -> Classified:
    if found.category.rank >= rule.at_least.rank:
        return Classified(found.category, (*found.reasons, reason))
    return Classified(rule.at_least, (reason, *found.reasons))


def classify_borrower(
    facilities: Sequence[FacilityFacts], bank_debt: BankDebt | None, as_of: date, rules: ClassificationRules
) -> BorrowerClassified:
    """Every facility of one borrower, the borrower-level rules applied, and the borrower's category."""
    found = {facts.facility_id: classify_facility(facts, as_of, rules) for facts in facilities}
    outside = rules.borrower.overdue_at_all_banks
    if bank_debt is not None:
        share = _share_over(bank_debt.overdue_long, bank_debt.total, outside)
        if share is not None:
            reason = (f"{share:.2%} of the borrower's debt at all banks overdue long "
                      f"(report of {bank_debt.as_of.isoformat()}): {outside.rule}")
            found = {key: _at_least(value, outside, reason) for key, value in found.items()}
    here = rules.borrower.non_performing_here
    total = sum((facts.outstanding for facts in facilities), Decimal(0))
    bad = sum((facts.outstanding for facts in facilities if found[facts.facility_id].category.non_performing),
              Decimal(0))
    share = _share_over(bad, total, here)
    if share is not None:
        reason = f"{share:.2%} of the claims on the borrower here non-performing: {here.rule}"
        found = {key: _at_least(value, here, reason) for key, value in found.items()}
    if not found:
        return BorrowerClassified({}, Classified(RiskCategory.NORMAL, ("No facility on record.",)))
    worst = max(found.items(), key=lambda item: (item[1].category.rank, -item[0]))
    return BorrowerClassified(found, Classified(worst[1].category, (f"Facility #{worst[0]}:", *worst[1].reasons)))
