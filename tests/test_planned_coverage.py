"""What front ends send is served by the planned path, and answers as the regular resolvers do.

Filters with every operator family and ``_and/_or/_not``, sorts on several keys with ties,
backward pages, ``customer(id)`` and ``node(id)`` details with nested lists and objects,
fragments, aliases, ``@include/@skip`` and several root fields: each document is asked as every
subject of the decision table. The suite's verify mode answers each planned request on the
regular resolvers too and fails on any difference in data, errors or audit entries; these tests
check the planned path was really taken.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import token
from planned_data import FIRST_GRADED, bearer_of, seed, table_subjects

FILTERED = """query Filtered($status: CreditStatus) {
  customers(first: 10, where: {
    _or: [
      {creditStatus: {_eq: $status}},
      {_and: [{name: {_startsWith: "Planned"}}, {_not: {branchCode: {_in: ["SH01"]}}}]}
    ],
    size: {_isNull: true}, createdAt: {_gt: "2020-01-01T00:00:00+08:00"}, stale: {_eq: true},
    relationshipManagerUsername: {_nin: ["nobody"]}, industryCode: {_icontains: "c"}
  }) {
    totalCount
    edges { cursor node { id name creditStatus branch { code } } }
  }
}"""
SORTED = """query Sorted($after: String) {
  customers(first: 3, after: $after, orderBy: [{branchCode: DESC}, {industryCode: ASC}, {name: DESC}]) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name industry { code } } }
  }
}"""
BACKWARD = """query Backward($before: String) {
  customers(last: 2, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id name } }
  }
}"""
DETAIL = """query Detail($id: ID!) {
  customer(id: $id) {
    id name creditCode
    industry { code name category }
    branch { code name }
    relationshipManager { username name branch { code } }
    grade { level score treatment { limitPolicy actions } assessment { grade score factors { code points }
      overrides { status } } }
    sizeAssessment { size ruleVersion ruleId inputs determinedAt }
    creditStatusAssessment { status basis setBy }
    financialStatements(last: 2) { periodEnd revenue netProfit auditOpinion }
    serviceRecords(first: 2) { edges { node { kind occurredAt summary } } }
    gradeHistory(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {
      grade score reasons knockOuts facts } } }
    history(first: 5) { totalCount edges { node { field oldValue newValue major } } }
    major: history(majorOnly: true, last: 2) { totalCount pageInfo { hasPreviousPage startCursor }
      edges { node { field } } }
    basicInformation { registeredCapital { amount currency } legalRepresentativeName legalRepresentativeIdNumber }
    operatingInformation { mainProducts majorInvestments { amount { amount } } }
    creditInformation { externalRating events { kind amount { amount } } guarantees { beneficiary amount { amount } } }
    openComplaintCount
    financialsStale
  }
}"""
NODE = """query Node($id: ID!, $other: ID!) {
  node(id: $id) { id __typename ...Named ... on Customer { grade { level } } }
  missing: node(id: $other) { id }
}
fragment Named on Node { ... on Customer { name industry { code } } }"""
SEVERAL = """query Several($id: ID!) {
  one: customer(id: $id) { name }
  page: customers(first: 1) { totalCount edges { node { name } } }
  node(id: $id) { id }
}"""
SWITCHED = """query Switched($withGrade: Boolean!, $noName: Boolean = false) {
  customers(first: 3) { edges { node { id name @skip(if: $noName) grade @include(if: $withGrade) { level } } } }
}"""
# Subjects who read customers in full under this policy: every document above is planned for them.
STAFF_READERS = {("compliance_auditor", True), ("relationship_manager", True), ("risk_expert", True)}


async def _documents(api: Any, bearer: str, some_id: str) -> int:
    """Ask every document (some twice, with other values); the number of requests made."""
    await api(FILTERED, {"status": "GENERAL"}, bearer=bearer)
    await api(FILTERED, {"status": None}, bearer=bearer)
    first = await api(SORTED, {"after": None}, bearer=bearer)
    cursor = ((first["data"] or {}).get("customers") or {}).get("pageInfo", {}) or {}
    await api(SORTED, {"after": cursor.get("endCursor")}, bearer=bearer)
    by_id = await api("{ customers(first: 4) { pageInfo { endCursor } } }", bearer=bearer)
    end = (((by_id["data"] or {}).get("customers") or {}).get("pageInfo") or {}).get("endCursor")
    await api(BACKWARD, {"before": end}, bearer=bearer)
    await api(DETAIL, {"id": some_id}, bearer=bearer)
    await api(NODE, {"id": some_id, "other": "Q3VzdG9tZXI6OTk5OTk5"}, bearer=bearer)  # a customer nobody has
    await api(SEVERAL, {"id": some_id}, bearer=bearer)
    await api(SWITCHED, {"withGrade": True}, bearer=bearer)
    await api(SWITCHED, {"withGrade": False, "noName": True}, bearer=bearer)
    return 11

@pytest.fixture
async def seeded(app: Any, api: Any) -> Any:
    await seed(app, api)
    return app


async def _graded_customer(api: Any) -> str:
    """The id of the customer the seed gave a statement and an automatic grade."""
    auditor = token(sub="alice", roles=("compliance_auditor",), branch="HZ01")
    data = await api.ok(FIRST_GRADED,
                        bearer=auditor)
    return str(data["customers"]["edges"][0]["node"]["id"])


@pytest.mark.parametrize(("roles", "agreement"), table_subjects())
async def test_every_kind_of_document_answers_as_the_regular_resolvers_for_every_subject(
    seeded: Any, api: Any, roles: str, agreement: bool
) -> None:
    paths = seeded.state.runtime.read_paths
    some_id = await _graded_customer(api)
    before = dict(paths)
    asked = await _documents(api, bearer_of(roles, agreement), some_id)
    assert paths["failed"] == before.get("failed", 0)
    if (roles, agreement) in STAFF_READERS:
        assert paths["planned"] - before.get("planned", 0) == asked, dict(paths)


async def test_a_filtered_sorted_page_and_its_neighbours_are_planned(seeded: Any, api: Any) -> None:
    auditor = token(sub="alice", roles=("compliance_auditor",), branch="HZ01")
    paths = seeded.state.runtime.read_paths
    data = await api.ok(FILTERED, {"status": "GENERAL"}, bearer=auditor)
    names = [edge["node"]["name"] for edge in data["customers"]["edges"]]
    assert data["customers"]["totalCount"] == len(names) > 0
    # Every page of a sort with ties on its first keys, forward, then back from the end.
    seen: list[str] = []
    after = None
    while True:
        page = (await api.ok(SORTED, {"after": after}, bearer=auditor))["customers"]
        seen += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 7
    by_id = (await api.ok("{ customers(first: 7) { edges { cursor node { name } } } }", bearer=auditor))["customers"]
    back = (await api.ok(BACKWARD, {"before": by_id["edges"][5]["cursor"]}, bearer=auditor))["customers"]
    assert [edge["node"]["name"] for edge in back["edges"]] == [e["node"]["name"] for e in by_id["edges"][3:5]]
    assert back["pageInfo"]["hasPreviousPage"] and back["pageInfo"]["hasNextPage"]
    assert paths["planned"] >= 3 and paths["fallback"] == 0


async def test_a_detail_with_nested_lists_is_planned_and_audited_like_the_resolvers(seeded: Any, api: Any) -> None:
    auditor = token(sub="alice", roles=("compliance_auditor",), branch="HZ01")
    some_id = await _graded_customer(api)
    paths = seeded.state.runtime.read_paths
    before = paths["planned"]
    data = await api.ok(DETAIL, {"id": some_id}, bearer=auditor)
    customer = data["customer"]
    assert customer["financialStatements"] and customer["gradeHistory"]["edges"] and customer["history"]["edges"]
    assert customer["grade"]["assessment"]["factors"]
    assert paths["planned"] == before + 1


async def test_include_and_skip_pick_the_fields_by_their_variables(seeded: Any, api: Any) -> None:
    auditor = token(sub="alice", roles=("compliance_auditor",), branch="HZ01")
    with_grade = await api.ok(SWITCHED, {"withGrade": True}, bearer=auditor)
    without = await api.ok(SWITCHED, {"withGrade": False, "noName": True}, bearer=auditor)
    assert set(with_grade["customers"]["edges"][0]["node"]) == {"id", "name", "grade"}
    assert set(without["customers"]["edges"][0]["node"]) == {"id"}
    assert seeded.state.runtime.read_paths["planned"] == 2


# Documents whose every field has a SQL form: on PostgreSQL the database builds each node.
IN_SQL = {
    "page": """query { customers(first: 5, where: {branchCode: {_in: ["HZ01", "SH01"]}}, orderBy: [{name: DESC}]) {
      edges { node { id name industry { code section name nameZh category assignable }
        relationshipManager { username name branch { code name } }
        grade { level score gradedAt treatment { limitPolicy rateAdjustmentBps actions } }
        financialStatements(last: 2) { periodEnd revenue }
        basicInformation { registeredCapital { amount currency } legalRepresentativeName }
        operatingInformation { mainProducts majorInvestments { description amount { amount currency } } }
        creditInformation { externalRating creditReportDate }
        openComplaintCount } } } }""",
    "detail": """query($id: ID!) { customer(id: $id) { id name creditStatus
      financialStatements(last: 4) { periodEnd revenue netProfit auditOpinion }
      serviceRecords(first: 5) { edges { node { stage kind occurredAt summary followUp } } } } }""",
    # Audited objects of the node: a read noted per customer, as the resolvers note it.
    "assessments": """query($id: ID!) { customer(id: $id) { id
      sizeAssessment { size ruleVersion ruleId inputs determinedAt }
      creditStatusAssessment { status basis setAt setBy }
      financialStatements(last: 1) { revenue } } }""",
    "node": """query($id: ID!) { node(id: $id) { __typename ... on Customer { id name industry { code }
      grade { level score } openComplaintCount } } }""",
    # Masked identity: the database masks it as the resolvers do (api/authz/masking.py).
    "masked": """query($id: ID!) { customer(id: $id) { id basicInformation { legalRepresentativeName
      legalRepresentativeIdType legalRepresentativeIdNumber legalRepresentativePhone } } }""",
    # Nested connections: the page, its cursors and pageInfo, totalCount, audited fields in the items.
    "grade_history": """query($id: ID!) { customer(id: $id) { id name
      gradeHistory(first: 3) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id grade score strategyId assessedAt trigger reasons knockOuts facts } } } } }""",
    "grade_history_page": """query { customers(first: 5) { edges { node { id
      older: gradeHistory(last: 2) { pageInfo { hasPreviousPage startCursor endCursor } edges { cursor
        node { __typename grade score } } __typename }
      none: gradeHistory(first: 0) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } }
      counted: history(first: 1) { totalCount } named: history { __typename } } } } }""",
    # History: each value shown as the subject reads its own field (full, masked or null), audited reads noted.
    "history": """query($id: ID!) { customer(id: $id) { id
      history(first: 5) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id changedAt
        changedBy infoGroup field oldValue newValue major } } }
      major: history(majorOnly: true, last: 2) { totalCount pageInfo { hasPreviousPage startCursor }
        edges { node { field oldValue newValue } } }
      older: history(first: 2, after: "WzEwMDBd") { pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor } }
      newer: history(last: 3, before: "WzJd") { pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { field } } } } }""",
}


@pytest.mark.parametrize("name", sorted(IN_SQL))
async def test_documents_whose_fields_all_have_a_sql_form_are_built_by_the_database(
    seeded: Any, api: Any, name: str
) -> None:
    from api.authz.policy import Subject

    runtime = seeded.state.runtime
    some_id = await _graded_customer(api)
    for roles, agreement in table_subjects():
        await api(IN_SQL[name], {"id": some_id}, bearer=bearer_of(roles, agreement))
    decisions = runtime.policies.current.decisions(Subject(roles=frozenset({"compliance_auditor"}), agreement=True))
    planned = runtime.planner.plan(IN_SQL[name], None, decisions, {"id": some_id})
    assert planned is not None and planned.roots[0].sql is not None
    assert runtime.read_paths["failed"] == 0


async def test_a_value_outside_a_cases_domain_is_answered_by_the_resolvers(seeded: Any, api: Any) -> None:
    from sqlalchemy import update

    from api.db.models import Customer

    runtime = seeded.state.runtime
    async with runtime.engine.begin() as connection:  # a code since removed from the code list
        await connection.execute(update(Customer.__table__).values(industry_code="Z99"))
    auditor = token(sub="alice", roles=("compliance_auditor",), branch="HZ01")
    data = await api.ok("{ customers(first: 2) { edges { node { name industry { code name category } } } } }",
                        bearer=auditor)
    assert [edge["node"]["industry"] for edge in data["customers"]["edges"]] == [
        {"code": "Z99", "name": "Z99", "category": "OTHER"}
    ] * 2
    dialect = runtime.engine.dialect.name
    # On PostgreSQL the database refused to build the node; the resolvers answered instead.
    assert runtime.read_paths["failed" if dialect == "postgresql" else "planned"] == 1


async def test_a_history_entry_of_a_field_without_a_decision_is_answered_by_the_resolvers(
    seeded: Any, api: Any
) -> None:
    from sqlalchemy import insert

    from api.db.models import CustomerChange
    from schema.ids import decode_global_id

    runtime = seeded.state.runtime
    some_id = await _graded_customer(api)
    async with runtime.engine.begin() as connection:  # a field no schema type or table has (none is written today)
        await connection.execute(insert(CustomerChange.__table__).values(
            customer_id=decode_global_id(some_id, "Customer", "id"), changed_by="alice", info_group="customer",
            field="noSuchField", old_value="a", new_value="b", major=False,
        ))
    auditor = token(sub="alice", roles=("compliance_auditor",), branch="HZ01")
    before = dict(runtime.read_paths)
    data = await api.ok(IN_SQL["history"], {"id": some_id}, bearer=auditor)
    newest = data["customer"]["history"]["edges"][0]["node"]
    assert (newest["field"], newest["oldValue"], newest["newValue"]) == ("noSuchField", None, None)
    path = "failed" if runtime.engine.dialect.name == "postgresql" else "planned"
    # On PostgreSQL the statement refused the row it has no decision for; the resolvers answered.
    assert runtime.read_paths[path] == before.get(path, 0) + 1
