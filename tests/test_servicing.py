"""Service contacts (R-S1 … R-S3): recorded with follow-ups, corrected as versions, listed across customers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import factories as f
from conftest import token

RECORD = """mutation($input: RecordServiceContactInput!) { recordServiceContact(input: $input) {
  __typename
  ... on ServiceRecordPayload {
    serviceRecord { id stage kind channel occurredAt recordedBy participants summary outcome satisfaction verified
                    version followUps { id action owner dueOn done overdue } }
    customer { id version nextRevisitOn lastRevisitOn }
  }
  ... on InvalidInputError { code problems { field message } }
  ... on NotFoundError { code field }
} }"""
CORRECT = """mutation($input: CorrectServiceContactInput!) { correctServiceContact(input: $input) {
  __typename
  ... on ServiceRecordPayload { serviceRecord { id version summary correctedBy
      versions { version reason summary writtenBy kind } } }
  ... on InvalidInputError { code problems { field message } }
  ... on ConflictError { code currentVersion }
  ... on NotFoundError { code field }
} }"""
COMPLETE = """mutation($input: CompleteServiceFollowUpInput!) { completeServiceFollowUp(input: $input) {
  __typename
  ... on ServiceFollowUpPayload { followUp { id done doneBy doneNote } }
  ... on InvalidInputError { code problems { field message } }
  ... on NotFoundError { code field }
} }"""
ROOT = """query($customerId: ID, $where: ServiceRecordWhere, $orderBy: [ServiceRecordOrderBy!], $first: Int,
               $after: String) {
  serviceRecords(customerId: $customerId, where: $where, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { summary kind stage recordedBy customer { name } } }
  }
}"""
FOLLOW_UPS = """query($where: ServiceFollowUpWhere) { serviceFollowUps(where: $where) {
  edges { node { action owner dueOn done overdue } } } }"""
ON_CUSTOMER = """query($id: ID!) { customer(id: $id) {
  serviceRecords(first: 5) { edges { node { summary kind channel participants } } } } }"""


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def contact(customer_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "customerId": customer_id, "stage": "POST_LOAN", "kind": "TRAINING", "channel": "ON_SITE",
        "occurredAt": ago(1), "participants": ["Alice (relationship manager)", "Mr Wang (CFO)"],
        "summary": "Trained the finance team on the online banking platform.", **overrides,
    }


async def record(api: Any, values: dict[str, Any], bearer: str | None = None) -> dict[str, Any]:
    return (await api.ok(RECORD, {"input": values}, bearer=bearer))["recordServiceContact"]


def fields(result: dict[str, Any]) -> list[str]:
    assert result["__typename"] == "InvalidInputError", result
    return [p["field"] for p in result["problems"]]


async def listed(api: Any, bearer: str | None = None, **variables: Any) -> list[str]:
    data = await api.ok(ROOT, variables, bearer=bearer)
    return [edge["node"]["summary"] for edge in data["serviceRecords"]["edges"]]


async def test_a_contact_is_recorded_with_its_participants_outcome_and_follow_ups(api):
    await f.organisation(api)
    customer = await f.customer(api)
    due = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    result = await record(api, contact(
        customer["id"], outcome="The team now files statements online.", satisfaction=5,
        followUps=[{"action": "Send the user guide.", "ownerUsername": "amy", "dueOn": due}],
    ))
    assert result["__typename"] == "ServiceRecordPayload", result
    shown = result["serviceRecord"]
    assert (shown["kind"], shown["channel"], shown["recordedBy"], shown["version"]) == (
        "TRAINING", "ON_SITE", "alice", 1)
    assert shown["participants"] == ["Alice (relationship manager)", "Mr Wang (CFO)"]
    assert (shown["outcome"], shown["satisfaction"]) == ("The team now files statements online.", 5)
    assert shown["followUps"] == [{"id": shown["followUps"][0]["id"], "action": "Send the user guide.", "owner": "amy",
                                   "dueOn": due, "done": False, "overdue": False}]
    on_customer = (await api.ok(ON_CUSTOMER, {"id": customer["id"]}))["customer"]["serviceRecords"]["edges"]
    assert [edge["node"] for edge in on_customer] == [
        {"summary": shown["summary"], "kind": "TRAINING", "channel": "ON_SITE", "participants": shown["participants"]}
    ]


async def test_bad_contacts_are_refused_naming_each_field_and_nothing_is_recorded(api):
    await f.organisation(api)
    customer = await f.customer(api)
    yesterday = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    cases = [
        (contact(customer["id"], occurredAt=(datetime.now(UTC) + timedelta(hours=2)).isoformat()),
         ["input.occurredAt"]),
        (contact(customer["id"], satisfaction=6), ["input.satisfaction"]),
        (contact(customer["id"], summary=""), ["input.summary"]),
        (contact(customer["id"], verified=["FINANCIAL"]), ["input"]),  # a training confirms nothing
        (contact(customer["id"], followUps=[{"action": "Call", "ownerUsername": "nobody", "dueOn": yesterday}]),
         ["input.followUps.0.ownerUsername"]),
        (contact(customer["id"], occurredAt=ago(1),
                 followUps=[{"action": "Call", "ownerUsername": "amy", "dueOn": yesterday}]),
         ["input.followUps.0.dueOn"]),
    ]
    for values, expected in cases:
        assert fields(await record(api, values)) == expected, values
    assert await listed(api) == []


async def test_a_contact_with_a_customer_out_of_reach_is_not_found_and_not_recorded(api):
    await f.organisation(api)
    customer = await f.customer(api)
    result = await record(api, contact(customer["id"]), bearer=f.as_("bob"))
    assert result == {"__typename": "NotFoundError", "code": "NOT_FOUND", "field": "input.customerId"}
    assert await listed(api) == []


async def test_a_correction_is_a_new_version_and_the_first_stays_readable(api):
    await f.organisation(api)
    customer = await f.customer(api)
    first = (await record(api, contact(customer["id"], summary="Trained the team.")))["serviceRecord"]
    values = {key: value for key, value in contact(customer["id"]).items() if key != "customerId"}
    corrected = (await api.ok(CORRECT, {"input": {
        **values, "id": first["id"], "version": 1, "summary": "Trained the finance team (6 people).",
        "reason": "Headcount added.",
    }}, bearer=f.as_("hank", "branch_manager")))["correctServiceContact"]
    assert corrected["__typename"] == "ServiceRecordPayload", corrected
    shown = corrected["serviceRecord"]
    assert (shown["version"], shown["summary"], shown["correctedBy"]) == (2, "Trained the finance team (6 people).",
                                                                          "hank")
    assert [(v["version"], v["summary"], v["reason"], v["writtenBy"]) for v in shown["versions"]] == [
        (1, "Trained the team.", None, "alice"),
        (2, "Trained the finance team (6 people).", "Headcount added.", "hank"),
    ]


async def test_a_correction_of_a_stale_version_is_a_conflict_and_changes_nothing(api):
    await f.organisation(api)
    customer = await f.customer(api)
    first = (await record(api, contact(customer["id"], summary="Trained the team.")))["serviceRecord"]
    values = {key: value for key, value in contact(customer["id"]).items() if key != "customerId"}
    base = {**values, "id": first["id"], "reason": "Fix."}
    assert (await api.ok(CORRECT, {"input": {**base, "version": 1, "summary": "Second."}}))[
        "correctServiceContact"]["__typename"] == "ServiceRecordPayload"
    stale = (await api.ok(CORRECT, {"input": {**base, "version": 1, "summary": "Third."}}))["correctServiceContact"]
    assert stale == {"__typename": "ConflictError", "code": "CONFLICT", "currentVersion": 2}
    no_reason = (await api.ok(CORRECT, {"input": {**base, "version": 2, "reason": " ", "summary": "Third."}}))
    assert fields(no_reason["correctServiceContact"]) == ["input.reason"]
    assert await listed(api) == ["Second."]


async def test_the_root_list_filters_by_customer_staff_branch_stage_kind_and_period_within_the_callers_reach(app, api):
    await f.organisation(api)
    mine = await f.customer(api, name="Alpha")
    other = await f.customer(api, name="Beta", relationshipManagerUsername="amy")
    shanghai = await f.customer(api, name="Gamma", branchCode="SH01", relationshipManagerUsername="bob")
    manager = f.as_("hank", "branch_manager")
    await record(api, contact(mine["id"], summary="a1", kind="NEEDS_ANALYSIS", stage="PRE_LOAN", occurredAt=ago(40)))
    await record(api, contact(mine["id"], summary="a2", kind="REVISIT", occurredAt=ago(2)))
    await record(api, contact(other["id"], summary="b1", kind="TRAINING", occurredAt=ago(5)), bearer=f.as_("amy"))
    await record(api, contact(shanghai["id"], summary="g1", occurredAt=ago(3)), bearer=f.as_("bob"))
    # Newest first by default; each caller sees only the customers in reach.
    assert await listed(api) == ["a2", "a1"]
    assert await listed(api, bearer=manager) == ["a2", "b1", "a1"]
    assert await listed(api, bearer=f.as_("bob")) == ["g1"]
    assert await listed(api, bearer=manager, customerId=other["id"]) == ["b1"]
    assert await listed(api, bearer=manager, where={"recordedBy": {"_eq": "amy"}}) == ["b1"]
    assert await listed(api, bearer=manager, where={"stage": {"_eq": "PRE_LOAN"}}) == ["a1"]
    assert await listed(api, bearer=manager, where={"kind": {"_in": ["REVISIT", "TRAINING"]}}) == ["a2", "b1"]
    assert await listed(api, bearer=manager, where={"occurredAt": {"_gte": ago(10), "_lt": ago(4)}}) == ["b1"]
    assert await listed(api, bearer=manager, where={"branchCode": {"_eq": "SH01"}}) == []
    risk = token(sub="rex", roles=("risk_expert",), branch="HZ01")
    assert await listed(api, bearer=risk, where={"branchCode": {"_eq": "SH01"}}) == ["g1"]
    assert await listed(api, bearer=risk, orderBy=[{"occurredAt": "ASC"}]) == ["a1", "b1", "g1", "a2"]
    page = (await api.ok(ROOT, {"first": 2}, bearer=risk))["serviceRecords"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (4, True)
    rest = await listed(api, bearer=risk, first=2, after=page["pageInfo"]["endCursor"])
    assert [e["node"]["summary"] for e in page["edges"]] + rest == ["a2", "g1", "b1", "a1"]
    assert page["edges"][0]["node"]["customer"] == {"name": "Alpha"}
    # Served by the planned path (every planned answer is checked against the resolvers' in the tests).
    assert app.state.runtime.read_paths["planned"] >= 10


async def test_follow_ups_are_listed_per_owner_open_or_overdue_and_closed_once(app, api):
    await f.organisation(api)
    customer = await f.customer(api)
    today = datetime.now(UTC).date()
    result = await record(api, contact(customer["id"], occurredAt=ago(20), followUps=[
        {"action": "Late call", "ownerUsername": "amy", "dueOn": (today - timedelta(days=5)).isoformat()},
        {"action": "Next call", "ownerUsername": "amy", "dueOn": (today + timedelta(days=5)).isoformat()},
        {"action": "Alice's call", "ownerUsername": "alice", "dueOn": (today + timedelta(days=9)).isoformat()},
    ]))
    late_id = result["serviceRecord"]["followUps"][0]["id"]

    async def actions(where: dict[str, Any]) -> list[str]:
        data = await api.ok(FOLLOW_UPS, {"where": where})
        return [edge["node"]["action"] for edge in data["serviceFollowUps"]["edges"]]

    assert await actions({"owner": {"_eq": "amy"}}) == ["Late call", "Next call"]
    assert await actions({"overdue": {"_eq": True}}) == ["Late call"]
    done = (await api.ok(COMPLETE, {"input": {"id": late_id, "note": "Called; all well."}},
                         bearer=f.as_("hank", "branch_manager")))["completeServiceFollowUp"]
    assert done["followUp"] == {"id": late_id, "done": True, "doneBy": "hank", "doneNote": "Called; all well."}
    assert await actions({"overdue": {"_eq": True}}) == []
    assert await actions({"done": {"_eq": False}}) == ["Next call", "Alice's call"]
    again = (await api.ok(COMPLETE, {"input": {"id": late_id}}))["completeServiceFollowUp"]
    assert fields(again) == ["input.id"]
    assert app.state.runtime.read_paths["planned"] >= 4  # the lists, checked against the resolvers


async def test_staff_without_an_agreement_third_parties_and_auditors_cannot_read_or_record_contacts(api):
    await f.organisation(api)
    customer = await f.customer(api)
    await record(api, contact(customer["id"]))
    nina = token(sub="nina", roles=("relationship_manager",), branch="HZ01", nda=False)
    body = await api(ROOT, {}, bearer=nina)
    assert body["data"]["serviceRecords"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    auditor = token(sub="audrey", roles=("compliance_auditor",), branch=None)
    assert await listed(api, bearer=auditor) != []
    body = await api(RECORD, {"input": contact(customer["id"])}, bearer=auditor)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert len(await listed(api, bearer=auditor)) == 1


async def test_a_contacts_customer_reads_as_the_customer_itself_on_every_read_path(app, api):
    await f.organisation(api)
    customer = await f.customer(api, name="Alpha")
    await record(api, contact(customer["id"]))
    nested = (await api.ok("""query($id: ID!) { customer(id: $id) { serviceRecords(first: 1) {
      edges { node { customer { name financialsStale revisitOverdue } } } } } }""", {"id": customer["id"]}))
    assert nested["customer"]["serviceRecords"]["edges"] == [
        {"node": {"customer": {"name": "Alpha", "financialsStale": True, "revisitOverdue": None}}}
    ]
    listed_customer = await api.ok("{ serviceRecords { edges { node { customer { name financialsStale } } } } }")
    assert listed_customer["serviceRecords"]["edges"] == [{"node": {"customer": {"name": "Alpha",
                                                                                 "financialsStale": True}}}]
    assert app.state.runtime.read_paths["planned"] >= 1  # the nested one: both paths ran and agreed


PAGED = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { customer(id: $id) {
  serviceRecords(first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { summary } } } } }"""


