"""Bad input gets a typed error naming the field, and nothing is written (R-C1, R-I1)."""

from __future__ import annotations

import factories as f

COUNT = "{ customers { totalCount } }"
HISTORY = (
    "query($id: ID!) { customer(id: $id) { version name history { edges { node { field } } } "
    "basicInformation { registeredCapital { amount } } } }"
)
UPDATE = """mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
  __typename
  ... on CustomerPayload { customer { version name } }
  ... on InvalidInputError { code message problems { field message } }
  ... on NotFoundError { code field }
  ... on ConflictError { code currentVersion }
} }"""
RECORD_BASIC = """mutation($input: BasicInformationInput!) { recordBasicInformation(input: $input) {
  __typename ... on InvalidInputError { code problems { field message } } ... on NotFoundError { code field } } }"""


async def _refused_create(api, **overrides) -> list[dict]:
    values = {"name": "Valid Name Co., Ltd.", "creditCode": f.credit_code(), "industryCode": "C34",
              "branchCode": "HZ01", "relationshipManagerUsername": "alice", **overrides}
    result = (await api.ok(f.CREATE_CUSTOMER, {"input": values}))["createCustomer"]
    assert result["__typename"] == "InvalidInputError", result
    assert result["code"] == "BAD_USER_INPUT"
    assert (await api.ok(COUNT))["customers"]["totalCount"] == 0, "a refused create wrote a customer"
    return result["problems"]


async def test_credit_code_with_wrong_check_character_is_refused(api):
    await f.organisation(api)
    good = f.credit_code()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    problems = await _refused_create(api, creditCode=wrong)
    assert problems[0]["field"] == "input.creditCode"
    assert "check character" in problems[0]["message"]


async def test_credit_code_of_wrong_length_or_alphabet_is_refused(api):
    await f.organisation(api)
    assert (await _refused_create(api, creditCode="91330100ABC"))[0]["field"] == "input.creditCode"
    assert (await _refused_create(api, creditCode="91330100MA2B3C4D5I"))[0]["field"] == "input.creditCode"


async def test_unknown_industry_code_is_refused(api):
    await f.organisation(api)
    problems = await _refused_create(api, industryCode="Z99")
    assert problems == [{"field": "input.industryCode", "message": problems[0]["message"]}]
    assert "unknown" in problems[0]["message"]


async def test_industry_section_alone_is_not_specific_enough(api):
    await f.organisation(api)
    assert (await _refused_create(api, industryCode="C"))[0]["field"] == "input.industryCode"


async def test_oversized_name_is_refused(api):
    await f.organisation(api)
    problems = await _refused_create(api, name="x" * 201)
    assert problems[0]["field"] == "input.name"


async def test_several_bad_fields_are_all_named(api):
    await f.organisation(api)
    problems = await _refused_create(api, name="", industryCode="nope", creditCode="bad")
    assert {p["field"] for p in problems} == {"input.name", "input.industryCode", "input.creditCode"}


async def test_unknown_branch_or_manager_from_another_branch_is_refused(api):
    await f.organisation(api)
    assert (await _refused_create(api, branchCode="ZZ99"))[0]["field"] == "input.branchCode"
    problems = await _refused_create(api, relationshipManagerUsername="bob")  # bob works at SH01
    assert problems[0]["field"] == "input.relationshipManagerUsername"


async def test_duplicate_credit_code_is_refused(api):
    await f.organisation(api)
    first = await f.customer(api)
    values = {"name": "Copycat Co., Ltd.", "creditCode": first["creditCode"], "industryCode": "C34",
              "branchCode": "HZ01", "relationshipManagerUsername": "alice"}
    result = (await api.ok(f.CREATE_CUSTOMER, {"input": values}))["createCustomer"]
    assert result["__typename"] == "InvalidInputError"
    assert result["problems"][0]["field"] == "input.creditCode"
    assert (await api.ok(COUNT))["customers"]["totalCount"] == 1


async def test_negative_registered_capital_is_refused_and_nothing_changes(api):
    await f.organisation(api)
    c = await f.customer(api)
    result = (await api.ok(RECORD_BASIC, {"input": {
        "customerId": c["id"], "version": 1, "businessScope": "Pumps",
        "registeredCapital": {"amount": "-5.00", "currency": "CNY"}}}))["recordBasicInformation"]
    assert result["__typename"] == "InvalidInputError"
    assert result["problems"][0]["field"] == "input.registeredCapital.amount"
    after = (await api.ok(HISTORY, {"id": c["id"]}))["customer"]
    assert after["version"] == 1 and after["basicInformation"] is None
    assert [e["node"]["field"] for e in after["history"]["edges"]] == ["registered"]


