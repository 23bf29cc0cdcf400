"""What a front end's code generator and its developers see: descriptions, scalars, ids, enum values.

Every element of the schema is described in plain words; every custom scalar says which
specification it follows (``@specifiedBy``) and refuses anything else as BAD_USER_INPUT; money
is a string with an ISO 4217 code; an id that is not one of ours is bad input; history speaks of
enum values as the schema names them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    print_schema,
    specified_scalar_types,
)
from strawberry.relay import GlobalID

import factories as f
from schema.root import build_schema

SCHEMA = build_schema()._schema
# An internal rule id of the requirements (R-I5, R-C3, …) means nothing to a client.
RULE_ID = re.compile(r"\bR-[A-Z]+\d")


def _described_elements() -> list[tuple[str, str | None]]:
    """(schema coordinate, description) of every type, field, argument, enum value and input field."""
    elements: list[tuple[str, str | None]] = []
    for name, type_ in sorted(SCHEMA.type_map.items()):
        if name.startswith("__") or name in specified_scalar_types:
            continue  # introspection's own types and GraphQL's built-in scalars are described by the spec
        elements.append((name, type_.description))
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                elements.append((f"{name}.{field_name}", field.description))
                elements += [(f"{name}.{field_name}({arg}:)", a.description) for arg, a in field.args.items()]
        elif isinstance(type_, GraphQLInputObjectType):
            elements += [(f"{name}.{field_name}", field.description) for field_name, field in type_.fields.items()]
        elif isinstance(type_, GraphQLEnumType):
            elements += [(f"{name}.{value_name}", value.description) for value_name, value in type_.values.items()]
    return elements


def test_every_type_field_argument_enum_value_and_input_field_is_described() -> None:
    missing = [coordinate for coordinate, description in _described_elements() if not (description or "").strip()]
    assert missing == [], f"{len(missing)} elements of the schema without a description: {missing}"


def test_no_description_names_an_internal_rule_id() -> None:
    leaking = {coordinate: d for coordinate, d in _described_elements() if d and RULE_ID.search(d)}
    assert leaking == {}, "describe the rule in words a client understands"


def test_every_custom_scalar_names_its_specification() -> None:
    custom = [t for name, t in SCHEMA.type_map.items()
              if isinstance(t, GraphQLScalarType) and name not in specified_scalar_types]
    assert {t.name for t in custom} >= {"Decimal", "Date", "DateTime", "CurrencyCode", "JSON"}
    assert [t.name for t in custom if not t.specified_by_url] == []
    sdl = print_schema(SCHEMA)
    # What a code generator reads: the directive on each scalar's definition.
    for name in ("Decimal", "Date", "DateTime", "CurrencyCode"):
        assert re.search(rf'^scalar {name} @specifiedBy\(url: "https://[^"]+"\)$', sdl, re.MULTILINE), name


def test_money_amounts_and_codes_have_their_own_types_in_and_out() -> None:
    money, money_input = SCHEMA.type_map["Money"], SCHEMA.type_map["MoneyInput"]
    assert isinstance(money, GraphQLObjectType) and isinstance(money_input, GraphQLInputObjectType)
    assert str(money.fields["amount"].type) == str(money_input.fields["amount"].type) == "Decimal!"
    assert str(money.fields["currency"].type) == str(money_input.fields["currency"].type) == "CurrencyCode!"
    statement = SCHEMA.type_map["FinancialStatementInput"]
    assert isinstance(statement, GraphQLInputObjectType)
    assert str(statement.fields["currency"].type) == "CurrencyCode!"


# --- through the endpoint ----------------------------------------------------------------------------


def _bad_input(body: dict[str, Any]) -> dict[str, Any]:
    """The one error of a refused request, which must be bad input (and no data was produced)."""
    assert [e["extensions"]["code"] for e in body.get("errors", [])] == ["BAD_USER_INPUT"], body
    return body["errors"][0]


async def _customer_with_statement(api: Any) -> dict[str, Any]:
    await f.organisation(api)
    c = await f.customer(api)
    await f.statement(api, c["id"], c["version"])
    return c


async def test_a_json_number_for_a_decimal_is_bad_input_saying_to_send_a_string(api):
    c = await _customer_with_statement(api)
    for number in (150000000, 150000000.5):
        variables = {"input": f.statement_input(c["id"], 2, periodEnd="2024-12-31", totalAssets=number)}
        error = _bad_input(await api(f.RECORD_STATEMENT, variables))
        assert "string" in error["message"] and "1250000.00" in error["message"], error
        assert error["extensions"]["field"] == "input.totalAssets"
    literal = await api('mutation { recordFinancialStatement(input: {customerId: "x", version: 1, '
                        'periodEnd: "2024-12-31", periodKind: ANNUAL, currency: "CNY", totalAssets: 1.5, '
                        'totalLiabilities: "1", equity: "1", revenue: "1", netProfit: "1", '
                        'auditOpinion: UNQUALIFIED}) { __typename } }')
    assert "string" in _bad_input(literal)["message"]


async def test_a_decimal_that_is_not_finite_or_not_a_number_is_bad_input(api):
    c = await _customer_with_statement(api)
    for text in ("NaN", "Infinity", "-inf", "sNaN", "1,5", " 1", "0x10", "1e999999", "\u0661\u0662", ""):
        variables = {"input": f.statement_input(c["id"], 2, periodEnd="2024-12-31", totalAssets=text)}
        error = _bad_input(await api(f.RECORD_STATEMENT, variables))
        assert error["extensions"]["field"] == "input.totalAssets", text


async def test_decimals_written_as_strings_are_taken_exactly(api):
    c = await _customer_with_statement(api)
    variables = {"input": f.statement_input(c["id"], 2, periodEnd="2024-12-31", totalAssets="123456789012.34")}
    assert (await api.ok(f.RECORD_STATEMENT, variables))["recordFinancialStatement"]["__typename"] == \
        "FinancialStatementPayload"
    data = await api.ok("query($id: ID!) { customer(id: $id) { financialStatements { periodEnd totalAssets } } }",
                        {"id": c["id"]})
    assert {"periodEnd": "2024-12-31", "totalAssets": "123456789012.34"} in data["customer"]["financialStatements"]


@pytest.mark.parametrize("where", [
    '{createdAt: {_gt: "0001-01-01T00:00:00+05:00"}}',
    '{createdAt: {_lt: "0001-01-01T00:00:00Z"}}',
    '{createdAt: {_gt: "1899-12-31T23:59:59Z"}}',
    '{createdAt: {_lt: "9999-12-31T23:00:00-05:00"}}',
    '{createdAt: {_gt: "2024-02-30T00:00:00Z"}}',
    '{createdAt: {_gt: "2024-01-01"}}',
    '{latestStatementPeriodEnd: {_gt: "0001-01-01"}}',
    '{latestStatementPeriodEnd: {_lt: "1899-12-31"}}',
    '{latestStatementPeriodEnd: {_lt: "2024-1-1"}}',
    '{latestStatementPeriodEnd: {_lt: "20240101"}}',
])
async def test_absurd_or_malformed_dates_and_times_are_bad_input_on_both_databases(api, where):
    await f.organisation(api)
    await f.customer(api)
    _bad_input(await api(f"{{ customers(where: {where}) {{ totalCount }} }}"))


async def test_a_time_without_offset_is_refused_saying_it_needs_one(api):
    await f.organisation(api)
    body = await api("query($w: CustomerWhere) { customers(where: $w) { totalCount } }",
                     {"w": {"createdAt": {"_gt": "2020-01-01T00:00:00"}}})
    error = _bad_input(body)
    assert "offset" in error["message"]
    assert error["extensions"]["field"] == "w.createdAt._gt"


async def test_times_in_any_offset_and_utc_are_the_same_instant(api):
    await f.organisation(api)
    await f.customer(api)
    for moment in ("2000-01-01T08:00:00+08:00", "2000-01-01T00:00:00Z", "2000-01-01t00:00:00.123456789z"):
        data = await api.ok(f'{{ customers(where: {{createdAt: {{_gt: "{moment}"}}}}) {{ totalCount }} }}')
        assert data["customers"]["totalCount"] == 1, moment
    # The ends of the range are values like any other, on both databases.
    data = await api.ok('{ customers(where: {createdAt: {_lt: "9999-12-31T23:59:59.999999Z", '
                        '_gt: "1900-01-01T00:00:00Z"}, latestStatementPeriodEnd: {_lt: "9999-12-31"}}) '
                        '{ totalCount } }')
    assert data["customers"]["totalCount"] == 0  # no statement yet: no period end


async def test_a_currency_that_is_not_an_active_iso_4217_code_is_bad_input_naming_the_field(api):
    c = await _customer_with_statement(api)
    for code in ("XXQ", "cny", "XXX", "CNYY"):
        variables = {"input": f.statement_input(c["id"], 2, periodEnd="2024-12-31", currency=code)}
        error = _bad_input(await api(f.RECORD_STATEMENT, variables))
        assert error["extensions"]["field"] == "input.currency", code
    capital = {"customerId": c["id"], "version": 2, "registeredCapital": {"amount": "1.00", "currency": "XXQ"}}
    error = _bad_input(await api("mutation($input: BasicInformationInput!) { recordBasicInformation(input: $input) "
                                 "{ __typename } }", {"input": capital}))
    assert error["extensions"]["field"] == "input.registeredCapital.currency"
    assert "ISO 4217" in error["message"]


@pytest.mark.parametrize("code", ["XXQ", "XTS", "XXX"])
def test_services_hold_input_from_outside_graphql_to_the_same_currency_list(code: str) -> None:
    """The CLI, demo data and plugins reach the services without the GraphQL scalar in between."""
    from api.errors import InvalidInput
    from api.services.information import FinancialStatementInput
    from api.services.validation import parse

    statement = {"customerId": 1, "periodEnd": "2024-12-31", "periodKind": "annual", "currency": code,
                 "totalAssets": "1", "totalLiabilities": "1", "revenue": "1", "netProfit": "1"}
    with pytest.raises(InvalidInput) as refused:
        parse(FinancialStatementInput, statement)
    [problem] = [p for p in refused.value.problems if p.field == "input.currency"]
    assert "ISO 4217" in problem.message


async def test_every_active_code_is_money_and_reads_back_as_written(api):
    c = await _customer_with_statement(api)
    variables = {"input": f.statement_input(c["id"], 2, periodEnd="2024-12-31", currency="XCG")}
    assert (await api.ok(f.RECORD_STATEMENT, variables))["recordFinancialStatement"]["__typename"] == \
        "FinancialStatementPayload"
    data = await api.ok("query($id: ID!) { customer(id: $id) { financialStatements { currency } } }", {"id": c["id"]})
    assert {s["currency"] for s in data["customer"]["financialStatements"]} == {"CNY", "XCG"}


HISTORY = """query($id: ID!) { customer(id: $id) {
  size creditStatus history { edges { node { field oldValue newValue } } } } }"""
SET_STATUS = """mutation($input: SetCreditStatusInput!) { setCreditStatus(input: $input) { __typename } }"""


async def test_history_names_enum_values_as_the_schema_does(api):
    c = await _customer_with_statement(api)  # the statement derives the size: history of `size`
    approver = f.as_("carl", "credit_approver")
    result = await api.ok(SET_STATUS, {"input": {"customerId": c["id"], "version": 2, "status": "WATCH",
                                                  "basis": "Two late payments this year."}}, bearer=approver)
    assert result["setCreditStatus"]["__typename"] == "CustomerPayload", result
    customer = (await api.ok(HISTORY, {"id": c["id"]}, bearer=approver))["customer"]
    entries = {e["node"]["field"]: e["node"] for e in customer["history"]["edges"]}
    assert entries["size"]["newValue"] == customer["size"] and customer["size"].isupper()
    assert entries["creditStatus"]["newValue"] == customer["creditStatus"] == "WATCH"
    assert entries["creditStatus"]["oldValue"] == "GENERAL"
    enums = {value for name in ("EnterpriseSize", "CreditStatus")
             for value in SCHEMA.type_map[name].values}  # type: ignore[attr-defined]
    assert {entries["size"]["newValue"], entries["creditStatus"]["oldValue"]} <= enums


BY_ID = "query($id: ID!) { customer(id: $id) { name } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
NOT_IDS = ("nonsense", "", "Q3VzdG9tZXI6", "Q3VzdG9tZXI6MQ", "!!!!", "Q3VzdG9tZXI6MQ==x", "Q3VzdG9tZXI6YQ==",
           str(GlobalID("Customer", "007")), str(GlobalID("Customer", "99999999999")), "x" * 300)


async def test_a_customer_id_that_is_no_customer_id_is_bad_input(api):
    c = await _customer_with_statement(api)
    for bad in (*NOT_IDS, str(GlobalID("Branch", "HZ01")), str(GlobalID("Consent", "1"))):
        error = _bad_input(await api(BY_ID, {"id": bad}))
        assert error["extensions"]["problems"][0]["field"] == "id", bad
        assert error["path"] == ["customer"]
    literal = _bad_input(await api('{ customer(id: "nonsense") { name } }'))
    assert literal["extensions"]["problems"][0]["field"] == "id"
    # A well-formed id of a customer that is not there, or out of reach, is still not found.
    missing = await api(BY_ID, {"id": str(GlobalID("Customer", "999"))})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await api.ok(BY_ID, {"id": c["id"]}))["customer"]["name"]


async def test_node_refuses_garbage_and_answers_null_for_ids_of_other_types(api):
    c = await _customer_with_statement(api)
    for bad in NOT_IDS:
        _bad_input(await api(NODE, {"id": bad}))
    for foreign in (str(GlobalID("Industry", "C13")), str(GlobalID("NoSuchType", "1")),
                    str(GlobalID("Customer", "999"))):
        assert await api(NODE, {"id": foreign}) == {"data": {"node": None}}
    assert (await api.ok(NODE, {"id": c["id"]}))["node"] == {"id": c["id"]}


async def test_a_mutation_given_a_malformed_id_reports_the_input_field(api):
    await f.organisation(api)
    variables = {"input": f.statement_input("nonsense", 1)}
    result = (await api.ok(f.RECORD_STATEMENT.replace("{ problems { field message } }",
                                                      "{ code problems { field message } }"), variables))
    refused = result["recordFinancialStatement"]
    assert refused["__typename"] == "InvalidInputError", refused
    assert refused["problems"][0]["field"] == "input.customerId"
    audit = await api("{ auditLog(where: {customerId: \"nonsense\"}) { totalCount } }",
                      bearer=f.as_("audrey", "compliance_auditor"))
    assert _bad_input(audit)["extensions"]["problems"][0]["field"] == "where.customerId"
