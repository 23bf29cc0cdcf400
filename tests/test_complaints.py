"""Complaints from intake to closure (R-Q1 … R-Q4) through the GraphQL endpoint, on both SLA presets:
every path of the state machine, its refusals, deadlines and extensions, compensation, recusal,
confidentiality and concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

import factories as f
from api.asgi import create_app
from api.clock import business_today
from api.settings import Settings
from conftest import Api, token

HANDLER = token(sub="carl", roles=("complaint_handler",), branch="HZ01")
MANAGER = token(sub="hank", roles=("branch_manager",), branch="HZ01")
RISK = token(sub="rex", roles=("risk_expert",), branch="HZ01")
AUDITOR = token(sub="audrey", roles=("compliance_auditor",), branch="HZ01")
TEAM = [{"username": "amy", "capacity": "CREDIT"}, {"username": "rex", "capacity": "RISK"}]

COMPLAINT = """id status version category channel matter request evidence receivedOn dueOn firstDueOn slaPolicy
  slaStage open daysLeft breached decidedOn outcome rootCause lenderAtFault reopenedCount branchCode handler
  complainantName customer { name }
  transitions { fromStatus toStatus by note } team { username capacity }
  investigations { findings rootCause examined { kind description on } }
  plans { department responsible deadline lenderAtFault } feedback { explanation response satisfied }
  extensions { stage fromDueOn dueOn reason approvedBy complainantToldOn }
  compensations { id amount currency status proposedBy approvedBy version }"""
RESULT = f"""__typename
  ... on ComplaintPayload {{ complaint {{ {COMPLAINT} }} }}
  ... on InvalidInputError {{ code problems {{ field message }} }}
  ... on NotFoundError {{ code field }}
  ... on ConflictError {{ code currentVersion }}
  ... on TransitionNotAllowedError {{ code message current attempted allowed }}"""
COMPENSATION_RESULT = """__typename
  ... on ComplaintCompensationPayload { compensation { id amount currency status proposedBy approvedBy paidOn
                                                        version } }
  ... on InvalidInputError { code problems { field message } }
  ... on NotFoundError { code field }
  ... on ConflictError { code currentVersion }"""
STEPS = {
    name: f"mutation($input: {kind}!) {{ {name}(input: $input) {{ {RESULT} }} }}"
    for name, kind in (
        ("fileComplaint", "FileComplaintInput"),
        ("startComplaintInvestigation", "StartComplaintInvestigationInput"),
        ("recordComplaintFindings", "RecordComplaintFindingsInput"),
        ("agreeComplaintPlan", "AgreeComplaintPlanInput"),
        ("giveComplaintFeedback", "GiveComplaintFeedbackInput"),
        ("closeComplaint", "CloseComplaintInput"),
        ("reopenComplaint", "ComplaintReasonInput"),
        ("escalateComplaint", "ComplaintReasonInput"),
        ("extendComplaintDeadline", "ExtendComplaintDeadlineInput"),
    )
}
COMPENSATION_STEPS = {
    name: f"mutation($input: {kind}!) {{ {name}(input: $input) {{ {COMPENSATION_RESULT} }} }}"
    for name, kind in (
        ("proposeComplaintCompensation", "ProposeComplaintCompensationInput"),
        ("approveComplaintCompensation", "ComplaintCompensationStepInput"),
        ("withdrawComplaintCompensation", "ComplaintCompensationStepInput"),
        ("recordComplaintCompensationPaid", "RecordComplaintCompensationPaidInput"),
    )
}
LIST = """query($where: ComplaintWhere, $orderBy: [ComplaintOrderBy!], $customerId: ID) {
  complaints(where: $where, orderBy: $orderBy, customerId: $customerId) {
    totalCount edges { node { matter status dueOn daysLeft breached } } } }"""


@pytest.fixture(params=["cn_2020", "us_cfpb"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Every test runs under both shipped presets. Two hundred intakes at once queue for the database
    (SQLite writes one at a time): the worker takes them all and lets them wait their turn, which on a
    busy machine comes later than the 10 s a request is given by default."""
    return settings.model_copy(update={"complaint_sla": request.param, "max_concurrent_requests": 256,
                                       "db_pool_timeout_seconds": 60.0, "max_execution_seconds": 60.0})


