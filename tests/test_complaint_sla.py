"""Complaint deadlines (R-Q1) as the two shipped SLA presets count them: calendar days from the
day after receipt, rolled past rest days where the rule says so, on a loaded holiday calendar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from api.reference.complaint_sla import HolidayCalendar, Need, read_policies
from api.settings import Settings

# China's 2026 Spring Festival: 15–23 February off; Saturday 14 and Saturday 28 February worked.
SPRING_FESTIVAL = """date,kind,name
2026-02-14,working,Spring Festival make-up day
2026-02-15,holiday,Spring Festival
2026-02-16,holiday,Spring Festival
2026-02-17,holiday,Spring Festival
2026-02-18,holiday,Spring Festival
2026-02-19,holiday,Spring Festival
2026-02-20,holiday,Spring Festival
2026-02-21,holiday,Spring Festival
2026-02-22,holiday,Spring Festival
2026-02-23,holiday,Spring Festival
2026-02-28,working,Spring Festival make-up day
"""


@pytest.fixture
def calendar(tmp_path: Path) -> HolidayCalendar:
    path = tmp_path / "holidays.csv"
    path.write_text(SPRING_FESTIVAL, encoding="utf-8")
    return HolidayCalendar.read(path)


def test_the_day_of_receipt_is_not_counted_and_fifteen_calendar_days_follow():
    presets = read_policies()
    # Thursday 1 January 2026 + 15 days = Friday 16 January, a working day under both rules.
    assert presets["cn_2020"].due_on(date(2026, 1, 1)) == date(2026, 1, 16)
    assert presets["us_cfpb"].due_on(date(2026, 1, 1)) == date(2026, 1, 16)


def test_china_rolls_a_deadline_on_a_weekend_to_the_next_working_day_and_the_cfpb_does_not():
    presets = read_policies()
    # Friday 2 January + 15 = Saturday 17 January.
    assert presets["cn_2020"].due_on(date(2026, 1, 2)) == date(2026, 1, 19)
    assert presets["us_cfpb"].due_on(date(2026, 1, 2)) == date(2026, 1, 17)


def test_deadlines_cross_month_and_year_ends_on_calendar_dates():
    presets = read_policies()
    assert presets["cn_2020"].due_on(date(2026, 1, 31)) == date(2026, 2, 16)  # Sun 15 Feb → Mon 16
    assert presets["us_cfpb"].due_on(date(2026, 12, 20)) == date(2027, 1, 4)
    assert presets["us_cfpb"].due_on(date(2028, 2, 14)) == date(2028, 2, 29)  # a leap year
    assert presets["cn_2020"].due_on(date(2026, 12, 20), 1) == date(2027, 1, 19)  # 30 days, a Tuesday


def test_a_loaded_holiday_calendar_rolls_past_holidays_and_counts_make_up_saturdays_as_working(calendar):
    china = read_policies(calendar=calendar)["cn_2020"]
    # 30 January + 15 = Saturday 14 February, a make-up working day: due that day.
    assert china.due_on(date(2026, 1, 30)) == date(2026, 2, 14)
    # 31 January + 15 = Sunday 15 February, in the festival: due the first working day after, Tuesday 24.
    assert china.due_on(date(2026, 1, 31)) == date(2026, 2, 24)
    # The CFPB counts calendar days whatever the calendar says.
    assert read_policies(calendar=calendar)["us_cfpb"].due_on(date(2026, 1, 31)) == date(2026, 2, 15)


def test_a_policy_counting_working_days_skips_weekends_and_holidays(tmp_path, calendar):
    custom = tmp_path / "sla.json"
    custom.write_text('{"uk_working": {"title": "t", "rule": "r", "counting": "working", "roll": "none", '
                      '"stages": [{"stage": "FINAL", "days": 5}]}}', encoding="utf-8")
    policy = read_policies(custom, calendar)["uk_working"]
    # Thursday 12 February: working days Friday 13, Saturday 14 (made up), then after the festival 24, 25, 26.
    assert policy.due_on(date(2026, 2, 12)) == date(2026, 2, 26)


def test_the_china_preset_extends_to_30_days_with_a_reason_then_60_with_a_senior_approval_the_complainant_told():
    china = read_policies()["cn_2020"]
    assert [(s.name, s.days) for s in china.stages] == [("DECISION", 15), ("EXTENDED", 30), ("FURTHER_EXTENDED", 60)]
    assert china.stages[1].needs == {Need.REASON}
    assert china.stages[2].needs == {Need.REASON, Need.SENIOR_APPROVAL, Need.COMPLAINANT_TOLD}
    cfpb = read_policies()["us_cfpb"]
    assert [(s.name, s.days) for s in cfpb.stages] == [("RESPONSE", 15), ("FINAL", 60)]


@pytest.mark.parametrize(("text", "message"), [
    ("date,kind\n2026-13-01,holiday\n", "not a date"),
    ("date,kind\n2026-01-01,vacation\n", "kind must be holiday or working"),
    ("day,kind\n2026-01-01,holiday\n", "the header"),
    ("date,kind\n2026-01-01,holiday\n2026-01-01,working\n", "both a holiday and a working day"),
])
def test_a_bad_holiday_calendar_stops_the_start_naming_the_problem(tmp_path, text, message):
    path = tmp_path / "holidays.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        Settings(holiday_calendar=str(path))


def test_an_unknown_sla_policy_stops_the_start_naming_the_ones_there_are():
    with pytest.raises(ValueError, match="cn_2020, us_cfpb"):
        Settings(complaint_sla="uk_fca")
