"""Five-category risk classification (the shipped 2023 rules) and arrears computed from schedules
and repayments: every day-count boundary, the restructuring observation period, and the borrower
rules at, just under and just over their shares."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.reference.loan_classification import RULES_FILE, RiskCategory, classification_rules
from api.services.arrears import Installment, Payment, arrears
from api.services.classification import BankDebt, FacilityFacts, classify_borrower, classify_facility

RULES = classification_rules()
TODAY = date(2026, 12, 1)


def facility(
    days: int, outstanding: str = "1000000", restructured_on: date | None = None, key: int = 1
) -> FacilityFacts:
    return FacilityFacts(key, days, Decimal(outstanding), restructured_on)


@pytest.mark.parametrize(("days", "category"), [
    (0, RiskCategory.NORMAL),
    (1, RiskCategory.SPECIAL_MENTION),
    (90, RiskCategory.SPECIAL_MENTION),  # exactly 90 is not "more than 90"
    (91, RiskCategory.SUBSTANDARD),
    (270, RiskCategory.SUBSTANDARD),
    (271, RiskCategory.DOUBTFUL),
    (360, RiskCategory.DOUBTFUL),
    (361, RiskCategory.LOSS),
])
def test_days_past_due_put_a_facility_at_least_in_the_category_of_the_rule_it_passes(days, category):
    found = classify_facility(facility(days), TODAY, RULES)
    assert found.category is category
    if days:
        assert found.reasons[0].startswith(f"{days} days past due: ")
    else:
        assert "normal" in found.reasons[0]


def test_a_restructured_facility_stays_special_mention_for_a_year_and_is_normal_after():
    inside = classify_facility(facility(0, restructured_on=TODAY - timedelta(days=364)), TODAY, RULES)
    assert inside.category is RiskCategory.SPECIAL_MENTION
    assert "restructured on" in inside.reasons[0]
    after = classify_facility(facility(0, restructured_on=TODAY - timedelta(days=365)), TODAY, RULES)
    assert after.category is RiskCategory.NORMAL


def test_a_restructured_facility_long_overdue_keeps_the_worse_category_and_both_reasons():
    found = classify_facility(facility(200, restructured_on=TODAY - timedelta(days=30)), TODAY, RULES)
    assert found.category is RiskCategory.SUBSTANDARD
    assert len(found.reasons) == 2


@pytest.mark.parametrize(("overdue_long", "category"), [
    ("19.99", RiskCategory.NORMAL),
    ("20.00", RiskCategory.NORMAL),  # exactly 20 % is not "more than 20 %"
    ("20.01", RiskCategory.SUBSTANDARD),
])
def test_a_borrower_long_overdue_at_other_banks_puts_every_facility_here_at_least_substandard(overdue_long, category):
    debt = BankDebt(total=Decimal("100.00"), overdue_long=Decimal(overdue_long), as_of=TODAY)
    found = classify_borrower([facility(0, key=1), facility(5, key=2)], debt, TODAY, RULES)
    assert found.facilities[1].category is category
    assert found.facilities[2].category is max(category, RiskCategory.SPECIAL_MENTION, key=lambda c: c.rank)
    assert found.borrower.category is found.facilities[2].category
    if category is RiskCategory.SUBSTANDARD:
        assert "debt at all banks" in found.facilities[1].reasons[0]


@pytest.mark.parametrize(("bad_share", "category"), [
    ("9.99", RiskCategory.NORMAL),
    ("10.00", RiskCategory.NORMAL),  # exactly 10 % is not "more than 10 %"
    ("10.01", RiskCategory.SUBSTANDARD),
])
def test_more_than_a_tenth_of_a_borrowers_claims_non_performing_makes_all_of_them_non_performing(bad_share, category):
    bad = Decimal(bad_share) * 100
    found = classify_borrower(
        [facility(91, outstanding=str(bad), key=1), facility(0, outstanding=str(Decimal(10000) - bad), key=2)],
        None, TODAY, RULES,
    )
    assert found.facilities[1].category is RiskCategory.SUBSTANDARD
    assert found.facilities[2].category is category
    assert found.borrower.category is RiskCategory.SUBSTANDARD
    if category is RiskCategory.SUBSTANDARD:
        assert "claims on the borrower here non-performing" in found.facilities[2].reasons[0]


def test_the_borrower_rules_never_improve_a_worse_facility_and_the_borrower_takes_its_worst():
    debt = BankDebt(total=Decimal(100), overdue_long=Decimal(50), as_of=TODAY)
    found = classify_borrower([facility(300, key=1), facility(0, key=2)], debt, TODAY, RULES)
    assert found.facilities[1].category is RiskCategory.DOUBTFUL
    assert found.facilities[2].category is RiskCategory.SUBSTANDARD
    assert found.borrower.category is RiskCategory.DOUBTFUL
    assert found.borrower.reasons[0] == "Facility #1:"


def test_a_borrower_without_facilities_is_normal():
    found = classify_borrower([], None, TODAY, RULES)
    assert found.borrower.category is RiskCategory.NORMAL and found.facilities == {}


def test_rules_that_go_backwards_are_refused(tmp_path: Path):
    shipped = json.loads((Path(__file__).parent.parent / "api" / "reference" / RULES_FILE).read_text())
    shipped["overdue"][1]["over_days"] = 400
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(shipped))
    with pytest.raises(ValidationError, match="fewest days to the most"):
        classification_rules(path)


# --- arrears: computed from the schedule and the repayments -------------------------------------

SCHEDULE = [Installment(date(2026, 1, 31), Decimal("100.00"), Decimal("10.00")),
            Installment(date(2026, 2, 28), Decimal("100.00"), Decimal("10.00")),
            Installment(date(2026, 3, 31), Decimal("100.00"), Decimal("10.00"))]


def test_nothing_is_overdue_on_the_due_day_and_one_day_after_it_is():
    assert arrears(SCHEDULE, [], date(2026, 1, 31)).days_past_due == 0
    late = arrears(SCHEDULE, [], date(2026, 2, 1))
    assert (late.days_past_due, late.overdue_amount, late.overdue_since) == (1, Decimal("110.00"), date(2026, 1, 31))


def test_repayments_settle_the_oldest_installment_first_interest_before_principal():
    # 150 paid: January settled (110), 40 of February: its interest 10 and 30 of principal.
    found = arrears(SCHEDULE, [Payment(date(2026, 2, 27), Decimal("150.00"))], date(2026, 3, 15))
    assert found.days_past_due == 15  # 70 of February unpaid since 28 February
    assert found.overdue_amount == Decimal("70.00")
    assert found.principal_repaid == Decimal("130.00")


def test_a_payment_after_the_day_asked_about_does_not_count_and_a_late_payment_clears_the_arrears():
    payments = [Payment(date(2026, 3, 5), Decimal("110.00"))]
    assert arrears(SCHEDULE, payments, date(2026, 3, 4)).days_past_due == 32
    cleared = arrears(SCHEDULE, payments, date(2026, 3, 5))
    assert (cleared.days_past_due, cleared.overdue_since) == (5, date(2026, 2, 28))  # February still unpaid


def test_paying_ahead_settles_later_installments():
    found = arrears(SCHEDULE, [Payment(date(2026, 1, 10), Decimal("330.00"))], date(2026, 12, 1))
    assert (found.days_past_due, found.overdue_amount, found.principal_repaid) == (0, Decimal(0), Decimal("300.00"))
