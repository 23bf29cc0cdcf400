"""The schema's structure as front ends rely on it: nullable roots, non-null where a value always
exists for its reader, `Node` on every type with an identity, and a `staffMembers` connection."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLNonNull, GraphQLObjectType
from strawberry.relay import GlobalID

import factories as f
from conftest import token
from schema.nodes import NODE_TYPES
from schema.root import build_schema

ACME = token(sub="acme-bank", roles=("third_party",), branch=None, nda=False)
HANK = f.as_("hank", "branch_manager")
SUE = f.as_("sue", "branch_manager")
NINA = f.as_("nina")  # a relationship manager without a confidentiality agreement
AUDITOR = f.as_("audrey", "compliance_auditor")


def _errors(body: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    return sorted((e["extensions"]["code"], e["path"]) for e in body.get("errors", []))


# ------------------------------------------------------------------------------- nullable roots


async def test_a_denied_root_field_is_null_and_the_other_root_fields_stand(api):
    await f.organisation(api)
    await f.customer(api)
    body = await api("{ customers { edges { node { name } } } auditLog { edges { node { principal } } } }")
    assert body["data"]["customers"]["edges"][0]["node"]["name"]
    assert body["data"]["auditLog"] is None
    assert _errors(body) == [("FORBIDDEN", ["auditLog"])]


async def test_a_refused_filter_nulls_only_its_own_root_field(api):
    await f.organisation(api)
    await f.customer(api)
    body = await api(
        '{ customers(where: {creditStatus: {_eq: PREMIUM}}) { totalCount } branches { code } }', bearer=NINA
    )
    assert body["data"]["customers"] is None
    assert [b["code"] for b in body["data"]["branches"]] == ["BJ01", "HZ01", "SH01"]
    assert [code for code, _ in _errors(body)] == ["FORBIDDEN"]


def test_every_root_field_is_nullable_but_those_everyone_may_always_read():
    query = build_schema()._schema.query_type
    assert query is not None
    non_null = sorted(name for name, field in query.fields.items() if isinstance(field.type, GraphQLNonNull))
    assert non_null == ["industries", "me"]


# ----------------------------------------------------------------------------------- staffMembers

STAFF = """query($where: StaffMemberWhere, $first: Int, $after: String, $orderBy: [StaffMemberOrderBy!]) {
  staffMembers(where: $where, first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id username name branch { code } } }
  }
}"""


async def _usernames(api: Any, bearer: str, **variables: Any) -> list[str]:
    data = await api.ok(STAFF, variables, bearer=bearer)
    return [edge["node"]["username"] for edge in data["staffMembers"]["edges"]]


async def test_a_branch_manager_lists_the_staff_of_their_branch_only(api):
    await f.organisation(api)
    assert await _usernames(api, HANK, first=50) == ["alice", "amy", "hank", "nina", "carl", "audrey", "rex"]
    assert await _usernames(api, SUE, first=50) == ["bob", "sue"]


async def test_administrators_and_compliance_list_every_member_of_staff_filtered_by_branch(api):
    await f.organisation(api)
    assert len(await _usernames(api, f.ADMIN, first=50)) == len(f.STAFF)
    by_branch = {"branchCode": {"_in": ["SH01", "BJ01"]}}
    assert await _usernames(api, AUDITOR, where=by_branch, orderBy=[{"username": "ASC"}]) == ["bill", "bob", "sue"]


async def test_the_staff_list_filters_relationship_managers_by_their_portfolio(api):
    await f.organisation(api)
    await f.customer(api)  # looked after by alice
    managers = {"hasPortfolio": {"_eq": True}}
    assert await _usernames(api, f.ADMIN, where=managers) == ["alice"]


async def test_the_staff_list_pages_by_keyset_cursors(api):
    await f.organisation(api)
    first = (await api.ok(STAFF, {"first": 4, "orderBy": [{"name": "DESC"}]}, bearer=f.ADMIN))["staffMembers"]
    assert first["totalCount"] == len(f.STAFF) and first["pageInfo"]["hasNextPage"]
    rest = await _usernames(api, f.ADMIN, first=50, after=first["pageInfo"]["endCursor"], orderBy=[{"name": "DESC"}])
    names = [edge["node"]["username"] for edge in first["edges"]] + rest
    assert names == sorted(f.STAFF, reverse=True)


async def test_a_relationship_manager_sees_only_their_own_staff_record(api):
    await f.organisation(api)
    assert await _usernames(api, f.as_("alice")) == ["alice"]


async def test_a_third_party_is_refused_the_staff_list(api):
    await f.organisation(api)
    body = await api(STAFF, bearer=ACME)
    assert body["data"]["staffMembers"] is None
    assert _errors(body) == [("FORBIDDEN", ["staffMembers"])]


# -------------------------------------------------------------------------------------- node(id:)


def test_every_type_with_an_identity_implements_node_and_node_resolves_it():
    schema = build_schema()._schema
    nodes = {
        name for name, graphql_type in schema.type_map.items()
        if isinstance(graphql_type, GraphQLObjectType) and any(i.name == "Node" for i in graphql_type.interfaces)
    }
    assert nodes == NODE_TYPES
    assert {"Branch", "StaffMember", "AuditEntry", "FinancialStatement", "ServiceRecord", "Consent", "GradeAssessment",
            "GradeOverride", "CustomerChange", "CreditEvent", "Guarantee", "MajorInvestment"} <= nodes


NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on FinancialStatement { revenue }
  ... on Branch { code }
  ... on StaffMember { username }
  ... on CustomerChange { field }
} }"""
STATEMENTS = """query($id: ID!) { customer(id: $id) {
  financialStatements { id revenue } history { edges { node { id field } } }
} }"""


