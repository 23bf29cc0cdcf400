"""The credit business through the GraphQL endpoint: facilities booked with their schedules, arrears
computed from the schedule and the repayments, the five-category classification at every day-count
boundary and by the borrower rules, restructuring, and credit status and grading facts that follow."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner

import factories as f
from api.cli import main
from api.clock import business_today
from api.settings import get_settings
from conftest import token

APPROVER = f.as_("hank", "branch_manager")  # books facilities and records repayments at HZ01
FACILITY = """id reference status outstanding daysPastDue overdueAmount category categoryReasons classifiedOn version
  currency drawnAmount schedule { dueOn principal interest } repayments { paidOn amount reference }
  classificationHistory { category effectiveOn daysPastDue }"""
RESULT = f"""__typename
  ... on CreditFacilityPayload {{ creditFacility {{ {FACILITY} }} }}
  ... on InvalidInputError {{ code problems {{ field message }} }}
  ... on NotFoundError {{ code field }}
  ... on ConflictError {{ code currentVersion }}"""
BOOK = f"mutation($input: BookCreditFacilityInput!) {{ bookCreditFacility(input: $input) {{ {RESULT} }} }}"
REPAY = f"mutation($input: RecordRepaymentInput!) {{ recordRepayment(input: $input) {{ {RESULT} }} }}"
RESTRUCTURE = (f"mutation($input: RestructureCreditFacilityInput!) {{ restructureCreditFacility(input: $input) "
               f"{{ {RESULT} }} }}")
BORROWER = """query($id: ID!) { customer(id: $id) { creditStatus creditStatusAssessment { basis }
  riskClassification { category daysPastDue reasons } classificationHistory { category }
  facilities { reference category daysPastDue } } }"""
CREDIT_INFO = """mutation($input: CreditInformationInput!) { recordCreditInformation(input: $input) {
  __typename ... on CustomerPayload { customer { version } }
  ... on InvalidInputError { problems { field message } } } }"""


def today() -> date:
    """The lender's day: the service dates arrears by it (not by UTC's)."""
    return business_today("Asia/Shanghai")


def booking(customer_id: str, *, overdue_days: int, drawn: str = "1000000.00", reference: str | None = None,
            **overrides: Any) -> dict[str, Any]:
    """A facility whose first installment (half the principal) fell due ``overdue_days`` ago (or falls due
    in a month when 0) and is unpaid; the second falls due at maturity, in a year."""
    first_due = today() - timedelta(days=overdue_days) if overdue_days else today() + timedelta(days=30)
    half = (Decimal(drawn) / 2).quantize(Decimal("0.01"))
    return {
        "customerId": customer_id, "reference": reference or f"F-{f.credit_code()[:10]}", "product": "Working capital",
        "limitAmount": drawn, "currency": "CNY", "drawnAmount": drawn,
        "startOn": (first_due - timedelta(days=30)).isoformat(),
        "maturityOn": (today() + timedelta(days=365)).isoformat(),
        "rate": "0.0435",
        "schedule": [
            {"dueOn": first_due.isoformat(), "principal": str(half), "interest": "1000.00"},
            {"dueOn": (today() + timedelta(days=365)).isoformat(), "principal": str(Decimal(drawn) - half),
             "interest": "1000.00"},
        ],
        **overrides,
    }


async def book(api: Any, values: dict[str, Any], bearer: str = APPROVER) -> dict[str, Any]:
    result = (await api.ok(BOOK, {"input": values}, bearer=bearer))["bookCreditFacility"]
    assert result["__typename"] == "CreditFacilityPayload", result
    return result["creditFacility"]


async def borrower(api: Any, customer_id: str) -> dict[str, Any]:
    return (await api.ok(BORROWER, {"id": customer_id}, bearer=APPROVER))["customer"]


async def world(api: Any) -> dict[str, Any]:
    await f.organisation(api)
    return await f.customer(api)


@pytest.mark.parametrize(("days", "category", "status"), [
    (0, "NORMAL", "GENERAL"),
    (1, "SPECIAL_MENTION", "WATCH"),
    (90, "SPECIAL_MENTION", "WATCH"),  # exactly 90 days is not "more than 90"
    (91, "SUBSTANDARD", "NON_PERFORMING"),
    (270, "SUBSTANDARD", "NON_PERFORMING"),
    (271, "DOUBTFUL", "NON_PERFORMING"),
    (360, "DOUBTFUL", "NON_PERFORMING"),
    (361, "LOSS", "NON_PERFORMING"),
])
async def test_days_past_due_are_computed_from_the_schedule_and_classify_the_facility(api, days, category, status):
    customer = await world(api)
    facility = await book(api, booking(customer["id"], overdue_days=days))
    assert facility["daysPastDue"] == days
    assert facility["category"] == category
    assert Decimal(facility["overdueAmount"]) == (Decimal("501000.00") if days else 0)
    assert facility["classificationHistory"] == [{"category": category, "effectiveOn": today().isoformat(),
                                                  "daysPastDue": days}]
    found = await borrower(api, customer["id"])
    assert found["riskClassification"]["category"] == category
    assert found["facilities"] == [{"reference": facility["reference"], "category": category, "daysPastDue": days}]
    if status == "NON_PERFORMING":  # credit status follows the classification, with it named as the basis
        assert found["creditStatus"] == status
        assert f"classified {category.lower()}" in found["creditStatusAssessment"]["basis"]
    elif days:
        assert found["creditStatus"] == "WATCH"


async def test_a_repayment_clears_the_arrears_and_the_change_is_kept_as_history(api):
    customer = await world(api)
    facility = await book(api, booking(customer["id"], overdue_days=95))
    assert facility["category"] == "SUBSTANDARD"
    paid = (await api.ok(REPAY, {"input": {"facilityId": facility["id"], "paidOn": today().isoformat(),
                                           "amount": "501000.00", "reference": "PAY-1"}}, bearer=APPROVER))
    after = paid["recordRepayment"]["creditFacility"]
    assert (after["daysPastDue"], Decimal(after["overdueAmount"]), after["category"]) == (0, 0, "NORMAL")
    assert Decimal(after["outstanding"]) == Decimal("500000.00")
    assert [e["category"] for e in after["classificationHistory"]] == ["NORMAL", "SUBSTANDARD"]
    found = await borrower(api, customer["id"])
    assert [e["category"] for e in found["classificationHistory"]] == ["NORMAL", "SUBSTANDARD"]
    assert found["creditStatus"] != "NON_PERFORMING"


async def test_repaying_everything_settles_the_facility(api):
    customer = await world(api)
    facility = await book(api, booking(customer["id"], overdue_days=0, drawn="1000.00"))
    paid = await api.ok(REPAY, {"input": {"facilityId": facility["id"], "paidOn": today().isoformat(),
                                          "amount": "3000.00", "reference": "PAY-ALL"}}, bearer=APPROVER)
    settled = paid["recordRepayment"]["creditFacility"]
    assert (settled["status"], Decimal(settled["outstanding"])) == ("SETTLED", 0)
    again = (await api.ok(REPAY, {"input": {"facilityId": facility["id"], "paidOn": today().isoformat(),
                                            "amount": "1.00", "reference": "PAY-MORE"}}, bearer=APPROVER))
    assert again["recordRepayment"]["problems"][0]["field"] == "input.facilityId"


@pytest.mark.parametrize(("overdue_long", "category"), [
    ("199999.99", "NORMAL"), ("200000.00", "NORMAL"), ("200000.01", "SUBSTANDARD"),
])
async def test_a_borrower_long_overdue_at_all_banks_has_every_facility_here_substandard(api, overdue_long, category):
    customer = await world(api)
    facility = await book(api, booking(customer["id"], overdue_days=0))
    version = (await api.ok("query($id: ID!) { customer(id: $id) { version } }", {"id": customer["id"]}))
    recorded = await api.ok(CREDIT_INFO, {"input": {
        "customerId": customer["id"], "version": version["customer"]["version"], "bankDebtTotal": "1000000.00",
        "bankDebtOverdueLong": overdue_long, "bankDebtReportedOn": today().isoformat()}})
    assert recorded["recordCreditInformation"]["__typename"] == "CustomerPayload", recorded
    found = await borrower(api, customer["id"])
    assert found["facilities"][0]["category"] == category
    assert found["riskClassification"]["category"] == category
    if category == "SUBSTANDARD":
        assert any("debt at all banks" in reason for reason in found["riskClassification"]["reasons"])
    assert facility["category"] == "NORMAL"


@pytest.mark.parametrize(("bad", "category"), [("99999.99", "NORMAL"), ("100000.00", "NORMAL"),
                                               ("100000.01", "SUBSTANDARD")])
async def test_more_than_a_tenth_of_the_claims_here_non_performing_makes_all_of_them_so(api, bad, category):
    customer = await world(api)
    total = Decimal("1000000.00")
    # The overdue facility's outstanding is its whole principal: the share is bad / total.
    await book(api, booking(customer["id"], overdue_days=120, drawn=bad))
    healthy = await book(api, booking(customer["id"], overdue_days=0, drawn=str(total - Decimal(bad))))
    found = await borrower(api, customer["id"])
    by_reference = {item["reference"]: item["category"] for item in found["facilities"]}
    assert by_reference[healthy["reference"]] == category
    assert found["riskClassification"]["category"] == "SUBSTANDARD"


async def test_a_restructured_facility_is_special_mention_with_a_new_schedule_for_what_is_owed(api):
    customer = await world(api)
    facility = await book(api, booking(customer["id"], overdue_days=40))
    assert facility["category"] == "SPECIAL_MENTION"
    due = (today() + timedelta(days=180)).isoformat()
    values = {"id": facility["id"], "version": facility["version"], "restructuredOn": today().isoformat(),
              "maturityOn": (today() + timedelta(days=400)).isoformat(), "reason": "Seasonal cash shortfall."}
    wrong = await api.ok(RESTRUCTURE, {"input": {**values, "schedule": [
        {"dueOn": due, "principal": "1.00", "interest": "0.00"}]}}, bearer=APPROVER)
    assert wrong["restructureCreditFacility"]["problems"][0]["field"] == "input.schedule"
    done = await api.ok(RESTRUCTURE, {"input": {**values, "schedule": [
        {"dueOn": due, "principal": "1000000.00", "interest": "20000.00"}]}}, bearer=APPROVER)
    after = done["restructureCreditFacility"]["creditFacility"]
    assert (after["daysPastDue"], after["category"]) == (0, "SPECIAL_MENTION")
    assert any("restructured on" in reason for reason in after["categoryReasons"])
    stale = await api.ok(RESTRUCTURE, {"input": {**values, "schedule": [
        {"dueOn": due, "principal": "1000000.00", "interest": "0.00"}]}}, bearer=APPROVER)
    assert stale["restructureCreditFacility"]["__typename"] == "ConflictError"


async def test_grading_facts_come_from_the_classification_and_a_non_performing_borrower_is_graded_d(api):
    customer = await world(api)
    await api.ok(f.RECORD_STATEMENT, {"input": f.statement_input(customer["id"], customer["version"])})
    await book(api, booking(customer["id"], overdue_days=100))
    body = await api.ok("""query($id: ID!) { customer(id: $id) {
      gradeHistory(first: 1) { edges { node { grade trigger facts knockOuts } } } } }""", {"id": customer["id"]},
                        bearer=APPROVER)
    latest = body["customer"]["gradeHistory"]["edges"][0]["node"]
    assert latest["trigger"] == "facility"
    assert latest["facts"]["days_past_due"] == 100
    assert latest["facts"]["non_performing"] is True
    assert latest["facts"]["risk_category"] == "substandard"
    assert latest["grade"] == "D" and latest["knockOuts"]


async def test_a_booking_that_does_not_add_up_is_refused_naming_each_field_and_writes_nothing(api):
    customer = await world(api)
    base = booking(customer["id"], overdue_days=0, reference="F-DUP")
    await book(api, base)
    cases = [
        ({"reference": "F-DUP"}, "input.reference"),
        ({"drawnAmount": "2000000.00"}, "input"),
        ({"startOn": (today() + timedelta(days=1)).isoformat(), "reference": "F-NEW"}, "input.startOn"),
        ({"schedule": base["schedule"][:1], "reference": "F-NEW"}, "input"),
        ({"currency": "XXX", "reference": "F-NEW"}, "input.currency"),
    ]
    for change, field in cases:
        result = (await api.ok(BOOK, {"input": {**base, **change}}, bearer=APPROVER))["bookCreditFacility"]
        assert result["__typename"] == "InvalidInputError", (change, result)
        assert field in [p["field"] for p in result["problems"]], (change, result)
    listed = await api.ok("query { creditFacilities { totalCount } }", bearer=APPROVER)
    assert listed["creditFacilities"]["totalCount"] == 1


async def test_a_repayment_reference_is_taken_once(api):
    customer = await world(api)
    facility = await book(api, booking(customer["id"], overdue_days=10))
    values = {"facilityId": facility["id"], "paidOn": today().isoformat(), "amount": "10.00", "reference": "P-1"}
    await api.ok(REPAY, {"input": values}, bearer=APPROVER)
    again = (await api.ok(REPAY, {"input": values}, bearer=APPROVER))["recordRepayment"]
    assert again["__typename"] == "InvalidInputError" and again["problems"][0]["field"] == "input.reference"
    ahead = (await api.ok(REPAY, {"input": {**values, "reference": "P-2", "paidOn": (
        today() + timedelta(days=1)).isoformat()}}, bearer=APPROVER))["recordRepayment"]
    assert ahead["problems"][0]["field"] == "input.paidOn"


async def test_facilities_follow_the_policy_and_the_row_scope(api, app):
    customer = await world(api)
    facility = await book(api, booking(customer["id"], overdue_days=5))
    listing = "query { creditFacilities(where: {category: {_eq: SPECIAL_MENTION}}) { totalCount edges { node { " \
              "reference daysPastDue customer { name } } } } }"
    for bearer, visible in ((APPROVER, True), (f.as_("alice"), True), (f.as_("bob", "branch_manager"), False)):
        body = await api.ok(listing, bearer=bearer)
        assert body["creditFacilities"]["totalCount"] == (1 if visible else 0), bearer
    assert app.state.runtime.read_paths["planned"] >= 1
    nda_less = token(sub="nina", roles=("relationship_manager",), branch="HZ01", nda=False)
    refused = await api(listing, bearer=nda_less)
    assert refused["data"]["creditFacilities"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    handler = token(sub="carl", roles=("complaint_handler",), branch="HZ01")
    denied = await api(BOOK, {"input": booking(customer["id"], overdue_days=0)}, bearer=handler)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    elsewhere = (await api.ok(REPAY, {"input": {"facilityId": facility["id"], "paidOn": today().isoformat(),
                                                "amount": "1.00", "reference": "X"}},
                              bearer=f.as_("sue", "branch_manager")))["recordRepayment"]
    assert elsewhere["__typename"] == "NotFoundError"
    node = await api.ok("query($id: ID!) { node(id: $id) { ... on CreditFacility { reference daysPastDue } } }",
                        {"id": facility["id"]}, bearer=APPROVER)
    assert node["node"] == {"reference": facility["reference"], "daysPastDue": 5}


async def test_the_daily_run_classifies_by_the_days_gone_by_and_credit_status_follows(api, database_url, monkeypatch):
    customer = await world(api)
    # Graded with every answer: the re-grade that a change of category brings puts a grade in force.
    await f.statement(api, customer["id"], customer["version"])
    await f.assessed(api, customer["id"], "C34")
    facility = await book(api, booking(customer["id"], overdue_days=0))  # first installment due in 30 days
    assert facility["category"] == "NORMAL"
    monkeypatch.setenv("CREDITCARE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    later = today() + timedelta(days=30 + 91)
    try:
        result = await asyncio.to_thread(CliRunner().invoke, main, ["reclassify", "--as-of", later.isoformat()])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "classified 1 borrowers (1 running facilities)" in result.output
    assert "1 changed category, 1 changed credit status" in result.output
    found = await borrower(api, customer["id"])
    assert found["facilities"][0] == {"reference": facility["reference"], "category": "SUBSTANDARD",
                                      "daysPastDue": 91}
    assert found["creditStatus"] == "NON_PERFORMING"
    assert [e["category"] for e in found["classificationHistory"]] == ["SUBSTANDARD", "NORMAL"]
    graded = await api.ok("""query($id: ID!) { customer(id: $id) { gradeHistory { edges { node { trigger } } }
      gradingFailures { trigger } } }""", {"id": customer["id"]}, bearer=APPROVER)
    triggers = [e["node"]["trigger"] for e in graded["customer"]["gradeHistory"]["edges"]]
    assert triggers[0] == "classification"  # a change of category re-grades the borrower
