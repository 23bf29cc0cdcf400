"""Four-digit GB/T 4754-2017 classes: assignable, sized through their group and division."""

from __future__ import annotations

import factories as f

CUSTOMER = """query($id: ID!) { customer(id: $id) {
  industry { code level parentCode name nameZh } size sizeAssessment { ruleId } } }"""
CHILDREN = """query($parent: String) { industries(parentCode: $parent) { code level } }"""


async def test_a_customer_classified_by_a_four_digit_class_is_sized_by_its_groups_rule(api):
    await f.organisation(api)
    c = await f.customer(api, industryCode="K7010")  # real estate development
    await f.statement(api, c["id"], c["version"], revenue="50000000.00", totalAssets="80000000.00")
    customer = (await api.ok(CUSTOMER, {"id": c["id"]}))["customer"]
    assert customer["industry"] == {"code": "K7010", "level": "CLASS", "parentCode": "K701",
                                    "name": "Real estate development and operation", "nameZh": "房地产开发经营"}
    assert (customer["size"], customer["sizeAssessment"]["ruleId"]) == ("MEDIUM", "real_estate_development")


async def test_a_bank_is_sized_by_the_rule_for_financial_enterprises(api):
    await f.organisation(api)
    c = await f.customer(api, industryCode="J6621")
    await f.statement(api, c["id"], c["version"], totalAssets="600000000000.00", totalLiabilities="550000000000.00",
                      equity="50000000000.00")
    customer = (await api.ok(CUSTOMER, {"id": c["id"]}))["customer"]
    assert (customer["size"], customer["sizeAssessment"]["ruleId"]) == ("MEDIUM", "financial_deposit_taking")


async def test_the_code_list_opens_level_by_level(api):
    await f.organisation(api)
    groups = (await api.ok(CHILDREN, {"parent": "K70"}))["industries"]
    assert [g["code"] for g in groups] == ["K701", "K702", "K703", "K704", "K709"]
    assert {g["level"] for g in groups} == {"GROUP"}
    classes = (await api.ok(CHILDREN, {"parent": "C341"}))["industries"]
    assert classes[0] == {"code": "C3411", "level": "CLASS"}


async def test_an_unknown_class_is_refused_naming_the_field(api):
    await f.organisation(api)
    body = await api.ok("""mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
      __typename ... on InvalidInputError { problems { field } } } }""", {"input": {
        "name": "Nowhere Co., Ltd.", "creditCode": f.credit_code(), "industryCode": "K7019", "branchCode": "HZ01",
        "relationshipManagerUsername": "alice"}})
    assert body["createCustomer"] == {"__typename": "InvalidInputError", "problems": [{"field": "input.industryCode"}]}
