"""Revisits on the grade's schedule (R-I2, R-I3): due dates, overdue lists, verification and satisfaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import factories as f
from api.clock import business_date
from api.services.revisits import after_grade_change, after_revisit
from test_servicing import RECORD, contact

ZONE = "Asia/Shanghai"  # the test settings' lender time zone (the default)
CUSTOMER = """query($id: ID!) { customer(id: $id) { version grade { level } nextRevisitOn lastRevisitOn revisitOverdue
  financialsStale informationVerified { basic financial operating credit } } }"""
CUSTOMERS = """query($where: CustomerWhere, $orderBy: [CustomerOrderBy!]) {
  customers(where: $where, orderBy: $orderBy) {
  edges { node { name nextRevisitOn } } } }"""
INTERVAL = {"A": 180, "B": 90, "C": 30, "D": 14}


def today() -> date:
    return business_date(datetime.now(UTC), ZONE)


def days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def shown(api: Any, customer_id: str) -> dict[str, Any]:
    return (await api.ok(CUSTOMER, {"id": customer_id}))["customer"]


async def graded(api: Any, **overrides: Any) -> dict[str, Any]:
    customer = await f.customer(api, **overrides)
    await f.statement(api, customer["id"], customer["version"])
    after = await f.assessed(api, customer["id"], "C34")
    return {**customer, "version": after["version"]}


async def revisit(api: Any, customer_id: str, when: datetime, **overrides: Any) -> dict[str, Any]:
    result = (await api.ok(RECORD, {"input": contact(
        customer_id, kind="REVISIT", occurredAt=when.isoformat(), summary="Revisited the plant.", **overrides
    )}))["recordServiceContact"]
    assert result["__typename"] == "ServiceRecordPayload", result
    return result


# ------------------------------------------------------------------------- the rule, unit by unit


def test_a_first_grade_schedules_the_revisit_its_interval_from_today():
    assert after_grade_change(previous=None, grade="C", last_revisit=None, current=None,
                              today=date(2026, 3, 1)) == date(2026, 3, 31)


def test_the_same_grade_keeps_the_date_already_due():
    assert after_grade_change(previous="B", grade="B", last_revisit=date(2026, 1, 1), current=date(2026, 2, 1),
                              today=date(2026, 1, 20)) == date(2026, 2, 1)


def test_a_worse_grade_counts_from_the_last_revisit_and_never_later_than_already_due():
    # B -> D, last revisit 1 January: due 15 January (14 days), earlier than the 1 April of B.
    assert after_grade_change(previous="B", grade="D", last_revisit=date(2026, 1, 1), current=date(2026, 4, 1),
                              today=date(2026, 2, 1)) == date(2026, 1, 15)
    # A -> B without a revisit: today + 90 would be later than the date due; the date due stands.
    assert after_grade_change(previous="A", grade="B", last_revisit=None, current=date(2026, 3, 1),
                              today=date(2026, 2, 1)) == date(2026, 3, 1)


def test_a_better_grade_counts_its_longer_interval_from_the_last_revisit():
    assert after_grade_change(previous="C", grade="A", last_revisit=date(2026, 1, 1), current=date(2026, 1, 31),
                              today=date(2026, 1, 20)) == date(2026, 6, 30)


def test_a_revisit_restarts_the_count_and_without_a_grade_there_is_no_schedule():
    assert after_revisit("B", date(2026, 1, 1), None) == date(2026, 4, 1)
    assert after_revisit(None, date(2026, 1, 1), None) is None


# ------------------------------------------------------------------------------- through the API


async def test_grading_schedules_the_next_revisit_by_the_grades_interval(api):
    await f.organisation(api)
    customer = await graded(api)
    seen = await shown(api, customer["id"])
    assert seen["nextRevisitOn"] == (today() + timedelta(days=INTERVAL[seen["grade"]["level"]])).isoformat()
    assert (seen["lastRevisitOn"], seen["revisitOverdue"]) == (None, False)


async def test_an_ungraded_customer_has_no_revisit_due(api):
    await f.organisation(api)
    customer = await f.customer(api)
    seen = await shown(api, customer["id"])
    assert (seen["nextRevisitOn"], seen["revisitOverdue"]) == (None, None)


async def test_a_revisit_restarts_the_schedule_from_its_day_and_an_old_one_leaves_the_customer_overdue(api):
    await f.organisation(api)
    customer = await graded(api, name="Overdue Co")
    level = (await shown(api, customer["id"]))["grade"]["level"]
    when = days_ago(INTERVAL[level] + 5)
    result = await revisit(api, customer["id"], when, satisfaction=4)
    day = business_date(when, ZONE)
    assert result["customer"]["lastRevisitOn"] == day.isoformat()
    assert result["customer"]["nextRevisitOn"] == (day + timedelta(days=INTERVAL[level])).isoformat()
    assert result["serviceRecord"]["satisfaction"] == 4
    assert (await shown(api, customer["id"]))["revisitOverdue"] is True
    # A revisit does not move the customer's version: an editor holding it is not in conflict.
    assert result["customer"]["version"] == customer["version"]
    on_time = await graded(api, name="On Time Co")
    await revisit(api, on_time["id"], days_ago(1))
    overdue = {"revisitOverdue": {"_eq": True}, "relationshipManagerUsername": {"_eq": "alice"}}
    names = [e["node"]["name"] for e in (await api.ok(CUSTOMERS, {"where": overdue}))["customers"]["edges"]]
    assert names == ["Overdue Co"]
    due_soon = {"nextRevisitOn": {"_lte": (today() + timedelta(days=365)).isoformat()}}
    ordered = (await api.ok(CUSTOMERS, {"where": due_soon, "orderBy": [{"nextRevisitOn": "ASC"}]}))
    assert [e["node"]["name"] for e in ordered["customers"]["edges"]] == ["Overdue Co", "On Time Co"]


async def test_a_revisit_that_confirms_financial_information_clears_financials_stale(api):
    await f.organisation(api)
    customer = await f.customer(api)
    await f.statement(api, customer["id"], customer["version"], periodEnd="2023-12-31")
    assert (await shown(api, customer["id"]))["financialsStale"] is True
    await revisit(api, customer["id"], days_ago(1), verified=["FINANCIAL", "BASIC"])
    seen = await shown(api, customer["id"])
    day = business_date(days_ago(1), ZONE).isoformat()
    assert seen["informationVerified"] == {"basic": day, "financial": day, "operating": None, "credit": None}
    assert seen["financialsStale"] is False
    current = (await api.ok(CUSTOMERS, {"where": {"stale": {"_eq": False}}}))["customers"]["edges"]
    assert len(current) == 1


async def test_correcting_a_revisit_into_another_kind_takes_it_off_the_schedule(api):
    await f.organisation(api)
    customer = await graded(api)
    before = (await shown(api, customer["id"]))["nextRevisitOn"]
    record = (await revisit(api, customer["id"], days_ago(2), verified=["CREDIT"]))["serviceRecord"]
    values = {k: v for k, v in contact(customer["id"]).items() if k != "customerId"}
    corrected = await api.ok(
        """mutation($input: CorrectServiceContactInput!) { correctServiceContact(input: $input) {
             ... on ServiceRecordPayload {
               customer { lastRevisitOn nextRevisitOn informationVerified { credit } } } } }""",
        {"input": {**values, "id": record["id"], "version": 1, "reason": "It was a training, not a revisit."}},
    )
    assert corrected["correctServiceContact"]["customer"] == {
        "lastRevisitOn": None, "nextRevisitOn": before, "informationVerified": {"credit": None}
    }