async def test_node_resolves_a_financial_statement_under_its_usual_scope_and_policy(api):
    await f.organisation(api)
    created = await f.customer(api)
    await f.statement(api, created["id"], created["version"])
    customer = (await api.ok(STATEMENTS, {"id": created["id"]}))["customer"]
    [statement] = customer["financialStatements"]
    found = (await api.ok(NODE, {"id": statement["id"]}))["node"]
    assert found == {"__typename": "FinancialStatement", "id": statement["id"], "revenue": statement["revenue"]}
    # Another branch's manager: the customer does not exist for them, nor does its statement.
    assert (await api.ok(NODE, {"id": statement["id"]}, bearer=SUE))["node"] is None
    # Without an agreement: no financial information, by whatever path.
    body = await api(NODE, {"id": statement["id"]}, bearer=f.as_("nina"))
    assert body["data"]["node"] is None
    assert _errors(body) == [("FORBIDDEN", ["node"])]
    assert "Customer.financialStatements" in body["errors"][0]["message"]


async def test_node_resolves_a_history_entry_branches_and_staff(api):
    await f.organisation(api)
    created = await f.customer(api)
    await f.statement(api, created["id"], created["version"])
    history = (await api.ok(STATEMENTS, {"id": created["id"]}))["customer"]["history"]
    change = history["edges"][0]["node"]
    assert (await api.ok(NODE, {"id": change["id"]}))["node"]["field"] == change["field"]
    branch = (await api.ok("{ branches { id code } }"))["branches"][0]
    assert (await api.ok(NODE, {"id": branch["id"]}))["node"] == {
        "__typename": "Branch", "id": branch["id"], "code": branch["code"]
    }
    staff = (await api.ok(STAFF, {"first": 50}, bearer=HANK))["staffMembers"]["edges"]
    alice = next(edge["node"] for edge in staff if edge["node"]["username"] == "alice")
    assert (await api.ok(NODE, {"id": alice["id"]}, bearer=HANK))["node"]["username"] == "alice"
    assert (await api.ok(NODE, {"id": alice["id"]}, bearer=SUE))["node"] is None  # another branch's staff
    body = await api(NODE, {"id": alice["id"]}, bearer=ACME)
    assert body["data"]["node"] is None and _errors(body) == [("FORBIDDEN", ["node"])]


async def test_node_resolves_an_audit_entry_for_whoever_may_read_the_audit_log(api):
    await f.organisation(api)
    await f.customer(api)
    log = "{ auditLog(first: 1) { edges { node { id principal object requestId } } } }"
    [entry] = [e["node"] for e in (await api.ok(log, bearer=AUDITOR))["auditLog"]["edges"]]
    by_id = "query($id: ID!) { node(id: $id) { __typename id ... on AuditEntry { principal object requestId } } }"
    assert (await api.ok(by_id, {"id": entry["id"]}, bearer=AUDITOR))["node"] == {"__typename": "AuditEntry", **entry}
    # The audit log is compliance's: a relationship manager is refused it by id as by list.
    body = await api(by_id, {"id": entry["id"]})
    assert body["data"]["node"] is None and _errors(body) == [("FORBIDDEN", ["node"])]
    missing = str(GlobalID("AuditEntry", "999999"))
    assert (await api.ok(by_id, {"id": missing}, bearer=AUDITOR))["node"] is None


# ------------------------------------------------------------------------- non-null where it holds


def test_a_customers_registry_identity_is_non_null_in_the_schema():
    sdl = build_schema().as_str()
    customer = sdl[sdl.index("type Customer implements Node"):]
    customer = customer[: customer.index("\n}")]
    for field in ("id: ID!", "name: String!", "creditCode: String!"):
        assert f"  {field}\n" in customer


def test_a_policy_denying_a_non_null_field_apart_from_its_type_is_refused(tmp_path):
    import shutil

    from click.testing import CliRunner

    from api.cli import main
    from shipped_policy import POLICIES

    for name in ("model.conf", "policy.csv", "decisions.csv"):
        shutil.copy(POLICIES / name, tmp_path / name)
    with (tmp_path / "policy.csv").open("a") as policy:
        policy.write("p, nda:none, Customer.name, read, deny\n")
    table = str(tmp_path / "decisions.csv")
    result = CliRunner().invoke(main, ["policy", "test", table, "--policy-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "denies Customer.name, which the schema declares non-null" in result.output


async def test_a_recorded_statement_a_caller_may_not_read_is_null_in_the_payload_not_the_whole_result(api):
    """The write stands and the payload says so; only the part the caller may not read is withheld."""
    await f.organisation(api)
    c = await f.customer(api)
    record = """mutation($input: FinancialStatementInput!) { recordFinancialStatement(input: $input) {
      __typename ... on FinancialStatementPayload { customer { name } statement { periodEnd } } } }"""
    no_agreement = token(nda=False)  # alice, whose token claims no confidentiality agreement
    body = await api(record, {"input": f.statement_input(c["id"], 1)}, bearer=no_agreement)
    assert body["data"]["recordFinancialStatement"] == {
        "__typename": "FinancialStatementPayload", "customer": {"name": c["name"]}, "statement": None}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["recordFinancialStatement", "statement"], "FORBIDDEN")]
