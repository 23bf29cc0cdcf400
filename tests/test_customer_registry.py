"""Registering a customer and recording its four information groups (R-C1…C3, R-I1)."""

from __future__ import annotations

from pathlib import Path

import pytest

import factories as f

CUSTOMER = """query($id: ID!) { customer(id: $id) {
  id name creditCode version size creditStatus
  industry { code section name nameZh category }
  branch { code name } relationshipManager { username name branch { code } }
  sizeAssessment { size ruleVersion ruleId inputs determinedAt }
  creditStatusAssessment { status basis setBy setAt }
  basicInformation { legalRepresentativeName legalRepresentativeIdType legalRepresentativeIdNumber
    registeredCapital { amount currency } businessScope establishedOn articlesReference }
  financialStatements { periodEnd periodKind currency totalAssets revenue netProfit employees auditOpinion taxesPaid }
  operatingInformation { marketSharePercent industryPosition mainProducts salesChannels upstreamPartners
    downstreamPartners majorInvestments { description amount { amount currency } decidedOn } }
  creditInformation { creditReportReference externalRating externalRatingAgency
    events { kind occurredOn description amount { amount currency } daysPastDue }
    guarantees { beneficiary amount { amount currency } status startsOn } }
} }"""

RECORD_BASIC = """mutation($input: BasicInformationInput!) { recordBasicInformation(input: $input) {
  __typename ... on CustomerPayload { customer { version } }
  ... on InvalidInputError { problems { field message } } } }"""
RECORD_OPERATING = """mutation($input: OperatingInformationInput!) { recordOperatingInformation(input: $input) {
  __typename ... on CustomerPayload { customer { version } } } }"""
RECORD_INVESTMENT = """mutation($input: MajorInvestmentInput!) { recordMajorInvestment(input: $input) {
  __typename ... on CustomerPayload { customer { version lastMajorChangeAt } } } }"""
RECORD_CREDIT = """mutation($input: CreditInformationInput!) { recordCreditInformation(input: $input) {
  __typename ... on CustomerPayload { customer { version } }
  ... on InvalidInputError { problems { field message } } } }"""
SET_STATUS = """mutation($input: SetCreditStatusInput!) { setCreditStatus(input: $input) {
  __typename ... on CustomerPayload { customer { version creditStatus creditStatusAssessment { basis setBy } } } } }"""


async def test_registered_customer_reads_back_with_classification_branch_and_manager(api):
    await f.organisation(api)
    created = await f.customer(api, name="Xihu Food Processing Co., Ltd.", industryCode="C13")
    data = (await api.ok(CUSTOMER, {"id": created["id"]}))["customer"]
    assert data["name"] == "Xihu Food Processing Co., Ltd."
    assert data["creditCode"] == created["creditCode"]
    assert data["industry"] == {"code": "C13", "section": "C", "name": data["industry"]["name"],
                                "nameZh": "农副食品加工业", "category": "MANUFACTURING"}
    assert data["branch"]["code"] == "HZ01"
    assert data["relationshipManager"]["username"] == "alice"
    assert data["version"] == 1
    assert data["size"] is None  # no figures yet: the size is unknown, never guessed
    assert data["creditStatus"] == "GENERAL"
    assert data["creditStatusAssessment"]["basis"]
    assert data["basicInformation"] is None and data["financialStatements"] == []


async def test_node_query_returns_the_customer_by_global_id(api):
    await f.organisation(api)
    created = await f.customer(api)
    data = await api.ok("query($id: ID!) { node(id: $id) { __typename id ... on Customer { name } } }",
                        {"id": created["id"]})
    assert data["node"] == {"__typename": "Customer", "id": created["id"], "name": created["name"]}


async def test_basic_information_is_recorded_with_money_as_exact_decimal(api):
    await f.organisation(api)
    c = await f.customer(api)
    result = (await api.ok(RECORD_BASIC, {"input": {
        "customerId": c["id"], "version": c["version"],
        "legalRepresentativeName": "Wang Wei", "legalRepresentativeIdType": "RESIDENT_ID_CARD",
        "legalRepresentativeIdNumber": "11010519491231002X",
        "registeredCapital": {"amount": "12345678.90", "currency": "CNY"},
        "businessScope": "Machinery manufacturing", "establishedOn": "2005-03-01",
        "articlesReference": "AOA-2005-01",
    }}))["recordBasicInformation"]
    assert result == {"__typename": "CustomerPayload", "customer": {"version": 2}}
    basic = (await api.ok(CUSTOMER, {"id": c["id"]}))["customer"]["basicInformation"]
    assert basic["registeredCapital"] == {"amount": "12345678.90", "currency": "CNY"}
    assert basic["legalRepresentativeIdNumber"] == "1101**********002X"  # identity: masked for every role
    assert basic["establishedOn"] == "2005-03-01"


