"""Confidentiality (R-I4, R-I5): field rules, masking, row scope and agreements, role by role."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.relay import GlobalID

import factories as f
from conftest import token

ID_NUMBER = "11010519491231002X"
PHONE = "+86 13800138000"
RECORD_BASIC = """mutation($input: BasicInformationInput!) { recordBasicInformation(input: $input) {
  __typename ... on CustomerPayload { customer { version } } } }"""
CUSTOMER = """query($id: ID!) { customer(id: $id) {
  name creditCode
  basicInformation { businessScope legalRepresentativeName legalRepresentativeIdNumber legalRepresentativePhone }
  financialStatements { revenue }
  creditInformation { externalRating }
} }"""
LIST = "{ customers(first: 50) { totalCount edges { node { name } } } }"
UPDATE = """mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
  __typename ... on NotFoundError { code field message } ... on CustomerPayload { customer { name } } } }"""


async def _portfolio(api: Any) -> dict[str, dict[str, Any]]:
    """alice's customer at HZ01 (all four groups), amy's at HZ01, bob's at SH01."""
    await f.organisation(api)
    mine = await f.customer(api, name="Alice Client Co., Ltd.")
    await api.ok(RECORD_BASIC, {"input": {
        "customerId": mine["id"], "version": 1, "businessScope": "Pumps", "legalRepresentativeName": "Wang Wei",
        "legalRepresentativeIdType": "RESIDENT_ID_CARD", "legalRepresentativeIdNumber": ID_NUMBER,
        "legalRepresentativePhone": PHONE,
    }})
    await f.statement(api, mine["id"], 2, revenue="120000000.00")
    amys = await f.customer(api, name="Amy Client Co., Ltd.", relationshipManagerUsername="amy")
    bobs = await f.customer(api, name="Bob Client Co., Ltd.", branchCode="SH01", relationshipManagerUsername="bob")
    return {"alice": mine, "amy": amys, "bob": bobs}


def _names(data: dict[str, Any]) -> list[str]:
    return sorted(edge["node"]["name"] for edge in data["customers"]["edges"])


def _errors_at(body: dict[str, Any]) -> dict[tuple, str]:
    return {tuple(e["path"]): e["extensions"]["code"] for e in body.get("errors", [])}


# ------------------------------------------------------------------------------------- fields


async def test_relationship_manager_reads_own_customer_in_full_but_identity_masked(api):
    c = (await _portfolio(api))["alice"]
    data = (await api.ok(CUSTOMER, {"id": c["id"]}))["customer"]
    # Identity (a natural person's document and phone) is masked for every role by default.
    assert data["basicInformation"]["legalRepresentativeIdNumber"] == "1101**********002X"
    assert data["basicInformation"]["legalRepresentativePhone"] == "+86*********000"
    assert data["basicInformation"]["legalRepresentativeName"] == "Wang Wei"
    assert data["financialStatements"] == [{"revenue": "120000000.00"}]


async def test_credit_approver_sees_identity_numbers_masked(api):
    c = (await _portfolio(api))["alice"]
    carl = f.as_("carl", "credit_approver")
    basic = (await api.ok(CUSTOMER, {"id": c["id"]}, bearer=carl))["customer"]["basicInformation"]
    assert basic["legalRepresentativeIdNumber"] == "1101**********002X"
    assert basic["legalRepresentativePhone"] == "+86*********000"  # never more than half shown
    assert basic["legalRepresentativeName"] == "Wang Wei"


async def test_denied_field_is_null_with_forbidden_at_its_path_and_the_rest_stands(api):
    c = (await _portfolio(api))["alice"]
    body = await api(CUSTOMER, {"id": c["id"]}, bearer=f.as_("carl", "complaint_handler"))
    data = body["data"]["customer"]
    assert data["name"] == "Alice Client Co., Ltd."
    assert data["basicInformation"]["businessScope"] == "Pumps"
    assert data["financialStatements"] is None and data["creditInformation"] is None
    assert _errors_at(body) == {("customer", "financialStatements"): "FORBIDDEN",
                                ("customer", "creditInformation"): "FORBIDDEN"}


async def test_compliance_auditor_sees_every_branch_with_identity_masked(api):
    p = await _portfolio(api)
    auditor = f.as_("audrey", "compliance_auditor")
    assert _names(await api.ok(LIST, bearer=auditor)) == [
        "Alice Client Co., Ltd.", "Amy Client Co., Ltd.", "Bob Client Co., Ltd.",
    ]
    data = (await api.ok(CUSTOMER, {"id": p["alice"]["id"]}, bearer=auditor))["customer"]
    assert data["basicInformation"]["legalRepresentativeIdNumber"] == "1101**********002X"
    assert data["financialStatements"] == [{"revenue": "120000000.00"}]


