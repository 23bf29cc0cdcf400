"""The periodic complaint review (R-Q4) through the GraphQL endpoint: counts by category, cause,
channel, branch and outcome, handling times, the share decided in time, reopenings, compensation
paid and recurring causes, as data and as CSV, within the caller's scope and policy."""

from __future__ import annotations

import csv
import io
import statistics
from datetime import date
from typing import Any

import factories as f
from api.clock import business_today
from test_complaints import HANDLER, MANAGER, done, feedback, filed, planned, step

REVIEW = """query($from: Date!, $to: Date!, $branch: String) {
  complaintReview(from: $from, to: $to, branchCode: $branch) {
    receivedFrom receivedTo total decided decidedInTime inTimeShare openPastDue medianHandlingDays p90HandlingDays
    reopened reopenRate byCategory { key count } byCause { key count } byChannel { key count } byBranch { key count }
    byOutcome { key count } recurringCauses { key count } compensationPaid { amount currency } csv
  } }"""


async def closed(api: Any, c: dict[str, Any], outcome: str = "UPHELD") -> dict[str, Any]:
    return done(await step(api, "closeComplaint", {"id": c["id"], "version": c["version"], "outcome": outcome}))


async def test_the_review_counts_the_periods_complaints_and_their_handling(api, settings):
    await f.organisation(api)
    customer = await f.customer(api)
    today = business_today(settings.timezone)
    late = await filed(api, customer["id"], receivedAt="2026-10-01T10:00:00+08:00", channel="EMAIL")
    late = await closed(api, await feedback(api, await planned(api, late, at_fault=False), satisfied=True))
    on_time = await filed(api, customer["id"], category="PROCESSING_DELAY")
    on_time = await planned(api, on_time, at_fault=True)
    proposed = done(await step(api, "proposeComplaintCompensation", {
        "complaintId": on_time["id"], "version": on_time["version"], "amount": "35.50", "currency": "CNY",
        "reason": "Fee."}))
    approved = done(await step(api, "approveComplaintCompensation",
                               {"id": proposed["id"], "version": proposed["version"]}, bearer=MANAGER))
    await step(api, "recordComplaintCompensationPaid", {"id": approved["id"], "version": approved["version"],
                                                        "paidOn": today.isoformat(), "reference": "TX-9"})
    node = (await api.ok("query($id: ID!) { node(id: $id) { ... on Complaint { id version } } }",
                         {"id": on_time["id"]}, bearer=HANDLER))["node"]
    on_time = await closed(api, await feedback(api, node, satisfied=True))
    done(await step(api, "reopenComplaint", {"id": on_time["id"], "version": on_time["version"], "reason": "Back."}))
    await filed(api, customer["id"], receivedAt="2026-09-01T10:00:00+08:00")  # undecided, long past due
    await filed(api, customer["id"], receivedAt="2025-12-31T10:00:00+08:00")  # before the period

    review = (await api.ok(REVIEW, {"from": "2026-01-01", "to": today.isoformat()}, bearer=HANDLER))[
        "complaintReview"]
    assert review["total"] == 3 and review["decided"] == 2 and review["decidedInTime"] == 1
    assert review["inTimeShare"] == 0.5 and review["openPastDue"] == 1
    days = sorted([(today - date(2026, 10, 1)).days, (today - date.fromisoformat(on_time["receivedOn"])).days])
    assert review["medianHandlingDays"] == statistics.median(days) and review["p90HandlingDays"] == days[1]
    assert (review["reopened"], review["reopenRate"]) == (1, 1 / 3)
    assert {t["key"]: t["count"] for t in review["byCategory"]} == {"FEES_AND_CHARGES": 2, "PROCESSING_DELAY": 1}
    assert {t["key"]: t["count"] for t in review["byChannel"]} == {"HOTLINE": 2, "EMAIL": 1}
    assert {t["key"]: t["count"] for t in review["byCause"]} == {"SYSTEM_FAULT": 2, None: 1}
    assert review["recurringCauses"] == [{"key": "SYSTEM_FAULT", "count": 2}]
    assert review["byBranch"] == [{"key": "HZ01", "count": 3}]
    assert {t["key"]: t["count"] for t in review["byOutcome"]} == {"UPHELD": 1, None: 2}
    assert review["compensationPaid"] == [{"amount": "35.50", "currency": "CNY"}]
    rows = {(r["section"], r["key"]): r["value"] for r in csv.DictReader(io.StringIO(review["csv"]))}
    assert rows[("total", "received")] == "3" and rows[("handling", "in_time_share")] == "0.5000"
    assert rows[("category", "FEES_AND_CHARGES")] == "2" and rows[("compensation_paid", "CNY")] == "35.50"
    assert rows[("recurring_cause", "SYSTEM_FAULT")] == "2"


async def test_the_review_keeps_to_the_callers_scope_and_withholds_amounts_from_those_who_may_not_see_them(api):
    await f.organisation(api)
    ours = await f.customer(api)
    theirs = await f.customer(api, name="Shanghai Co", branchCode="SH01", relationshipManagerUsername="bob")
    await filed(api, ours["id"])
    sue = f.as_("sue", "complaint_handler")
    await step(api, "fileComplaint", {"customerId": theirs["id"], "channel": "HOTLINE", "category": "OTHER",
                                      "matter": "x", "receivedAt": "2026-11-02T10:00:00+08:00"}, bearer=sue)
    period = {"from": "2026-01-01", "to": "2026-12-31"}
    assert (await api.ok(REVIEW, period, bearer=HANDLER))["complaintReview"]["total"] == 1
    assert (await api.ok(REVIEW, period, bearer=sue))["complaintReview"]["total"] == 1
    body = await api(REVIEW, period, bearer=f.as_("alice"))  # her own customer's complaint, but no amounts
    assert body["data"]["complaintReview"]["total"] == 1 and body["data"]["complaintReview"]["compensationPaid"] is None
    assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
        ("FORBIDDEN", ["complaintReview", "compensationPaid"])]
    assert "compensation_paid" not in body["data"]["complaintReview"]["csv"]


async def test_a_period_that_ends_before_it_starts_is_bad_input(api):
    await f.organisation(api)
    body = await api(REVIEW, {"from": "2026-02-01", "to": "2026-01-01"}, bearer=HANDLER)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