async def test_basic_information_fields_left_out_are_kept_and_null_clears(api):
    await f.organisation(api)
    c = await f.customer(api)
    await api.ok(RECORD_BASIC, {"input": {"customerId": c["id"], "version": 1,
                                          "businessScope": "Pumps", "articlesReference": "AOA-1"}})
    await api.ok(RECORD_BASIC, {"input": {"customerId": c["id"], "version": 2, "articlesReference": None}})
    basic = (await api.ok(CUSTOMER, {"id": c["id"]}))["customer"]["basicInformation"]
    assert basic["businessScope"] == "Pumps"
    assert basic["articlesReference"] is None


async def test_size_is_derived_from_latest_annual_figures_with_rule_version_and_inputs(api):
    await f.organisation(api)
    c = await f.customer(api, industryCode="C34")
    # Manufacturing, 2011 standard: medium needs >= 300 employees and >= 20 million revenue.
    after = await f.statement(api, c["id"], 1, employees=350, revenue="120000000.00")
    assert after["size"] == "MEDIUM"
    assert after["sizeAssessment"]["ruleVersion"] == "MIIT-2011-300+PBOC-2015-309"
    assert after["sizeAssessment"]["ruleId"] == "industry"
    assert after["sizeAssessment"]["inputs"] == {"employees": "350", "revenue": "120000000.00"}
    # A newer year with 1,200 staff and 500 million revenue makes it large.
    after = await f.statement(api, c["id"], after["version"], periodEnd="2026-06-30",
                              employees=1200, revenue="500000000.00")
    assert after["size"] == "LARGE"
    # An older year recorded later does not change the size: only the latest counts.
    after = await f.statement(api, c["id"], after["version"], periodEnd="2023-12-31",
                              employees=10, revenue="1000000.00")
    assert after["size"] == "LARGE"


async def test_size_rule_follows_the_industry(api):
    await f.organisation(api)
    c = await f.customer(api, industryCode="F52")  # retail: small needs >= 10 staff and >= 1 million
    after = await f.statement(api, c["id"], 1, employees=12, revenue="1500000.00", totalAssets="900000.00")
    assert (after["size"], after["sizeAssessment"]["ruleId"]) == ("SMALL", "retail")


async def test_financial_statements_are_listed_newest_first_with_their_figures(api):
    await f.organisation(api)
    c = await f.customer(api)
    v = (await f.statement(api, c["id"], 1, periodEnd="2023-12-31"))["version"]
    v = (await f.statement(api, c["id"], v, periodEnd="2025-12-31", taxesPaid="1200000.50"))["version"]
    await f.statement(api, c["id"], v, periodEnd="2024-12-31")
    statements = (await api.ok(CUSTOMER, {"id": c["id"]}))["customer"]["financialStatements"]
    assert [s["periodEnd"] for s in statements] == ["2025-12-31", "2024-12-31", "2023-12-31"]
    assert statements[0]["taxesPaid"] == "1200000.50"
    assert statements[0]["auditOpinion"] == "UNQUALIFIED"
    limited = await api.ok("query($id: ID!) { customer(id: $id) { financialStatements(last: 1) { periodEnd } } }",
                           {"id": c["id"]})
    assert limited["customer"]["financialStatements"] == [{"periodEnd": "2025-12-31"}]


async def test_operating_information_and_major_investments_are_recorded(api):
    await f.organisation(api)
    c = await f.customer(api)
    r = (await api.ok(RECORD_OPERATING, {"input": {
        "customerId": c["id"], "version": 1, "marketSharePercent": "7.5", "industryPosition": "MAJOR",
        "mainProducts": ["pumps", "valves"], "salesChannels": ["distributors"],
        "upstreamPartners": ["Baosteel"], "downstreamPartners": ["Sinopec"],
    }}))["recordOperatingInformation"]
    assert r["__typename"] == "CustomerPayload"
    await api.ok(RECORD_INVESTMENT, {"input": {
        "customerId": c["id"], "version": 2, "description": "New plant in Jiaxing",
        "amount": {"amount": "250000000.00", "currency": "CNY"}, "decidedOn": "2026-03-01",
    }})
    op = (await api.ok(CUSTOMER, {"id": c["id"]}))["customer"]["operatingInformation"]
    assert op["mainProducts"] == ["pumps", "valves"]
    assert op["industryPosition"] == "MAJOR"
    assert op["marketSharePercent"] == "7.5000"
    assert op["majorInvestments"] == [{"description": "New plant in Jiaxing",
                                       "amount": {"amount": "250000000.00", "currency": "CNY"},
                                       "decidedOn": "2026-03-01"}]


