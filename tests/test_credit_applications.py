"""Credit applications through the GraphQL endpoint (R-S2): the green channel for premium customers
(shorter deadline, first in the reviewers' queue), every move kept, the treatment the approver
weighs with exception reasons, overdue applications, progress told as service records, and the
facility booked from an approved application."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factories as f
from test_credit_facilities import APPROVER, BOOK, booking, today
from test_grading_api import graded

RM = f.as_("alice")
APPLICATION = """id status grade greenChannel receivedOn dueOn daysLeft overdue version exceptionReason approvedAmount
  steps { fromStatus toStatus by note } treatment { grade mitigationRequired exposureCap needsException }"""
RESULT = f"""__typename
  ... on CreditApplicationPayload {{ creditApplication {{ {APPLICATION} }} }}
  ... on InvalidInputError {{ code problems {{ field message }} }}
  ... on NotFoundError {{ code field }}
  ... on ConflictError {{ code currentVersion }}"""
STEPS = {
    name: f"mutation($input: {kind}!) {{ {name}(input: $input) {{ {RESULT} }} }}"
    for name, kind in (
        ("submitCreditApplication", "SubmitCreditApplicationInput"),
        ("reviewCreditApplication", "ReviewCreditApplicationInput"),
        ("approveCreditApplication", "ApproveCreditApplicationInput"),
        ("rejectCreditApplication", "DecideCreditApplicationInput"),
        ("withdrawCreditApplication", "DecideCreditApplicationInput"),
    )
}
QUEUE = """query($where: CreditApplicationWhere) { creditApplications(where: $where) { totalCount
  edges { node { product greenChannel dueOn overdue customer { name } } } } }"""


async def step(api: Any, name: str, values: dict[str, Any], bearer: str = APPROVER) -> dict[str, Any]:
    return (await api.ok(STEPS[name], {"input": values}, bearer=bearer))[name]


def done(result: dict[str, Any]) -> dict[str, Any]:
    assert result["__typename"] == "CreditApplicationPayload", result
    return result["creditApplication"]


async def submitted(api: Any, customer_id: str, **overrides: Any) -> dict[str, Any]:
    values = {"customerId": customer_id, "product": "Working capital", "amount": "1000000.00", "currency": "CNY",
              "termMonths": 12, "purpose": "Raw materials for the spring season.", **overrides}
    return done(await step(api, "submitCreditApplication", values, bearer=RM))


async def reviewed(api: Any, application: dict[str, Any]) -> dict[str, Any]:
    return done(await step(api, "reviewCreditApplication", {"id": application["id"],
                                                            "version": application["version"]}))


async def premium_customer(api: Any) -> str:
    await f.organisation(api)
    customer_id = await graded(api, name="Premium Machines Co., Ltd.")
    grade = await api.ok("query($id: ID!) { customer(id: $id) { grade { level } } }", {"id": customer_id})
    assert grade["customer"]["grade"]["level"] == "A"
    return customer_id


async def test_a_premium_customer_takes_the_green_channel_and_goes_first_in_the_queue(api):
    premium = await premium_customer(api)
    ungraded = await f.customer(api, name="Ungraded Trading Co., Ltd.")
    first = await submitted(api, ungraded["id"], product="First in")
    green = await submitted(api, premium, product="Green")
    assert (first["greenChannel"], first["grade"], first["dueOn"]) == (
        False, None, (today() + timedelta(days=10)).isoformat())
    assert (green["greenChannel"], green["grade"], green["dueOn"]) == (
        True, "A", (today() + timedelta(days=3)).isoformat())
    assert green["daysLeft"] == 3
    queue = await api.ok(QUEUE, {"where": {"status": {"_in": ["SUBMITTED", "UNDER_REVIEW"]}}}, bearer=APPROVER)
    assert [e["node"]["product"] for e in queue["creditApplications"]["edges"]] == ["Green", "First in"]


WEIGHED_QUEUE = """{ creditApplications { edges { node { product
  treatment { grade exposureCap needsException } collateral { kind value } guarantees { guarantor amount } } } } }"""


async def test_the_reviewers_queue_shows_what_each_approver_weighs_on_the_fast_path(api, app):
    premium = await premium_customer(api)
    ungraded = await f.customer(api, name="Ungraded Trading Co., Ltd.")
    await submitted(api, ungraded["id"], product="First in",
                    collateral=[{"kind": "real_estate", "description": "Warehouse", "value": "2000000.00"}])
    await submitted(api, premium, product="Green", guarantees=[{"guarantor": "Parent Co.", "amount": "500000.00"}])
    before = app.state.runtime.read_paths["planned"]
    queue = await api.ok(WEIGHED_QUEUE, {}, bearer=APPROVER)
    nodes = [edge["node"] for edge in queue["creditApplications"]["edges"]]
    assert [(n["product"], n["treatment"]["grade"]) for n in nodes] == [("Green", "A"), ("First in", None)]
    assert "not graded" in nodes[1]["treatment"]["needsException"][0]
    assert nodes[0]["guarantees"] == [{"guarantor": "Parent Co.", "amount": "500000.00"}]
    assert nodes[1]["collateral"] == [{"kind": "real_estate", "value": "2000000.00"}]
    # One page, each application weighed in the same few statements, checked against the resolvers.
    assert app.state.runtime.read_paths["planned"] == before + 1


async def test_an_application_is_reviewed_approved_and_booked_once_with_every_move_kept(api):
    premium = await premium_customer(api)
    application = await reviewed(api, await submitted(api, premium, amount="500000.00"))
    approved = done(await step(api, "approveCreditApplication", {
        "id": application["id"], "version": application["version"], "approvedAmount": "400000.00",
        "approvedRate": "0.0400", "note": "Within the cap."}))
    assert approved["status"] == "APPROVED" and approved["exceptionReason"] is None
    assert [(s["fromStatus"], s["toStatus"], s["by"]) for s in approved["steps"]] == [
        (None, "SUBMITTED", "alice"), ("SUBMITTED", "UNDER_REVIEW", "hank"), ("UNDER_REVIEW", "APPROVED", "hank")]
    too_much = booking(premium, overdue_days=0, drawn="500000.00", applicationId=approved["id"])
    refused = (await api.ok(BOOK, {"input": too_much}, bearer=APPROVER))["bookCreditFacility"]
    assert [p["field"] for p in refused["problems"]] == ["input.limitAmount"]
    fits = booking(premium, overdue_days=0, drawn="400000.00", applicationId=approved["id"])
    booked = (await api.ok(BOOK, {"input": fits}, bearer=APPROVER))["bookCreditFacility"]
    assert booked["__typename"] == "CreditFacilityPayload", booked
    twice = (await api.ok(BOOK, {"input": {**fits, "reference": "F-AGAIN"}}, bearer=APPROVER))["bookCreditFacility"]
    assert twice["problems"][0]["message"] == "a facility is already booked from this application"


async def test_approving_against_the_grades_treatment_needs_an_exception_reason(api):
    await f.organisation(api)
    ungraded = await f.customer(api)
    application = await reviewed(api, await submitted(api, ungraded["id"]))
    assert application["treatment"]["grade"] is None
    assert "not graded" in application["treatment"]["needsException"][0]
    values = {"id": application["id"], "version": application["version"], "approvedAmount": "1000000.00",
              "approvedRate": "0.05"}
    refused = await step(api, "approveCreditApplication", values)
    assert refused["__typename"] == "InvalidInputError"
    assert refused["problems"][0]["field"] == "input.exceptionReason"
    assert "not graded" in refused["problems"][0]["message"]
    approved = done(await step(api, "approveCreditApplication", {
        **values, "exceptionReason": "Long-standing relationship; grading booked for next week."}))
    assert approved["exceptionReason"].startswith("Long-standing")


async def test_an_amount_above_the_grades_cap_needs_an_exception_reason(api):
    premium = await premium_customer(api)
    application = await reviewed(api, await submitted(api, premium, amount="9000000000.00"))
    assert "cap" in application["treatment"]["needsException"][0]
    refused = await step(api, "approveCreditApplication", {
        "id": application["id"], "version": application["version"], "approvedAmount": "9000000000.00",
        "approvedRate": "0.05"})
    assert refused["problems"][0]["field"] == "input.exceptionReason" and "cap" in refused["problems"][0]["message"]


async def test_a_step_its_state_does_not_allow_is_refused_naming_the_state_and_changes_nothing(api):
    await f.organisation(api)
    customer = await f.customer(api)
    application = await submitted(api, customer["id"])
    early = await step(api, "approveCreditApplication", {
        "id": application["id"], "version": application["version"], "approvedAmount": "1.00", "approvedRate": "0.05",
        "exceptionReason": "x"})
    assert early["__typename"] == "InvalidInputError"
    assert early["problems"][0]["message"] == ("an application SUBMITTED cannot become APPROVED; it can become: "
                                               "UNDER_REVIEW, WITHDRAWN")
    withdrawn = done(await step(api, "withdrawCreditApplication", {
        "id": application["id"], "version": application["version"], "reason": "The customer found cheaper funding."},
        bearer=RM))
    assert withdrawn["status"] == "WITHDRAWN"
    again = await step(api, "rejectCreditApplication", {"id": application["id"], "version": withdrawn["version"],
                                                        "reason": "Too late."})
    assert "it can become: none" in again["problems"][0]["message"]
    stale = await step(api, "withdrawCreditApplication", {"id": application["id"], "version": 1, "reason": "x"},
                       bearer=RM)
    assert stale["__typename"] == "ConflictError"


async def test_applications_past_their_deadline_are_listed_as_overdue(api):
    await f.organisation(api)
    customer = await f.customer(api)
    late = await submitted(api, customer["id"], product="Late", receivedOn=(today() - timedelta(days=15)).isoformat())
    await submitted(api, customer["id"], product="Fresh")
    assert late["overdue"] and late["daysLeft"] == -5
    overdue = await api.ok(QUEUE, {"where": {"overdue": {"_eq": True}}}, bearer=APPROVER)
    assert [e["node"]["product"] for e in overdue["creditApplications"]["edges"]] == ["Late"]
    ahead = await step(api, "submitCreditApplication", {
        "customerId": customer["id"], "product": "x", "amount": "1.00", "currency": "CNY", "termMonths": 1,
        "purpose": "x", "receivedOn": (today() + timedelta(days=1)).isoformat()}, bearer=RM)
    assert ahead["problems"][0]["field"] == "input.receivedOn"


async def test_telling_the_customer_how_the_application_progresses_is_a_service_record(api):
    await f.organisation(api)
    customer = await f.customer(api)
    application = await submitted(api, customer["id"])
    told = await api.ok("""mutation($input: CommunicateApplicationProgressInput!) {
      communicateApplicationProgress(input: $input) { __typename ... on ApplicationProgressPayload {
        serviceRecord { stage kind summary outcome } creditApplication { status } } } }""", {"input": {
        "id": application["id"], "channel": "PHONE", "occurredAt": f"{today().isoformat()}T00:30:00+08:00",
        "summary": "Told the CFO the file is complete and with the approver."}}, bearer=RM)
    record = told["communicateApplicationProgress"]["serviceRecord"]
    assert (record["stage"], record["kind"]) == ("IN_LOAN", "APPROVAL_PROGRESS")
    assert record["outcome"].startswith("Application #") and record["outcome"].endswith("SUBMITTED")
    listed = await api.ok("query($id: ID!) { customer(id: $id) { serviceRecords { edges { node { kind } } } "
                          "creditApplications { status } } }", {"id": customer["id"]}, bearer=RM)
    assert [e["node"]["kind"] for e in listed["customer"]["serviceRecords"]["edges"]] == ["APPROVAL_PROGRESS"]
    assert listed["customer"]["creditApplications"] == [{"status": "SUBMITTED"}]


async def test_relationship_managers_submit_and_approvers_decide(api, app):
    await f.organisation(api)
    customer = await f.customer(api)
    application = await submitted(api, customer["id"])
    body = await api(STEPS["reviewCreditApplication"], {"input": {"id": application["id"],
                                                                   "version": application["version"]}}, bearer=RM)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    elsewhere = await api.ok(QUEUE, {}, bearer=f.as_("sue", "branch_manager"))
    assert elsewhere["creditApplications"]["totalCount"] == 0
    assert app.state.runtime.read_paths["planned"] >= 1
    node = await api.ok("query($id: ID!) { node(id: $id) { ... on CreditApplication { status } } }",
                        {"id": application["id"]}, bearer=APPROVER)
    assert node["node"] == {"status": "SUBMITTED"}