async def test_a_customers_contacts_page_newest_first_by_when_they_took_place_on_every_read_path(app, api):
    await f.organisation(api)
    customer = await f.customer(api)
    same_moment = ago(2)
    # Recorded out of order: a visit of last week entered after yesterday's call; two at one moment.
    for summary, when in (("yesterday", ago(1)), ("last week", ago(7)), ("tie first", same_moment),
                          ("tie second", same_moment), ("today", ago(0.01))):
        await record(api, contact(customer["id"], summary=summary, occurredAt=when))
    newest_first = ["today", "yesterday", "tie second", "tie first", "last week"]

    async def page(**arguments: Any) -> dict[str, Any]:
        data = await api.ok(PAGED, {"id": customer["id"], **arguments})
        return data["customer"]["serviceRecords"]

    first = await page(first=2)
    assert [edge["node"]["summary"] for edge in first["edges"]] == newest_first[:2]
    assert first["totalCount"] == 5
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (True, False)
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    second = await page(first=2, after=first["pageInfo"]["endCursor"])
    assert [edge["node"]["summary"] for edge in second["edges"]] == newest_first[2:4]
    third = await page(first=2, after=second["pageInfo"]["endCursor"])
    assert [edge["node"]["summary"] for edge in third["edges"]] == newest_first[4:]
    assert third["pageInfo"]["hasNextPage"] is False
    oldest = await page(last=2)
    assert [edge["node"]["summary"] for edge in oldest["edges"]] == newest_first[3:]
    before = await page(last=2, before=oldest["pageInfo"]["startCursor"])
    assert [edge["node"]["summary"] for edge in before["edges"]] == newest_first[1:3]
    assert (await page())["totalCount"] == 5 and len((await page())["edges"]) == 5  # ten unless told
    assert app.state.runtime.read_paths["planned"] >= 6  # each checked against the resolvers


async def test_a_page_size_out_of_range_is_refused_at_the_argument(api):
    await f.organisation(api)
    customer = await f.customer(api)
    body = await api(PAGED, {"id": customer["id"], "first": 101})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert body["errors"][0]["path"] == ["customer", "serviceRecords"]