async def test_credit_information_events_and_guarantees_are_recorded(api):
    await f.organisation(api)
    c = await f.customer(api)
    r = (await api.ok(RECORD_CREDIT, {"input": {
        "customerId": c["id"], "version": 1, "creditReportReference": "PBOC-2026-0001",
        "externalRating": "AA", "externalRatingAgency": "China Chengxin",
        "addEvents": [{"occurredOn": "2025-05-01", "kind": "OVERDUE", "description": "Interest 12 days late",
                       "daysPastDue": 12, "amount": {"amount": "35000.00", "currency": "CNY"}}],
        "addGuarantees": [{"beneficiary": "Jiaxing Parts Co., Ltd.", "startsOn": "2024-01-01",
                           "amount": {"amount": "5000000.00", "currency": "CNY"}}],
    }}))["recordCreditInformation"]
    assert r["__typename"] == "CustomerPayload", r
    credit = (await api.ok(CUSTOMER, {"id": c["id"]}))["customer"]["creditInformation"]
    assert credit["creditReportReference"] == "PBOC-2026-0001"
    assert credit["events"] == [{"kind": "OVERDUE", "occurredOn": "2025-05-01", "description": "Interest 12 days late",
                                 "amount": {"amount": "35000.00", "currency": "CNY"}, "daysPastDue": 12}]
    assert credit["guarantees"][0]["status"] == "ACTIVE"
    assert credit["guarantees"][0]["amount"] == {"amount": "5000000.00", "currency": "CNY"}


async def test_credit_status_is_stored_with_its_basis_and_who_set_it(api):
    await f.organisation(api)
    c = await f.customer(api)
    approver = f.as_("carl", "credit_approver")
    r = (await api.ok(SET_STATUS, {"input": {"customerId": c["id"], "version": 1, "status": "WATCH",
                                             "basis": "Two overdue instalments in 2025"}},
                      bearer=approver))["setCreditStatus"]
    assert r["customer"]["creditStatus"] == "WATCH"
    assert r["customer"]["creditStatusAssessment"] == {"basis": "Two overdue instalments in 2025", "setBy": "carl"}


async def test_industries_code_list_is_queryable(api):
    await f.organisation(api)  # alice, the default caller, has a staff record
    data = await api.ok('{ industries(section: "K") { code name category assignable } }')
    codes = [i["code"] for i in data["industries"]]
    assert codes[:3] == ["K", "K70", "K701"]
    assert data["industries"][0]["assignable"] is False
    assert {i["category"] for i in data["industries"]} == {"REAL_ESTATE"}


async def test_a_size_rule_file_chosen_by_setting_sizes_customers_and_is_named_with_each_size(
        api, app, settings, tmp_path, monkeypatch):
    """A newer rule without a release: the file the setting names decides, and its version is kept."""
    import json

    from api.reference.sizes import load_size_rules

    shipped = Path(__file__).resolve().parent.parent / "api" / "reference" / "size_rules_2011.json"
    rules = json.loads(shipped.read_text(encoding="utf-8"))
    rules["version"] = "LENDER-2026-1"
    for rule in rules["rules"]:
        if rule["id"] == "industry":  # manufacturing: large from 50 million yuan of revenue instead of 400
            rule["tiers"]["large"] = {"employees": "300", "revenue": "50000000"}
    path = tmp_path / "size_rules.json"
    path.write_text(json.dumps(rules))
    assert load_size_rules(path).version == "LENDER-2026-1"
    monkeypatch.setattr(settings, "size_rules_file", str(path))
    await f.organisation(api)
    c = await f.customer(api)
    after = await f.statement(api, c["id"], c["version"])  # 350 employees, 120 million yuan of revenue
    assert after["size"] == "LARGE"
    assert (after["sizeAssessment"]["ruleVersion"], after["sizeAssessment"]["ruleId"]) == ("LENDER-2026-1", "industry")


async def test_a_malformed_size_rule_file_stops_the_start_naming_the_file(settings, tmp_path):
    from api.asgi import create_app

    path = tmp_path / "size_rules.json"
    path.write_text('{"version": "broken"')
    app = create_app(settings.model_copy(update={"size_rules_file": str(path)}))
    with pytest.raises(ValueError, match=r"size_rules\.json"):
        async with app.router.lifespan_context(app):
            pass


@pytest.mark.parametrize("industry", ["S92", "T97"])
async def test_public_bodies_and_international_organisations_are_not_sized(api, industry):
    """Sections S and T are outside the size standard: not applicable from registration on, with
    or without statements, and never "unknown"."""
    await f.organisation(api)
    c = await f.customer(api, industryCode=industry)
    registered = (await api.ok(CUSTOMER, {"id": c["id"]}))["customer"]
    assert registered["size"] == "NOT_APPLICABLE"
    after = await f.statement(api, c["id"], c["version"])
    assert after["size"] == "NOT_APPLICABLE"
    assert (after["sizeAssessment"]["ruleId"], after["sizeAssessment"]["inputs"]) == ("not_applicable", {})
    listed = await api.ok('{ customers(where: {size: {_eq: NOT_APPLICABLE}}) { totalCount } }')
    assert listed["customers"]["totalCount"] == 1


def test_a_rule_file_may_not_both_size_and_exempt_a_prefix(tmp_path):
    import json

    from api.reference.sizes import load_size_rules

    shipped = Path(__file__).resolve().parent.parent / "api" / "reference" / "size_rules_2011.json"
    rules = json.loads(shipped.read_text(encoding="utf-8"))
    rules["not_applicable"]["prefixes"].append("A")
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    with pytest.raises(ValueError, match="'A' is both sized by 'agriculture' and not applicable"):
        load_size_rules(path)