def lender_today() -> str:
    """Today where the lender is: the day the service checks dates against (not UTC's)."""
    return business_today("Asia/Shanghai").isoformat()


def now_minus(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def step(api: Any, name: str, values: dict[str, Any], bearer: str = HANDLER) -> dict[str, Any]:
    query = STEPS.get(name) or COMPENSATION_STEPS[name]
    return (await api.ok(query, {"input": values}, bearer=bearer))[name]


def done(result: dict[str, Any]) -> dict[str, Any]:
    assert result["__typename"] in ("ComplaintPayload", "ComplaintCompensationPayload"), result
    return result.get("complaint") or result["compensation"]


async def filed(api: Any, customer_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    values = {"customerId": customer_id, "channel": "HOTLINE", "category": "FEES_AND_CHARGES",
              "matter": "Fee charged twice on a transfer.", "request": "Refund the second fee.",
              "evidence": ["statement 2026-10", "call recording 88123"], "receivedAt": now_minus(hours=2),
              **overrides}
    return done(await step(api, "fileComplaint", values))


async def world(api: Any) -> dict[str, Any]:
    await f.organisation(api)
    return await f.customer(api)


async def investigated(api: Any, c: dict[str, Any], cause: str = "SYSTEM_FAULT", start: bool = True) -> dict[str, Any]:
    if start:
        c = done(await step(api, "startComplaintInvestigation", {"id": c["id"], "version": c["version"], "team": TEAM}))
    return done(await step(api, "recordComplaintFindings", {
        "id": c["id"], "version": c["version"], "findings": "The fee was posted twice by a batch rerun.",
        "rootCause": cause, "examined": [{"kind": "FILES", "description": "Posting log of the batch.",
                                          "on": lender_today()}]}, bearer=RISK))


async def planned(api: Any, c: dict[str, Any], at_fault: bool = True, start: bool = True) -> dict[str, Any]:
    c = await investigated(api, c, start=start)
    return done(await step(api, "agreeComplaintPlan", {
        "id": c["id"], "version": c["version"], "department": "Operations", "responsibleUsername": "carl",
        "measures": "Refund the fee; fix the batch.", "deadline": (datetime.now(UTC) + timedelta(days=5)).date()
        .isoformat(), "lenderAtFault": at_fault}))


async def feedback(api: Any, c: dict[str, Any], satisfied: bool) -> dict[str, Any]:
    return done(await step(api, "giveComplaintFeedback", {
        "id": c["id"], "version": c["version"], "explanation": "We refunded the fee and fixed the batch.",
        "response": "Fine." if satisfied else "I want an apology too.", "satisfied": satisfied}))


def moves(c: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(t["fromStatus"], t["toStatus"]) for t in c["transitions"]]


async def test_a_complaint_walks_from_intake_to_closure_and_every_move_is_history(api, settings):
    customer = await world(api)
    c = await filed(api, customer["id"])
    assert c["status"] == "RECEIVED" and c["slaPolicy"] == settings.complaint_sla and c["slaStage"] == 0
    assert c["customer"]["name"] == customer["name"] and c["branchCode"] == "HZ01" and c["handler"] == "carl"
    today = business_today(settings.timezone)
    assert c["open"] and not c["breached"] and c["daysLeft"] == (date.fromisoformat(c["dueOn"]) - today).days >= 13
    c = await planned(api, c, at_fault=False)
    assert c["status"] == "PLAN_AGREED" and c["rootCause"] == "SYSTEM_FAULT"
    assert [m["username"] for m in c["team"]] == ["amy", "rex"]
    c = await feedback(api, c, satisfied=True)
    assert c["status"] == "FEEDBACK_GIVEN" and c["decidedOn"] is not None and c["daysLeft"] is None
    c = done(await step(api, "closeComplaint", {"id": c["id"], "version": c["version"], "outcome": "UPHELD"}))
    assert c["status"] == "CLOSED" and c["outcome"] == "UPHELD" and not c["open"] and not c["breached"]
    assert moves(c) == [(None, "RECEIVED"), ("RECEIVED", "INVESTIGATING"), ("INVESTIGATING", "PLAN_AGREED"),
                        ("PLAN_AGREED", "FEEDBACK_GIVEN"), ("FEEDBACK_GIVEN", "CLOSED")]
    assert {t["by"] for t in c["transitions"]} == {"carl"}


async def test_a_dissatisfied_complainant_gets_further_explanation_then_reinvestigation_and_a_reopened_case(api):
    customer = await world(api)
    c = await feedback(api, await planned(api, await filed(api, customer["id"])), satisfied=False)
    c = await feedback(api, c, satisfied=False)  # further explanation
    c = done(await step(api, "startComplaintInvestigation", {"id": c["id"], "version": c["version"]}))
    assert c["status"] == "INVESTIGATING" and c["rootCause"] is None  # the team stays; the findings are to come
    assert [m["username"] for m in c["team"]] == ["amy", "rex"]
    refused = await step(api, "agreeComplaintPlan", {
        "id": c["id"], "version": c["version"], "department": "Ops", "responsibleUsername": "carl",
        "measures": "x", "deadline": lender_today(), "lenderAtFault": False})
    assert refused["__typename"] == "InvalidInputError" and "findings" in refused["problems"][0]["message"]
    c = await feedback(api, await planned(api, c, at_fault=False, start=False), satisfied=False)
    refused = await step(api, "closeComplaint", {"id": c["id"], "version": c["version"], "outcome": "NOT_UPHELD"})
    assert [p["field"] for p in refused["problems"]] == ["input.note"]
    c = done(await step(api, "closeComplaint", {
        "id": c["id"], "version": c["version"], "outcome": "NOT_UPHELD",
        "note": "Final position given; mediation and arbitration explained."}))
    c = done(await step(api, "reopenComplaint", {"id": c["id"], "version": c["version"], "reason": "New evidence."}))
    assert c["status"] == "REOPENED" and c["reopenedCount"] == 1 and c["outcome"] is None and c["open"]
    c = done(await step(api, "escalateComplaint",
                        {"id": c["id"], "version": c["version"], "reason": "To head office."}))
    c = done(await step(api, "startComplaintInvestigation", {"id": c["id"], "version": c["version"]}))
    assert moves(c) == [
        (None, "RECEIVED"), ("RECEIVED", "INVESTIGATING"), ("INVESTIGATING", "PLAN_AGREED"),
        ("PLAN_AGREED", "FEEDBACK_GIVEN"), ("FEEDBACK_GIVEN", "FEEDBACK_GIVEN"), ("FEEDBACK_GIVEN", "INVESTIGATING"),
        ("INVESTIGATING", "PLAN_AGREED"), ("PLAN_AGREED", "FEEDBACK_GIVEN"), ("FEEDBACK_GIVEN", "CLOSED"),
        ("CLOSED", "REOPENED"), ("REOPENED", "ESCALATED"), ("ESCALATED", "INVESTIGATING"),
    ]
    assert [f["satisfied"] for f in c["feedback"]] == [False, False, False]


PLAN = {"department": "Ops", "responsibleUsername": "carl", "measures": "x", "deadline": "2099-01-01",
        "lenderAtFault": False}
FEEDBACK = {"explanation": "x", "satisfied": True}
REFUSALS = {  # the state reached, then each step it refuses, and the moves it allows
    "RECEIVED": ([("agreeComplaintPlan", PLAN), ("giveComplaintFeedback", FEEDBACK),
                  ("closeComplaint", {"outcome": "UPHELD"}), ("reopenComplaint", {"reason": "x"})],
                 ["INVESTIGATING", "ESCALATED"]),
    "INVESTIGATING": ([("giveComplaintFeedback", FEEDBACK), ("closeComplaint", {"outcome": "UPHELD"}),
                       ("startComplaintInvestigation", {}), ("reopenComplaint", {"reason": "x"})],
                      ["PLAN_AGREED", "ESCALATED"]),
    "PLAN_AGREED": ([("closeComplaint", {"outcome": "UPHELD"}), ("startComplaintInvestigation", {}),
                     ("agreeComplaintPlan", PLAN)], ["FEEDBACK_GIVEN", "ESCALATED"]),
}


@pytest.mark.parametrize("state", list(REFUSALS))
async def test_a_step_the_state_machine_does_not_allow_is_refused_naming_the_state_and_the_moves_left(api, state):
    customer = await world(api)
    c = await filed(api, customer["id"])
    if state == "INVESTIGATING":
        c = await investigated(api, c)
    elif state == "PLAN_AGREED":
        c = await planned(api, c)
    refusals, allowed = REFUSALS[state]
    for name, values in refusals:
        refused = await step(api, name, {"id": c["id"], "version": c["version"], **values})
        assert refused["__typename"] == "TransitionNotAllowedError", (name, refused)
        assert (refused["code"], refused["current"], refused["allowed"]) == ("TRANSITION_NOT_ALLOWED", state, allowed)
        assert state in refused["message"] and all(move in refused["message"] for move in allowed)
    again = await api.ok("query($id: ID!) { node(id: $id) { ... on Complaint { status version transitions { "
                         "toStatus } } } }", {"id": c["id"]}, bearer=HANDLER)
    assert again["node"]["status"] == state and again["node"]["version"] == c["version"]  # nothing changed
    assert again["node"]["transitions"][-1]["toStatus"] == state


async def test_a_closed_complaint_refuses_everything_but_reopening(api):
    customer = await world(api)
    c = await feedback(api, await planned(api, await filed(api, customer["id"]), at_fault=False), satisfied=True)
    c = done(await step(api, "closeComplaint", {"id": c["id"], "version": c["version"], "outcome": "UPHELD"}))
    for name, values in (("escalateComplaint", {"reason": "x"}), ("startComplaintInvestigation", {}),
                         ("giveComplaintFeedback", {"explanation": "x", "satisfied": True})):
        refused = await step(api, name, {"id": c["id"], "version": c["version"], **values})
        assert (refused["__typename"], refused["allowed"]) == ("TransitionNotAllowedError", ["REOPENED"]), refused


async def test_the_team_needs_credit_staff_and_a_risk_expert_none_of_whom_handled_the_matter(api):
    customer = await world(api)  # alice is its relationship manager
    c = await filed(api, customer["id"])
    await api.ok("""mutation($input: RecordServiceContactInput!) { recordServiceContact(input: $input) {
      __typename } }""", {"input": {"customerId": customer["id"], "stage": "POST_LOAN", "kind": "REVISIT",
                                    "channel": "PHONE", "occurredAt": now_minus(days=3), "summary": "Call."}},
                 bearer=f.as_("amy", "branch_manager"))  # amy recorded a contact with the customer
    cases = [
        ([{"username": "rex", "capacity": "RISK"}], ["input.team"]),
        ([{"username": "carl", "capacity": "CREDIT"}], ["input.team"]),
        ([{"username": "alice", "capacity": "CREDIT"}, {"username": "rex", "capacity": "RISK"}],
         ["input.team.0.username"]),
        ([{"username": "amy", "capacity": "CREDIT"}, {"username": "rex", "capacity": "RISK"}],
         ["input.team.0.username"]),
        ([{"username": "ghost", "capacity": "CREDIT"}, {"username": "rex", "capacity": "RISK"}],
         ["input.team.0.username"]),
    ]
    for team, fields in cases:
        refused = await step(api, "startComplaintInvestigation", {"id": c["id"], "version": c["version"], "team": team})
        assert refused["__typename"] == "InvalidInputError", refused
        assert [p["field"] for p in refused["problems"]] == fields, (team, refused)
    recused = await step(api, "startComplaintInvestigation", {"id": c["id"], "version": c["version"], "team": [
        {"username": "alice", "capacity": "CREDIT"}, {"username": "rex", "capacity": "RISK"}]})
    assert "recused" in recused["problems"][0]["message"]
    ok = done(await step(api, "startComplaintInvestigation", {"id": c["id"], "version": c["version"], "team": [
        {"username": "carl", "capacity": "CREDIT"}, {"username": "rex", "capacity": "RISK"}]}))
    assert ok["status"] == "INVESTIGATING"


async def test_compensation_is_proposed_approved_by_a_second_person_and_paid_before_closing(api):
    customer = await world(api)
    c = await planned(api, await filed(api, customer["id"]), at_fault=True)
    proposed = done(await step(api, "proposeComplaintCompensation", {
        "complaintId": c["id"], "version": c["version"], "amount": "35.00", "currency": "CNY",
        "reason": "The second fee, and the interest lost."}))
    assert (proposed["amount"], proposed["status"], proposed["proposedBy"]) == ("35.00", "PROPOSED", "carl")
    same = await step(api, "approveComplaintCompensation", {"id": proposed["id"], "version": proposed["version"]},
                      bearer=token(sub="carl", roles=("branch_manager",), branch="HZ01"))
    assert same["__typename"] == "InvalidInputError" and "other than its proposer" in same["problems"][0]["message"]
    unpaid = await step(api, "recordComplaintCompensationPaid", {
        "id": proposed["id"], "version": proposed["version"], "paidOn": lender_today(),
        "reference": "TX-1"})
    assert unpaid["__typename"] == "InvalidInputError", unpaid
    approved = done(await step(api, "approveComplaintCompensation",
                               {"id": proposed["id"], "version": proposed["version"]}, bearer=MANAGER))
    assert (approved["status"], approved["approvedBy"]) == ("APPROVED", "hank")
    c = await feedback(api, (await api.ok("query($id: ID!) { node(id: $id) { ... on Complaint { id version } } }",
                                          {"id": c["id"]}, bearer=HANDLER))["node"], satisfied=True)
    pending = await step(api, "closeComplaint", {"id": c["id"], "version": c["version"], "outcome": "UPHELD"})
    assert pending["__typename"] == "InvalidInputError" and "not yet paid" in pending["problems"][0]["message"]
    paid = done(await step(api, "recordComplaintCompensationPaid", {
        "id": approved["id"], "version": approved["version"], "paidOn": lender_today(),
        "reference": "TX-1"}))
    assert paid["status"] == "PAID"
    closed = done(await step(api, "closeComplaint", {"id": c["id"], "version": c["version"], "outcome": "UPHELD"}))
    assert closed["compensations"][0]["status"] == "PAID"


async def test_compensation_needs_a_plan_that_found_the_lender_at_fault(api):
    customer = await world(api)
    c = await planned(api, await filed(api, customer["id"]), at_fault=False)
    refused = await step(api, "proposeComplaintCompensation", {
        "complaintId": c["id"], "version": c["version"], "amount": "35.00", "currency": "CNY", "reason": "x"})
    assert refused["__typename"] == "InvalidInputError" and "at fault" in refused["problems"][0]["message"]
    for amount in ("0", "-1.00", "1.001"):
        bad = await step(api, "proposeComplaintCompensation", {
            "complaintId": c["id"], "version": c["version"], "amount": amount, "currency": "CNY", "reason": "x"})
        assert [p["field"] for p in bad["problems"]] == ["input.amount"], bad


async def test_the_decision_day_is_promised_on_the_lenders_calendar_date_of_receipt(api, settings):
    customer = await world(api)
    # 23:59:59 and 00:00:00 in Shanghai on either side of 31 January: receipt days 30 and 31 January.
    before = await filed(api, customer["id"], receivedAt="2026-01-30T23:59:59+08:00")
    after = await filed(api, customer["id"], receivedAt="2026-01-30T16:00:00Z")  # 00:00 on the 31st in Shanghai
    assert (before["receivedOn"], after["receivedOn"]) == ("2026-01-30", "2026-01-31")
    if settings.complaint_sla == "cn_2020":  # 14 Feb is a Saturday, 15 a Sunday: both roll to Monday 16
        assert (before["dueOn"], after["dueOn"]) == ("2026-02-16", "2026-02-16")
    else:  # calendar days, no roll
        assert (before["dueOn"], after["dueOn"]) == ("2026-02-14", "2026-02-15")
    assert before["breached"] and before["daysLeft"] < 0  # long past, undecided


async def test_a_deadline_extends_stage_by_stage_with_what_each_stage_needs(api, settings):
    customer = await world(api)
    c = await filed(api, customer["id"], receivedAt="2026-11-20T10:00:00+08:00")
    first_due = c["dueOn"]
    c = done(await step(api, "extendComplaintDeadline", {"id": c["id"], "version": c["version"],
                                                         "reason": "Records held by a partner bank."}))
    assert c["slaStage"] == 1 and c["firstDueOn"] == first_due
    if settings.complaint_sla == "us_cfpb":
        assert c["dueOn"] == "2027-01-19" and c["extensions"][0]["stage"] == "FINAL"  # 20 Nov + 60 calendar days
        await filed(api, customer["id"])  # not extended
        extended = await api.ok(LIST, {"where": {"extended": {"_eq": True}}}, bearer=HANDLER)
        assert [e["node"]["dueOn"] for e in extended["complaints"]["edges"]] == ["2027-01-19"]
        refused = await step(api, "extendComplaintDeadline", {"id": c["id"], "version": c["version"], "reason": "x"})
        assert "no further extension" in refused["problems"][0]["message"]
        return
    assert c["dueOn"] == "2026-12-21" and c["extensions"][0]["stage"] == "EXTENDED"  # Sun 20 Dec → Mon 21
    refused = await step(api, "extendComplaintDeadline", {"id": c["id"], "version": c["version"], "reason": "x"})
    assert sorted(p["field"] for p in refused["problems"]) == ["input.approvedBy", "input.complainantToldOn"]
    self_approved = await step(api, "extendComplaintDeadline", {
        "id": c["id"], "version": c["version"], "reason": "x", "approvedBy": "carl", "complainantToldOn": "2026-11-25"})
    assert [p["field"] for p in self_approved["problems"]] == ["input.approvedBy"]
    c = done(await step(api, "extendComplaintDeadline", {
        "id": c["id"], "version": c["version"], "reason": "Especially complex: three products involved.",
        "approvedBy": "hank", "complainantToldOn": "2026-11-25"}))
    assert c["dueOn"] == "2027-01-19" and c["extensions"][1]["approvedBy"] == "hank"  # 20 Nov + 60 = Tue 19 Jan
    extended = await api.ok(LIST, {"where": {"extended": {"_eq": True}}}, bearer=HANDLER)
    assert [e["node"]["dueOn"] for e in extended["complaints"]["edges"]] == ["2027-01-19"]


SPRING_FESTIVAL = ("date,kind,name\n" + "".join(f"2026-02-{day},holiday,Spring Festival\n" for day in range(15, 24))
                   + "2026-02-14,working,make-up day\n2026-02-28,working,make-up day\n")


async def test_a_loaded_holiday_calendar_moves_the_decision_day_past_the_spring_festival(settings, tmp_path):
    calendar = tmp_path / "holidays.csv"
    calendar.write_text(SPRING_FESTIVAL, encoding="utf-8")
    app = create_app(settings.model_copy(update={"holiday_calendar": str(calendar)}))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        api = Api(client)
        customer = await world(api)
        sunday = await filed(api, customer["id"], receivedAt="2026-01-31T09:00:00+08:00")  # + 15: Sun 15 Feb
        saturday = await filed(api, customer["id"], receivedAt="2026-01-30T09:00:00+08:00")  # + 15: Sat 14, worked
    if settings.complaint_sla == "cn_2020":  # the festival runs to Monday 23: due Tuesday 24
        assert (sunday["dueOn"], saturday["dueOn"]) == ("2026-02-24", "2026-02-14")
    else:  # calendar days, nothing moves
        assert (sunday["dueOn"], saturday["dueOn"]) == ("2026-02-15", "2026-02-14")


async def test_no_extension_once_the_decision_was_given(api):
    customer = await world(api)
    c = await feedback(api, await planned(api, await filed(api, customer["id"]), at_fault=False), satisfied=True)
    refused = await step(api, "extendComplaintDeadline", {"id": c["id"], "version": c["version"], "reason": "x"})
    assert refused["__typename"] == "InvalidInputError" and "decision" in refused["problems"][0]["message"]


async def test_a_party_not_yet_a_customer_complains_at_a_branch_and_only_that_branch_sees_it(api):
    await world(api)
    values = {"complainant": {"name": "Prospect Trading Co.", "creditCode": f.credit_code(), "contact": "0571-555"},
              "branchCode": "HZ01"}
    c = await filed(api, None, **values)
    assert c["customer"] is None and c["complainantName"] == "Prospect Trading Co." and c["branchCode"] == "HZ01"
    shanghai = token(sub="sue", roles=("complaint_handler",), branch="SH01")
    outside = await step(api, "fileComplaint", {**values, "channel": "EMAIL", "category": "OTHER", "matter": "x",
                                                "receivedAt": now_minus(hours=1)}, bearer=shanghai)
    assert (outside["__typename"], outside["field"]) == ("NotFoundError", "input.branchCode")
    seen = await api.ok("query($id: ID!) { node(id: $id) { id } }", {"id": c["id"]}, bearer=shanghai)
    assert seen["node"] is None
    both = await step(api, "fileComplaint", {**values, "customerId": c["id"], "channel": "EMAIL", "category": "OTHER",
                                             "matter": "x", "receivedAt": now_minus(hours=1)})
    assert both["__typename"] in ("InvalidInputError", "NotFoundError")
    bad_code = await step(api, "fileComplaint", {**values, "complainant": {**values["complainant"],
                                                                           "creditCode": "91330100MA2C000000"},
                                                 "channel": "EMAIL", "category": "OTHER", "matter": "x",
                                                 "receivedAt": now_minus(hours=1)})
    assert [p["field"] for p in bad_code["problems"]] == ["input.complainant.creditCode"]


async def test_intake_refuses_a_complaint_from_the_future_or_without_a_complainant(api):
    customer = await world(api)
    future = await step(api, "fileComplaint", {"customerId": customer["id"], "channel": "HOTLINE", "category": "OTHER",
                                               "matter": "x", "receivedAt": now_minus(hours=-2)})
    assert [p["field"] for p in future["problems"]] == ["input.receivedAt"]
    nobody = await step(api, "fileComplaint", {"channel": "HOTLINE", "category": "OTHER", "matter": "x",
                                               "receivedAt": now_minus(hours=1)})
    assert nobody["__typename"] == "InvalidInputError"
    total = await api.ok(LIST, {}, bearer=HANDLER)
    assert total["complaints"]["totalCount"] == 0  # nothing was written


async def test_worklists_open_by_time_left_and_breached_ones_are_served_planned(api, app):
    customer = await world(api)
    late = await filed(api, customer["id"], matter="Late one.", receivedAt="2026-01-05T10:00:00+08:00")
    await filed(api, customer["id"], matter="Fresh one.")
    decided = await feedback(api, await planned(api, await filed(api, customer["id"], matter="Decided one.")),
                             satisfied=True)
    open_by_time = await api.ok(LIST, {"where": {"open": {"_eq": True}}, "orderBy": [{"dueOn": "ASC"}]},
                                bearer=HANDLER)
    matters = [e["node"]["matter"] for e in open_by_time["complaints"]["edges"]]
    assert matters[0] == "Late one." and sorted(matters[1:]) == ["Decided one.", "Fresh one."]
    breached = await api.ok(LIST, {"where": {"breached": {"_eq": True}}}, bearer=HANDLER)
    assert [e["node"]["matter"] for e in breached["complaints"]["edges"]] == ["Late one."]
    assert late["breached"] and not decided["breached"]
    status = await api.ok(LIST, {"where": {"status": {"_eq": "FEEDBACK_GIVEN"}}}, bearer=HANDLER)
    assert status["complaints"]["totalCount"] == 1
    assert app.state.runtime.read_paths["planned"] >= 3  # the three lists, checked against the resolvers


async def test_details_and_amounts_follow_the_policy_by_role(api):
    customer = await world(api)
    c = await planned(api, await filed(api, customer["id"]))
    await step(api, "proposeComplaintCompensation", {
        "complaintId": c["id"], "version": c["version"], "amount": "35.00", "currency": "CNY", "reason": "Fee."})
    query = """query($id: ID!) { node(id: $id) { ... on Complaint { status matter plans { measures }
      compensations { status amount } } } }"""
    for bearer, details, amounts in ((HANDLER, True, True), (MANAGER, True, True), (AUDITOR, True, True),
                                     (RISK, True, False), (f.as_("alice"), False, False),
                                     (token(sub="bill", roles=("risk_expert",), branch="BJ01"), False, False)):
        body = await api(query, {"id": c["id"]}, bearer=bearer)
        node = body["data"]["node"]
        assert node["status"] == "PLAN_AGREED"
        assert (node["matter"] is not None) == details, (bearer, body)
        assert (node["compensations"][0]["amount"] is not None) == amounts, (bearer, body)
        denied = {tuple(e["path"][1:]) for e in body.get("errors", [])}
        assert all(e["extensions"]["code"] == "FORBIDDEN" for e in body.get("errors", []))
        assert (("matter",) in denied) == (not details)
    nda_less = token(sub="nina", roles=("complaint_handler",), branch="HZ01", nda=False)
    body = await api(query, {"id": c["id"]}, bearer=nda_less)
    assert body["data"]["node"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_investigation_team_reads_the_details_of_its_own_complaints_and_no_others(api):
    customer = await world(api)
    ours = await investigated(api, await filed(api, customer["id"], matter="Ours."))  # rex and amy sit on it
    await filed(api, customer["id"], matter="Not ours.")
    query = """query { complaints(orderBy: [{receivedAt: ASC}, {id: ASC}]) { edges { node { status matter
      investigations { findings } } } } }"""
    amy = token(sub="amy", roles=("credit_approver",), branch="HZ01")
    bill = token(sub="bill", roles=("risk_expert",), branch="BJ01")  # sees every customer, sits on no team
    for bearer, readable in ((RISK, [True, False]), (amy, [True, False]), (bill, [False, False])):
        body = await api(query, bearer=bearer)
        nodes = [edge["node"] for edge in body["data"]["complaints"]["edges"]]
        assert [n["status"] for n in nodes] == ["INVESTIGATING", "RECEIVED"]
        assert [n["matter"] is not None for n in nodes] == readable, (bearer, body)
        assert [n["investigations"] is not None for n in nodes] == readable
        refused = sorted(tuple(e["path"]) for e in body.get("errors", []))
        assert refused == sorted(("complaints", "edges", i, "node", name) for i, ok in enumerate(readable)
                                 if not ok for name in ("investigations", "matter"))
        assert {e["extensions"]["code"] for e in body.get("errors", [])} <= {"FORBIDDEN"}
    assert nodes[0]["status"] == ours["status"]
    detail = await api("""query($id: ID!) { node(id: $id) { ... on Complaint { matter
      investigations { findings examined { description } } transitions { note } } } }""",
                       {"id": ours["id"]}, bearer=RISK)
    assert detail["data"]["node"]["investigations"][0]["findings"].startswith("The fee was posted twice")
    assert "errors" not in detail


async def test_two_handlers_moving_one_complaint_at_once_one_wins_the_other_gets_conflict(api):
    customer = await world(api)
    c = await filed(api, customer["id"])
    results = await asyncio.gather(*(
        step(api, "startComplaintInvestigation", {"id": c["id"], "version": c["version"], "team": TEAM}, bearer=who)
        for who in (HANDLER, MANAGER)
    ))
    kinds = sorted(r["__typename"] for r in results)
    assert kinds == ["ComplaintPayload", "ConflictError"], results
    after = (await api.ok("query($id: ID!) { node(id: $id) { ... on Complaint { transitions { toStatus } } } }",
                          {"id": c["id"]}, bearer=HANDLER))["node"]
    assert [t["toStatus"] for t in after["transitions"]] == ["RECEIVED", "INVESTIGATING"]


async def test_two_hundred_concurrent_intakes_for_one_customer_all_land(api):
    customer = await world(api)
    values = {"customerId": customer["id"], "channel": "ONLINE", "category": "OTHER", "matter": "Same complaint.",
              "receivedAt": now_minus(minutes=5)}
    results = await asyncio.gather(*(step(api, "fileComplaint", values) for _ in range(200)))
    assert {r["__typename"] for r in results} == {"ComplaintPayload"}
    listed = await api.ok(LIST, {"customerId": customer["id"]}, bearer=HANDLER)
    assert listed["complaints"]["totalCount"] == 200
    count = await api.ok("query($id: ID!) { customer(id: $id) { openComplaintCount } }", {"id": customer["id"]},
                         bearer=MANAGER)
    assert count["customer"]["openComplaintCount"] == 200
