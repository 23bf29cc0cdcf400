"""Early warnings (R-S3) through the API: each built-in rule at, below and above its threshold, the
lifecycle, de-duplication, and what a HIGH warning does to the revisit and the grade."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

import factories as f
from api.clock import business_date
from conftest import token

WARNINGS = """query($id: ID!) { customer(id: $id) { version nextRevisitOn openWarningCount
  earlyWarnings(last: 20) { id ruleId ruleVersion severity status message trigger evidence } } }"""
CREDIT = """mutation($input: CreditInformationInput!) { recordCreditInformation(input: $input) {
  __typename ... on CustomerPayload { customer { version } }
  ... on InvalidInputError { problems { field message } } } }"""
BASIC = """mutation($input: BasicInformationInput!) { recordBasicInformation(input: $input) {
  __typename ... on CustomerPayload { customer { version } } } }"""
STEP = {
    "acknowledge": "mutation($input: AcknowledgeEarlyWarningInput!) { acknowledgeEarlyWarning(input: $input) {",
    "measures": "mutation($input: RecordEarlyWarningMeasuresInput!) { recordEarlyWarningMeasures(input: $input) {",
    "close": "mutation($input: CloseEarlyWarningInput!) { closeEarlyWarning(input: $input) {",
}
STEP_RESULT = """ __typename ... on EarlyWarningPayload { earlyWarning { status measures measuresBy closeNote } }
  ... on InvalidInputError { problems { field message } } } }"""
ROOT = """query($where: EarlyWarningWhere) { earlyWarnings(where: $where) { totalCount
  edges { node { ruleId severity customer { name } } } } }"""


def today() -> date:
    return business_date(datetime.now(UTC), "Asia/Shanghai")


async def warnings_of(api: Any, customer_id: str) -> dict[str, Any]:
    return (await api.ok(WARNINGS, {"id": customer_id}))["customer"]


async def two_years(api: Any, previous: dict[str, Any], latest: dict[str, Any], **customer: Any) -> dict[str, Any]:
    """A customer with the annual statements of 2024 (``previous``) and 2025 (``latest``), recorded by
    its relationship manager."""
    c = await f.customer(api, **customer)
    bearer = f.as_(customer.get("relationshipManagerUsername", "alice"))
    after = await f.statement(api, c["id"], c["version"], bearer, periodEnd="2024-12-31", **previous)
    after = await f.statement(api, c["id"], after["version"], bearer, periodEnd="2025-12-31", **latest)
    return {**c, "version": after["version"]}


def rules(shown: dict[str, Any]) -> list[str]:
    return sorted(w["ruleId"] for w in shown["earlyWarnings"])


@pytest.mark.parametrize(("latest_revenue", "raised"), [
    ("70000000.00", False),  # down exactly 30 %: at the limit, not above it
    ("75000000.00", False),  # down 25 %
    ("69999999.00", True),  # down a little more than 30 %
])
async def test_revenue_down_more_than_30_percent_year_on_year_is_warned(api, latest_revenue, raised):
    await f.organisation(api)
    c = await two_years(api, {"revenue": "100000000.00"}, {"revenue": latest_revenue})
    shown = await warnings_of(api, c["id"])
    assert ("REVENUE_DROP" in rules(shown)) is raised
    if raised:
        [warning] = [w for w in shown["earlyWarnings"] if w["ruleId"] == "REVENUE_DROP"]
        assert (warning["severity"], warning["status"], warning["trigger"]) == (
            "MEDIUM", "RAISED", "financial_statement")
        assert warning["evidence"]["previous_revenue"] == "100000000.00"
        assert warning["evidence"]["rule_version"] == warning["ruleVersion"] == "1.0"


@pytest.mark.parametrize(("liabilities", "equity", "raised"), [
    ("70000000.00", "30000000.00", False),  # exactly 70 % of assets
    ("69000000.00", "31000000.00", False),
    ("70100000.00", "29900000.00", True),
])
async def test_liabilities_above_70_percent_of_assets_are_warned(api, liabilities, equity, raised):
    await f.organisation(api)
    figures = {"totalAssets": "100000000.00", "totalLiabilities": liabilities, "equity": equity}
    c = await two_years(api, figures, figures)
    assert ("LEVERAGE" in rules(await warnings_of(api, c["id"]))) is raised


@pytest.mark.parametrize(("before", "raised"), [("50000000.00", False), ("51000000.00", False), ("49900000.00", True)])
async def test_liabilities_to_assets_up_more_than_10_points_in_a_year_are_warned(api, before, raised):
    await f.organisation(api)
    previous = {"totalAssets": "100000000.00", "totalLiabilities": before, "equity": "40000000.00"}
    latest = {"totalAssets": "100000000.00", "totalLiabilities": "60000000.00", "equity": "40000000.00"}
    c = await two_years(api, previous, latest)
    assert ("LEVERAGE" in rules(await warnings_of(api, c["id"]))) is raised


@pytest.mark.parametrize(("flows", "raised"), [
    (("-1.00", "-1.00"), True), (("0.00", "-5000000.00"), False), (("-5000000.00", "1.00"), False),
])
async def test_negative_operating_cash_flow_two_periods_running_is_warned(api, flows, raised):
    await f.organisation(api)
    c = await two_years(api, {"operatingCashFlow": flows[0]}, {"operatingCashFlow": flows[1]})
    assert ("NEGATIVE_OPERATING_CASH_FLOW" in rules(await warnings_of(api, c["id"]))) is raised


async def credit(api: Any, c: dict[str, Any], **values: Any) -> dict[str, Any]:
    data = await api.ok(CREDIT, {"input": {"customerId": c["id"], "version": c["version"], **values}})
    assert data["recordCreditInformation"]["__typename"] == "CustomerPayload", data
    return {**c, "version": data["recordCreditInformation"]["customer"]["version"]}


def event(kind: str, days_ago: int, **extra: Any) -> dict[str, Any]:
    return {"occurredOn": (today() - timedelta(days=days_ago)).isoformat(), "kind": kind.upper(),
            "description": f"{kind} recorded", **extra}


async def test_an_amount_overdue_raises_a_high_warning_brings_the_revisit_to_today_and_regrades(api):
    await f.organisation(api)
    c = await f.customer(api)
    c = {**c, "version": (await f.statement(api, c["id"], c["version"]))["version"]}
    await f.assessed(api, c["id"], "C34")
    before = await warnings_of(api, c["id"])
    assert before["nextRevisitOn"] > today().isoformat() and before["earlyWarnings"] == []
    await credit(api, {**c, "version": before["version"]}, addEvents=[event("overdue", 3, daysPastDue=5)])
    shown = await warnings_of(api, c["id"])
    overdue = [w for w in shown["earlyWarnings"] if w["ruleId"] == "AMOUNT_OVERDUE"]
    assert [(w["severity"], w["evidence"]["days_past_due"]) for w in overdue] == [("HIGH", "5")]
    assert shown["nextRevisitOn"] == today().isoformat()
    history = await api.ok("""query($id: ID!) { customer(id: $id) { gradeHistory(first: 5) {
      edges { node { trigger } } } } }""", {"id": c["id"]})
    assert history["customer"]["gradeHistory"]["edges"][0]["node"]["trigger"] == "credit_information"


async def test_a_repayment_after_the_arrears_leaves_nothing_overdue_to_warn(api):
    await f.organisation(api)
    c = await f.customer(api)
    await credit(api, c, addEvents=[event("overdue", 30, daysPastDue=5), event("loan_repaid", 10)])
    assert "AMOUNT_OVERDUE" not in rules(await warnings_of(api, c["id"]))


@pytest.mark.parametrize(("kind", "days_ago", "raised"), [
    ("litigation", 90, True),  # the last day of the 90-day look-back
    ("litigation", 91, False),
    ("enforcement", 1, True),
    ("loan_repaid", 1, False),  # not adverse
])
async def test_a_new_adverse_credit_entry_is_warned_once(api, kind, days_ago, raised):
    await f.organisation(api)
    c = await f.customer(api)
    c = await credit(api, c, addEvents=[event(kind, days_ago)])
    assert ("ADVERSE_CREDIT_ENTRY" in rules(await warnings_of(api, c["id"]))) is raised
    await credit(api, c, creditReportReference="R-2")  # evaluated again: the same entry is not raised twice
    assert rules(await warnings_of(api, c["id"])).count("ADVERSE_CREDIT_ENTRY") == int(raised)


@pytest.mark.parametrize(("guaranteed", "raised"), [
    ("60000000.00", False),  # equal to the net assets of the default statement
    ("59999999.00", False),
    ("60000000.01", True),
])
async def test_guarantees_given_above_net_assets_are_warned(api, guaranteed, raised):
    await f.organisation(api)
    c = await f.customer(api)
    c = {**c, "version": (await f.statement(api, c["id"], c["version"]))["version"]}
    await credit(api, c, addGuarantees=[{"beneficiary": "A supplier", "startsOn": "2025-01-01",
                                         "amount": {"amount": guaranteed, "currency": "CNY"}}])
    shown = await warnings_of(api, c["id"])
    assert ("GUARANTEES_ABOVE_NET_ASSETS" in rules(shown)) is raised


async def test_a_change_of_legal_representative_is_warned_but_a_first_entry_is_not(api):
    await f.organisation(api)
    c = await f.customer(api)
    version = c["version"]
    for name in ("Wang Wei", "Li Na"):
        data = await api.ok(BASIC, {"input": {"customerId": c["id"], "version": version,
                                              "legalRepresentativeName": name}})
        version = data["recordBasicInformation"]["customer"]["version"]
    shown = await warnings_of(api, c["id"])
    assert [(w["ruleId"], w["trigger"], w["severity"]) for w in shown["earlyWarnings"]] == [
        ("LEGAL_REPRESENTATIVE_CHANGE", "basic_information", "MEDIUM")
    ]


async def test_a_warning_goes_from_raised_to_closed_step_by_step_and_refuses_steps_out_of_order(api):
    await f.organisation(api)
    c = await two_years(api, {"revenue": "100000000.00"}, {"revenue": "10000000.00"})
    [warning] = (await warnings_of(api, c["id"]))["earlyWarnings"]

    async def step(name: str, **values: Any) -> dict[str, Any]:
        data = await api.ok(STEP[name] + STEP_RESULT, {"input": {"id": warning["id"], **values}})
        return next(iter(data.values()))

    out_of_order = await step("close")
    assert out_of_order["__typename"] == "InvalidInputError"
    assert out_of_order["problems"][0]["message"] == (
        "a warning is closed when it is MEASURES_TAKEN; this one is RAISED")
    assert (await step("acknowledge"))["earlyWarning"]["status"] == "ACKNOWLEDGED"
    assert (await step("measures", measures=" "))["problems"][0]["field"] == "input.measures"
    taken = await step("measures", measures="Asked for the order book; visit booked.")
    assert taken["earlyWarning"]["measuresBy"] == "alice"
    closed = await step("close", note="Orders recovered in Q1.")
    assert closed["earlyWarning"] == {"status": "CLOSED", "measures": "Asked for the order book; visit booked.",
                                      "measuresBy": "alice", "closeNote": "Orders recovered in Q1."}
    assert (await warnings_of(api, c["id"]))["openWarningCount"] == 0
    # Closed is closed: the same condition is not raised again on the next evaluation.
    c2 = await credit(api, c, creditReportReference="R-9")
    assert rules(await warnings_of(api, c2["id"])) == ["REVENUE_DROP"]


async def test_warnings_are_listed_across_customers_within_reach(app, api):
    await f.organisation(api)
    await two_years(api, {"revenue": "100000000.00"}, {"revenue": "1000000.00"}, name="Alpha")
    await two_years(api, {"revenue": "100000000.00"}, {"revenue": "1000000.00"}, name="Shanghai Co",
                    branchCode="SH01", relationshipManagerUsername="bob")
    mine = (await api.ok(ROOT, {"where": {"status": {"_neq": "CLOSED"}}}))["earlyWarnings"]
    assert (mine["totalCount"], mine["edges"][0]["node"]["customer"]) == (1, {"name": "Alpha"})
    risk = token(sub="rex", roles=("risk_expert",), branch="HZ01")
    everywhere = (await api.ok(ROOT, {"where": {"branchCode": {"_eq": "SH01"}}}, bearer=risk))["earlyWarnings"]
    assert [e["node"]["customer"]["name"] for e in everywhere["edges"]] == ["Shanghai Co"]
    assert app.state.runtime.read_paths["planned"] >= 2  # both lists, checked against the resolvers


async def test_negative_net_assets_without_guarantees_warn_of_leverage_not_of_guarantees(api):
    await f.organisation(api)
    c = await f.customer(api)
    await f.statement(api, c["id"], c["version"], totalAssets="100000000.00", totalLiabilities="110000000.00",
                      equity="-10000000.00")
    assert rules(await warnings_of(api, c["id"])) == ["LEVERAGE"]


async def test_a_high_warning_leaves_an_overdue_revisit_overdue(api):
    await f.organisation(api)
    c = await f.customer(api)
    c = {**c, "version": (await f.statement(api, c["id"], c["version"]))["version"]}
    graded = await f.assessed(api, c["id"], "C34")
    revisit = {"customerId": c["id"], "stage": "POST_LOAN", "kind": "REVISIT", "channel": "ON_SITE",
               "occurredAt": (datetime.now(UTC) - timedelta(days=400)).isoformat(), "summary": "Visited."}
    recorded = await api.ok("""mutation($input: RecordServiceContactInput!) { recordServiceContact(input: $input) {
      ... on ServiceRecordPayload { customer { nextRevisitOn } } } }""", {"input": revisit})
    overdue = recorded["recordServiceContact"]["customer"]["nextRevisitOn"]
    assert overdue < today().isoformat()
    await credit(api, {**c, "version": graded["version"]}, addEvents=[event("overdue", 2, daysPastDue=3)])
    assert (await warnings_of(api, c["id"]))["nextRevisitOn"] == overdue
