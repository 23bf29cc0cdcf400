"""Every change is kept as history; major changes are flagged; stale financials are flagged (R-I2)."""

from __future__ import annotations

import factories as f

HISTORY = """query($id: ID!, $major: Boolean!) { customer(id: $id) {
  lastMajorChangeAt financialsStale
  history(majorOnly: $major) { edges { node { changedBy changedAt infoGroup field oldValue newValue major } } } } }"""
RECORD_BASIC = """mutation($input: BasicInformationInput!) { recordBasicInformation(input: $input) {
  __typename ... on CustomerPayload { customer { version } } } }"""
RECORD_INVESTMENT = """mutation($input: MajorInvestmentInput!) { recordMajorInvestment(input: $input) {
  __typename ... on CustomerPayload { customer { version } } } }"""
UPDATE = """mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
  __typename ... on CustomerPayload { customer { version name relationshipManager { username } } } } }"""


async def _history(api, customer_id, major=False, bearer=None):
    """The customer, its history as the list of its first page's changes, newest first."""
    customer = (await api.ok(HISTORY, {"id": customer_id, "major": major}, bearer=bearer))["customer"]
    customer["history"] = [edge["node"] for edge in customer["history"]["edges"]]
    return customer


async def test_an_update_records_who_when_field_old_and_new(api):
    await f.organisation(api)
    c = await f.customer(api, name="Old Name Co., Ltd.")
    manager = f.as_("hank", "branch_manager")  # hands the customer over from alice to amy
    r = (await api.ok(UPDATE, {"input": {"id": c["id"], "version": 1, "name": "New Name Co., Ltd.",
                                         "relationshipManagerUsername": "amy"}}, bearer=manager))["updateCustomer"]
    assert r["customer"]["name"] == "New Name Co., Ltd."
    assert r["customer"]["relationshipManager"]["username"] == "amy"
    entries = (await _history(api, c["id"], bearer=manager))["history"]
    name_change = next(e for e in entries if e["field"] == "name")
    assert name_change["oldValue"] == "Old Name Co., Ltd."
    assert name_change["newValue"] == "New Name Co., Ltd."
    assert name_change["changedBy"] == "hank"
    assert name_change["infoGroup"] == "CUSTOMER"
    assert name_change["major"] is False
    assert name_change["changedAt"].endswith("+00:00")
    manager_change = next(e for e in entries if e["field"] == "relationshipManager")
    assert (manager_change["oldValue"], manager_change["newValue"]) == ("alice", "amy")


async def test_unchanged_values_leave_no_history(api):
    await f.organisation(api)
    c = await f.customer(api, name="Same Co., Ltd.")
    await api.ok(UPDATE, {"input": {"id": c["id"], "version": 1, "name": "Same Co., Ltd."}})
    assert [e["field"] for e in (await _history(api, c["id"]))["history"]] == ["registered"]


async def test_changing_the_legal_representative_is_a_major_change_first_recording_is_not(api):
    await f.organisation(api)
    c = await f.customer(api)
    await api.ok(RECORD_BASIC, {"input": {"customerId": c["id"], "version": 1, "legalRepresentativeName": "Li Lei"}})
    before = await _history(api, c["id"], major=True)
    assert before["history"] == [] and before["lastMajorChangeAt"] is None
    await api.ok(
        RECORD_BASIC, {"input": {"customerId": c["id"], "version": 2, "legalRepresentativeName": "Han Meimei"}}
    )
    after = await _history(api, c["id"], major=True)
    assert [(e["field"], e["oldValue"], e["newValue"], e["major"]) for e in after["history"]] == [
        ("legalRepresentativeName", "Li Lei", "Han Meimei", True)
    ]
    assert after["lastMajorChangeAt"] is not None