async def test_admin_sees_no_customer_data(api):
    p = await _portfolio(api)
    body = await api(LIST, bearer=f.ADMIN)
    assert body["data"]["customers"] == {"totalCount": 0, "edges": []}
    body = await api(CUSTOMER, {"id": p["alice"]["id"]}, bearer=f.ADMIN)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_principal_holding_several_roles_gets_the_union_of_their_grants(api):
    p = await _portfolio(api)
    both = token(sub="alice", roles=("relationship_manager", "compliance_auditor"), branch="HZ01")
    assert len(_names(await api.ok(LIST, bearer=both))) == 3  # auditor's rows
    # A complaint handler reads no financial statements; a credit approver does: the fuller grant wins.
    carl = token(sub="carl", roles=("complaint_handler", "credit_approver"), branch="HZ01")
    data = (await api.ok(CUSTOMER, {"id": p["alice"]["id"]}, bearer=carl))["customer"]
    assert data["financialStatements"] == [{"revenue": "120000000.00"}]


# ---------------------------------------------------------------------------------------- rows


async def test_relationship_manager_of_branch_a_never_sees_branch_b_customers(api):
    await _portfolio(api)
    data = await api.ok(LIST)
    assert _names(data) == ["Alice Client Co., Ltd."]
    assert data["customers"]["totalCount"] == 1
    filtered = await api.ok('{ customers(where: {branchCode: {_eq: "SH01"}}) { totalCount edges { node { name } } } }')
    assert filtered["customers"] == {"totalCount": 0, "edges": []}
    named = await api.ok('{ customers(where: {name: {_contains: "Bob"}}) { totalCount } }')
    assert named["customers"]["totalCount"] == 0


async def test_out_of_scope_lookup_is_indistinguishable_from_a_missing_id(api):
    p = await _portfolio(api)
    missing = str(GlobalID("Customer", "999999"))
    query = "query($id: ID!) { customer(id: $id) { name } }"
    out_of_scope = await api(query, {"id": p["bob"]["id"]})
    nonexistent = await api(query, {"id": missing})
    assert out_of_scope == nonexistent
    node_query = "query($id: ID!) { node(id: $id) { id } }"
    nothing = {"data": {"node": None}}
    assert (await api(node_query, {"id": p["bob"]["id"]})) == (await api(node_query, {"id": missing})) == nothing
    update = {"version": 1, "name": "Hijacked Co., Ltd."}
    assert (await api.ok(UPDATE, {"input": {"id": p["bob"]["id"], **update}})) == \
        (await api.ok(UPDATE, {"input": {"id": missing, **update}}))
    bob_sees = (await api.ok(CUSTOMER, {"id": p["bob"]["id"]}, bearer=f.as_("bob")))["customer"]
    assert bob_sees["name"] == "Bob Client Co., Ltd."


async def test_relationship_manager_sees_own_portfolio_not_a_colleagues(api):
    p = await _portfolio(api)
    assert _names(await api.ok(LIST, bearer=f.as_("amy"))) == ["Amy Client Co., Ltd."]
    body = await api(CUSTOMER, {"id": p["alice"]["id"]}, bearer=f.as_("amy"))
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_branch_manager_sees_the_whole_branch_and_only_it(api):
    await _portfolio(api)
    assert _names(await api.ok(LIST, bearer=f.as_("hank", "branch_manager"))) == [
        "Alice Client Co., Ltd.", "Amy Client Co., Ltd."]
    assert _names(await api.ok(LIST, bearer=f.as_("sue", "branch_manager"))) == ["Bob Client Co., Ltd."]


async def test_branch_comes_from_the_staff_record_not_the_token(api):
    await _portfolio(api)
    lying = token(sub="hank", roles=("branch_manager",), branch=None)  # hank works at HZ01; no branch claimed
    assert "Bob Client Co., Ltd." not in _names(await api.ok(LIST, bearer=lying))
    stranger = token(sub="nobody", roles=("branch_manager",), branch="HZ01")  # no staff record: refused (test_me.py)
    assert (await api.post(LIST, bearer=stranger)).status_code == 403


async def test_writes_are_limited_to_rows_in_scope(api):
    p = await _portfolio(api)
    result = (await api.ok(UPDATE, {"input": {"id": p["alice"]["id"], "version": 2, "name": "Renamed Co., Ltd."}},
                           bearer=f.as_("bob")))["updateCustomer"]
    assert result["__typename"] == "NotFoundError"
    values = {"name": "Elsewhere Co., Ltd.", "creditCode": f.credit_code(), "industryCode": "C34",
              "branchCode": "HZ01", "relationshipManagerUsername": "amy"}
    refused = (await api.ok(f.CREATE_CUSTOMER, {"input": values}))["createCustomer"]
    assert refused["__typename"] == "InvalidInputError"  # alice may not create amy's customers
    assert (await api.ok(LIST, bearer=f.as_("amy")))["customers"]["totalCount"] == 1


# ----------------------------------------------------------------------------------- agreements


REGISTRY_AND_MORE = """query($id: ID!) { customer(id: $id) {
  id name creditCode industry { code } branch { code }
  size creditStatus relationshipManager { username } grade { level } serviceRecords { edges { node { summary } } }
  basicInformation { businessScope } operatingInformation { marketSharePercent } openComplaintCount
} }"""


