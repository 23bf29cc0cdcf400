"""The external environment (R-I3): an event opens a review for every customer in reach it touches,
open until the customer's relationship manager assesses the effect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import factories as f
from conftest import token

RECORD = """mutation($input: RecordExternalEventInput!) { recordExternalEvent(input: $input) {
  __typename ... on ExternalEventPayload { externalEvent { id title customersTouched industryPrefixes branchCodes } }
  ... on InvalidInputError { problems { field message } } } }"""
ASSESS = """mutation($input: AssessExternalEffectInput!) { assessExternalEffect(input: $input) {
  __typename ... on ExternalReviewPayload { externalReview { open effect assessment assessedBy } }
  ... on InvalidInputError { problems { field message } } ... on NotFoundError { code } } }"""
REVIEWS = """query($where: ExternalReviewWhere) { externalReviews(where: $where) { totalCount
  edges { node { id open event { title } customer { name } } } } }"""
RISK = token(sub="rex", roles=("risk_expert",), branch="HZ01")


def event(**overrides: Any) -> dict[str, Any]:
    return {"kind": "POLICY_CHANGE", "title": "Export tax rebate cut for machinery",
            "description": "The rebate on machinery exports falls from 13% to 9%.",
            "occurredOn": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(), **overrides}


async def names(api: Any, where: dict[str, Any], bearer: str | None = None) -> list[str]:
    data = await api.ok(REVIEWS, {"where": where}, bearer=bearer)
    return sorted(edge["node"]["customer"]["name"] for edge in data["externalReviews"]["edges"])


async def test_an_event_opens_a_review_for_each_customer_it_touches_by_industry_and_branch(app, api):
    await f.organisation(api)
    await f.customer(api, name="Machines HZ", industryCode="C34")
    await f.customer(api, name="Retail HZ", industryCode="F52")
    await f.customer(api, name="Machines SH", industryCode="C3411", branchCode="SH01",
                     relationshipManagerUsername="bob")
    recorded = (await api.ok(RECORD, {"input": event(industryPrefixes=["C34"])}, bearer=RISK))["recordExternalEvent"]
    shown = recorded["externalEvent"]
    assert (shown["customersTouched"], shown["industryPrefixes"]) == (2, ["C34"])
    assert await names(api, {"open": {"_eq": True}}, bearer=RISK) == ["Machines HZ", "Machines SH"]
    both = event(title="Flood in Hangzhou", kind="MARKET_SHOCK", industryPrefixes=["C", "F"], branchCodes=["HZ01"])
    assert (await api.ok(RECORD, {"input": both}, bearer=RISK))["recordExternalEvent"]["externalEvent"][
        "customersTouched"] == 2
    # The relationship manager sees the reviews of their own customers only.
    assert await names(api, {"open": {"_eq": True}}) == ["Machines HZ", "Machines HZ", "Retail HZ"]
    assert app.state.runtime.read_paths["planned"] >= 2  # both lists, checked against the resolvers


async def test_a_branch_manager_records_an_event_for_the_customers_of_their_branch_only(api):
    await f.organisation(api)
    await f.customer(api, name="Machines HZ")
    await f.customer(api, name="Machines SH", branchCode="SH01", relationshipManagerUsername="bob")
    manager = f.as_("hank", "branch_manager")
    recorded = (await api.ok(RECORD, {"input": event(industryPrefixes=["C"])}, bearer=manager))["recordExternalEvent"]
    assert recorded["externalEvent"]["customersTouched"] == 1


async def test_the_relationship_manager_assesses_the_effect_once_which_closes_the_review(api):
    await f.organisation(api)
    await f.customer(api, name="Machines HZ")
    await api.ok(RECORD, {"input": event(industryPrefixes=["C34"])}, bearer=RISK)
    [review] = (await api.ok(REVIEWS, {"where": {"open": {"_eq": True}}}))["externalReviews"]["edges"]
    values = {"id": review["node"]["id"], "effect": "NEGATIVE", "assessment": "A third of sales are exports."}
    assessed = (await api.ok(ASSESS, {"input": values}))["assessExternalEffect"]
    assert assessed["externalReview"] == {"open": False, "effect": "NEGATIVE",
                                          "assessment": "A third of sales are exports.", "assessedBy": "alice"}
    assert await names(api, {"open": {"_eq": True}}) == []
    again = (await api.ok(ASSESS, {"input": values}))["assessExternalEffect"]
    assert again["problems"][0]["field"] == "input.id"
    other = (await api.ok(ASSESS, {"input": values}, bearer=f.as_("amy")))["assessExternalEffect"]
    assert other == {"__typename": "NotFoundError", "code": "NOT_FOUND"}


async def test_an_event_touching_nothing_named_in_the_future_or_at_an_unknown_branch_is_refused(api):
    await f.organisation(api)
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    for values, field in [
        (event(), "input"),
        (event(industryPrefixes=["c34"]), "input.industryPrefixes.0"),
        (event(branchCodes=["XX99"]), "input.branchCodes.0"),
        (event(industryPrefixes=["C"], occurredOn=tomorrow), "input.occurredOn"),
    ]:
        result = (await api.ok(RECORD, {"input": values}, bearer=RISK))["recordExternalEvent"]
        assert result["problems"][0]["field"] == field, values
    events = await api.ok("{ externalEvents { title } }", bearer=RISK)
    assert events["externalEvents"] == []


async def test_a_relationship_manager_may_not_record_an_event(api):
    await f.organisation(api)
    body = await api(RECORD, {"input": event(industryPrefixes=["C"])})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