async def test_changing_the_business_scope_is_a_major_change(api):
    await f.organisation(api)
    c = await f.customer(api)
    await api.ok(RECORD_BASIC, {"input": {"customerId": c["id"], "version": 1, "businessScope": "Pumps"}})
    await api.ok(RECORD_BASIC, {"input": {"customerId": c["id"], "version": 2, "businessScope": "Pumps; real estate"}})
    major = (await _history(api, c["id"], major=True))["history"]
    assert [e["field"] for e in major] == ["businessScope"]
    assert major[0]["infoGroup"] == "BASIC"


async def test_a_major_investment_is_a_major_change(api):
    await f.organisation(api)
    c = await f.customer(api)
    await api.ok(RECORD_INVESTMENT, {"input": {"customerId": c["id"], "version": 1, "description": "Acquisition",
                                               "amount": {"amount": "90000000.00", "currency": "CNY"},
                                               "decidedOn": "2026-01-10"}})
    major = (await _history(api, c["id"], major=True))["history"]
    assert [(e["field"], e["major"]) for e in major] == [("majorInvestment", True)]


async def test_customers_can_be_filtered_by_recent_major_change(api):
    await f.organisation(api)
    quiet = await f.customer(api, name="Quiet Co., Ltd.")
    busy = await f.customer(api, name="Busy Co., Ltd.")
    await api.ok(RECORD_INVESTMENT, {"input": {
        "customerId": busy["id"], "version": 1, "description": "Plant",
        "amount": {"amount": "1.00", "currency": "CNY"}, "decidedOn": "2026-01-10",
    }})
    data = await api.ok('{ customers(where: {lastMajorChangeAt: {_isNull: false}}) { edges { node { name } } } }')
    assert [e["node"]["name"] for e in data["customers"]["edges"]] == ["Busy Co., Ltd."]
    data = await api.ok('{ customers(where: {lastMajorChangeAt: {_gte: "2000-01-01T00:00:00+00:00"}}) { totalCount } }')
    assert data["customers"]["totalCount"] == 1
    assert quiet["name"] == "Quiet Co., Ltd."


async def test_financials_older_than_the_configured_age_are_stale_and_filterable(api):
    await f.organisation(api)
    fresh = await f.customer(api, name="Fresh Co., Ltd.")
    old = await f.customer(api, name="Old Co., Ltd.")
    none = await f.customer(api, name="Never Reported Co., Ltd.")
    await f.statement(api, fresh["id"], 1, periodEnd="2026-06-30")
    await f.statement(api, old["id"], 1, periodEnd="2020-12-31")
    assert (await _history(api, fresh["id"]))["financialsStale"] is False
    assert (await _history(api, old["id"]))["financialsStale"] is True
    assert (await _history(api, none["id"]))["financialsStale"] is True
    stale = await api.ok(
        "{ customers(where: {stale: {_eq: true}}, orderBy: [{name: ASC}]) { edges { node { name } } } }"
    )
    assert [e["node"]["name"] for e in stale["customers"]["edges"]] == ["Never Reported Co., Ltd.", "Old Co., Ltd."]
    current = await api.ok("{ customers(where: {stale: {_eq: false}}) { edges { node { name } } } }")
    assert [e["node"]["name"] for e in current["customers"]["edges"]] == ["Fresh Co., Ltd."]


def test_stale_cutoff_is_the_configured_number_of_months_back():
    from datetime import date

    from api.services.customer_query import stale_cutoff

    assert stale_cutoff(date(2026, 11, 28), 15) == date(2025, 8, 28)
    assert stale_cutoff(date(2026, 5, 31), 15) == date(2025, 2, 28)
    assert stale_cutoff(date(2025, 5, 31), 15) == date(2024, 2, 29)


async def test_stale_age_follows_the_setting(app, api, settings):
    await f.organisation(api)
    c = await f.customer(api)
    await f.statement(api, c["id"], 1, periodEnd="2025-12-31")
    assert (await _history(api, c["id"]))["financialsStale"] is False
    settings.stale_financials_months = 1
    assert (await _history(api, c["id"]))["financialsStale"] is True