@pytest.mark.parametrize("who", ["nina-has-no-agreement", "alice-token-says-no"])
async def test_without_a_valid_agreement_only_what_the_public_registry_publishes_shows(api, who):
    p = await _portfolio(api)
    bearer = (f.as_("nina", "branch_manager") if who.startswith("nina")
              else token(sub="alice", roles=("relationship_manager",), nda=False))
    body = await api(REGISTRY_AND_MORE, {"id": p["alice"]["id"]}, bearer=bearer)
    data = body["data"]["customer"]
    assert data["name"] == "Alice Client Co., Ltd." and data["creditCode"] == p["alice"]["creditCode"]
    assert data["industry"] == {"code": "C34"} and data["branch"] == {"code": "HZ01"}
    withheld = ["size", "creditStatus", "relationshipManager", "grade", "serviceRecords", "basicInformation",
                "operatingInformation", "openComplaintCount"]
    assert all(data[name] is None for name in withheld)
    assert set(_errors_at(body)) == {("customer", name) for name in withheld}
    # The caller is told why, not left with a bare refusal (R-I5).
    assert all("no valid confidentiality agreement" in e["message"] for e in body["errors"])


async def test_an_expired_agreement_is_no_agreement(api):
    p = await _portfolio(api)
    await api.ok(f.RECORD_AGREEMENT, {"input": {"username": "hank", "signedOn": "2020-01-01",
                                                "expiresOn": "2021-01-01", "reference": "NDA-old"}}, bearer=f.ADMIN)
    body = await api(CUSTOMER, {"id": p["alice"]["id"]}, bearer=f.as_("hank", "branch_manager"))
    assert body["data"]["customer"]["financialStatements"] is None
    await api.ok(f.RECORD_AGREEMENT, {"input": {"username": "hank", "signedOn": "2025-01-01",
                                                "reference": "NDA-new"}}, bearer=f.ADMIN)
    body = await api(CUSTOMER, {"id": p["alice"]["id"]}, bearer=f.as_("hank", "branch_manager"))
    assert body["data"]["customer"]["financialStatements"] == [{"revenue": "120000000.00"}]


# ------------------------------------------------------------------------------ no leaks sideways


async def test_history_shows_only_values_the_reader_may_see(api):
    p = await _portfolio(api)
    await api.ok(RECORD_BASIC, {"input": {"customerId": p["alice"]["id"], "version": 3,
                                          "legalRepresentativeIdNumber": "110105194912310030"}})
    query = """query($id: ID!) { customer(id: $id) { history(first: 100) { edges { node {
      field oldValue newValue } } } } }"""

    def id_changes(body):
        return [(e["node"]["oldValue"], e["node"]["newValue"]) for e in body["data"]["customer"]["history"]["edges"]
                if e["node"]["field"] == "legalRepresentativeIdNumber"]

    assert id_changes(await api(query, {"id": p["alice"]["id"]}))[0] == ("1101**********002X", "1101**********0030")
    masked = id_changes(await api(query, {"id": p["alice"]["id"]}, bearer=f.as_("carl", "credit_approver")))
    assert masked[0][0] == "1101**********002X"
    # A risk expert reads the history but no identity: those entries are there, their values blank.
    blank = id_changes(await api(query, {"id": p["alice"]["id"]}, bearer=f.as_("rex", "risk_expert")))
    assert blank and all(pair == (None, None) for pair in blank)
    # Without an agreement the history as a whole is withheld.
    withheld = await api(query, {"id": p["alice"]["id"]}, bearer=f.as_("nina", "branch_manager"))
    assert withheld["data"]["customer"]["history"] is None


async def test_filtering_or_sorting_on_a_field_the_principal_cannot_read_is_forbidden(api):
    p = await _portfolio(api)
    outsider = token(sub="acme-bank", roles=("third_party",), branch=None, nda=False)
    for query in ('{ customers(where: {creditStatus: {_eq: GENERAL}}) { totalCount } }',
                  '{ customers(where: {_or: [{stale: {_eq: true}}]}) { totalCount } }',
                  '{ customers(orderBy: [{createdAt: DESC}]) { totalCount } }'):
        body = await api(query, bearer=outsider)
        assert body["data"] == {"customers": None}  # only the refused root field is null
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert p


async def test_error_messages_do_not_suggest_field_names(api):
    await f.organisation(api)  # alice, the default caller, has a staff record
    body = await api("{ customers { edges { node { nmae } } } }")
    message = body["errors"][0]["message"]
    assert "Did you mean" not in message and "name" not in message.replace("nmae", "")


async def test_a_mutation_payload_obeys_the_field_rules(api):
    await f.organisation(api)
    nina = f.as_("nina")  # a relationship manager without an agreement may record figures...
    c = await f.customer(api, bearer=f.as_("hank", "branch_manager"), name="Nina Client Co., Ltd.",
                         relationshipManagerUsername="nina")
    body = await api("""mutation($input: FinancialStatementInput!) { recordFinancialStatement(input: $input) {
      ... on FinancialStatementPayload { customer { name financialStatements { revenue } } } } }""",
                     {"input": f.statement_input(c["id"], 1)}, bearer=nina)
    payload = body["data"]["recordFinancialStatement"]["customer"]
    assert payload["name"] == "Nina Client Co., Ltd."
    assert payload["financialStatements"] is None  # ...but not read them back
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