async def test_invalid_resident_id_number_is_refused(api):
    await f.organisation(api)
    c = await f.customer(api)
    result = (await api.ok(RECORD_BASIC, {"input": {
        "customerId": c["id"], "version": 1, "legalRepresentativeIdType": "RESIDENT_ID_CARD",
        "legalRepresentativeIdNumber": "110105194912310021"}}))["recordBasicInformation"]
    assert result["__typename"] == "InvalidInputError"
    assert result["problems"][0]["field"] == "input.legalRepresentativeIdNumber"


async def test_malformed_date_is_bad_user_input_naming_the_field(api):
    await f.organisation(api)
    c = await f.customer(api)
    body = await api(RECORD_BASIC, {"input": {"customerId": c["id"], "version": 1, "establishedOn": "2020-13-45"}})
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "input.establishedOn"
    assert (await api.ok(HISTORY, {"id": c["id"]}))["customer"]["version"] == 1


async def test_future_statement_period_is_refused(api):
    await f.organisation(api)
    c = await f.customer(api)
    result = (await api.ok(f.RECORD_STATEMENT, {"input": f.statement_input(c["id"], 1, periodEnd="2999-12-31")}))
    assert result["recordFinancialStatement"]["problems"][0]["field"] == "input.periodEnd"


async def test_duplicate_statement_period_is_refused(api):
    await f.organisation(api)
    c = await f.customer(api)
    v = (await f.statement(api, c["id"], 1))["version"]
    result = (await api.ok(f.RECORD_STATEMENT, {"input": f.statement_input(c["id"], v)}))["recordFinancialStatement"]
    assert result["__typename"] == "InvalidInputError"
    assert result["problems"][0]["field"] == "input.periodEnd"


async def test_current_assets_above_total_assets_are_refused(api):
    await f.organisation(api)
    c = await f.customer(api)
    result = (await api.ok(f.RECORD_STATEMENT, {"input": f.statement_input(
        c["id"], 1, currentAssets="999999999999.00")}))["recordFinancialStatement"]
    assert result["problems"][0]["field"] == "input.currentAssets"


async def test_unknown_customer_id_in_a_mutation_is_not_found_naming_the_field(api):
    await f.organisation(api)
    from strawberry.relay import GlobalID

    missing = str(GlobalID("Customer", "999"))
    result = (await api.ok(UPDATE, {"input": {"id": missing, "version": 1, "name": "X"}}))["updateCustomer"]
    assert result == {"__typename": "NotFoundError", "code": "NOT_FOUND", "field": "input.id"}
    # Not a customer's id at all (garbage, or another type's): bad input, naming the field.
    for bad_id in ("not-an-id", str(GlobalID("Branch", "1"))):
        result = (await api.ok(UPDATE, {"input": {"id": bad_id, "version": 1, "name": "X"}}))["updateCustomer"]
        assert result["__typename"] == "InvalidInputError" and result["code"] == "BAD_USER_INPUT", result
        assert [p["field"] for p in result["problems"]] == ["input.id"]


async def test_unknown_customer_id_in_a_query_is_not_found(api):
    await f.organisation(api)  # alice, the default caller, has a staff record
    body = await api("query($id: ID!) { customer(id: $id) { name } }", {"id": "Q3VzdG9tZXI6OTk5"})
    assert body["data"] == {"customer": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert body["errors"][0]["path"] == ["customer"]


async def test_page_size_over_the_limit_is_bad_user_input(api):
    await f.organisation(api)  # alice, the default caller, has a staff record
    body = await api("{ customers(first: 100000) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_garbage_cursor_is_bad_user_input(api):
    await f.organisation(api)  # alice, the default caller, has a staff record
    body = await api('{ customers(first: 5, after: "%%%") { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_unexpected_failure_is_masked_as_internal_server_error(api, monkeypatch):
    await f.organisation(api)  # alice, the default caller, has a staff record
    from api.services import customer_query

    async def explode(*args, **kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(customer_query, "count_customers", explode)
    import schema.customer.queries as queries

    monkeypatch.setattr(queries, "count_customers", explode)
    import schema.planned.roots as planned

    monkeypatch.setattr(planned, "count_customers", explode)
    body = await api(COUNT)
    error = body["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "hunter2" not in str(body)
