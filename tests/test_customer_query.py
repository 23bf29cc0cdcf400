"""The `customers` connection: keyset pages, totalCount, Hasura-style where and orderBy."""

from __future__ import annotations

import pytest
from sqlalchemy import event

import factories as f
from conftest import token

PAGE = """query(
  $first: Int, $after: String, $last: Int, $before: String, $where: CustomerWhere, $orderBy: [CustomerOrderBy!]
) {
  customers(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name } }
  } }"""


async def _names(api, **variables):
    data = (await api.ok(PAGE, variables))["customers"]
    return [e["node"]["name"] for e in data["edges"]], data


async def _portfolio(api, count=7):
    await f.organisation(api)
    for i in range(count):
        await f.customer(api, name=f"Customer {i:02d} Co., Ltd.")


async def test_forward_pages_cover_every_customer_once_in_order(api):
    await _portfolio(api)
    seen, after = [], None
    while True:
        names, data = await _names(api, first=3, after=after)
        seen += names
        assert data["totalCount"] == 7
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == [f"Customer {i:02d} Co., Ltd." for i in range(7)]


async def test_backward_pages_with_last_and_before(api):
    await _portfolio(api)
    names, data = await _names(api, last=3)
    assert names == ["Customer 04 Co., Ltd.", "Customer 05 Co., Ltd.", "Customer 06 Co., Ltd."]
    assert data["pageInfo"]["hasPreviousPage"] is True
    names, data = await _names(api, last=3, before=data["pageInfo"]["startCursor"])
    assert names == ["Customer 01 Co., Ltd.", "Customer 02 Co., Ltd.", "Customer 03 Co., Ltd."]
    names, data = await _names(api, last=3, before=data["pageInfo"]["startCursor"])
    assert names == ["Customer 00 Co., Ltd."]
    assert data["pageInfo"]["hasPreviousPage"] is False


async def test_keyset_cursor_is_stable_when_rows_are_added_before_it(api):
    await _portfolio(api, 4)
    _, data = await _names(api, first=2, orderBy=[{"name": "DESC"}])
    await f.customer(api, name="Customer 99 Co., Ltd.")  # sorts first, before the cursor
    names, _ = await _names(api, first=2, after=data["pageInfo"]["endCursor"], orderBy=[{"name": "DESC"}])
    assert names == ["Customer 01 Co., Ltd.", "Customer 00 Co., Ltd."]


async def test_order_by_name_descending_then_id(api):
    await _portfolio(api, 3)
    await f.customer(api, name="Customer 01 Co., Ltd.", industryCode="F52")  # a tie on name
    names, data = await _names(api, first=2, orderBy=[{"name": "DESC"}])
    assert names == ["Customer 02 Co., Ltd.", "Customer 01 Co., Ltd."]
    rest, _ = await _names(api, first=5, after=data["pageInfo"]["endCursor"], orderBy=[{"name": "DESC"}])
    assert rest == ["Customer 01 Co., Ltd.", "Customer 00 Co., Ltd."]


async def test_order_by_element_must_set_exactly_one_field(api):
    await f.organisation(api)  # alice, the default caller, has a staff record
    body = await api(PAGE, {"first": 2, "orderBy": [{"name": "ASC", "id": "ASC"}]})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_filters_by_industry_branch_size_status_and_name(api):
    await f.organisation(api)
    a = await f.customer(api, name="Alpha Machinery Co., Ltd.", industryCode="C34")
    await f.customer(api, name="Beta Retail Co., Ltd.", industryCode="F52")
    await f.customer(api, name="Gamma Property Co., Ltd.", industryCode="K701", branchCode="SH01",
                     relationshipManagerUsername="bob")
    await f.statement(api, a["id"], 1, employees=350, revenue="120000000.00")

    risk = f.as_("rex", "risk_expert")  # sees every branch

    async def names(where):
        data = (await api.ok(PAGE, {"first": 10, "where": where}, bearer=risk))["customers"]
        return [e["node"]["name"] for e in data["edges"]]

    assert await names({"industryCode": {"_startsWith": "C"}}) == ["Alpha Machinery Co., Ltd."]
    assert await names({"industryCode": {"_in": ["F52", "K701"]}}) == [
        "Beta Retail Co., Ltd.", "Gamma Property Co., Ltd.",
    ]
    assert await names({"branchCode": {"_eq": "SH01"}}) == ["Gamma Property Co., Ltd."]
    assert await names({"relationshipManagerUsername": {"_eq": "bob"}}) == ["Gamma Property Co., Ltd."]
    assert await names({"size": {"_eq": "MEDIUM"}}) == ["Alpha Machinery Co., Ltd."]
    assert await names({"size": {"_isNull": True}}) == ["Beta Retail Co., Ltd.", "Gamma Property Co., Ltd."]
    general_retail = {"creditStatus": {"_eq": "GENERAL"}, "name": {"_icontains": "RETAIL"}}
    assert await names(general_retail) == ["Beta Retail Co., Ltd."]
    assert await names({"_or": [{"branchCode": {"_eq": "SH01"}}, {"name": {"_icontains": "alpha"}}]}) == [
        "Alpha Machinery Co., Ltd.", "Gamma Property Co., Ltd."]
    assert await names({"_not": {"branchCode": {"_eq": "HZ01"}}}) == ["Gamma Property Co., Ltd."]
    data = (await api.ok(PAGE, {"first": 1, "where": {"branchCode": {"_eq": "HZ01"}}}, bearer=risk))["customers"]
    assert data["totalCount"] == 2


async def test_name_contains_treats_like_wildcards_literally(api):
    await f.organisation(api)
    await f.customer(api, name="100% Pure Co., Ltd.")
    await f.customer(api, name="Plain Co., Ltd.")
    names, _ = await _names(api, first=5, where={"name": {"_contains": "%"}})
    assert names == ["100% Pure Co., Ltd."]


@pytest.mark.parametrize("planned", [False, True], ids=["regular", "planned"])
async def test_sql_statements_per_page_do_not_grow_with_page_size(app, api, planned):
    from api.services.demo import load_demo_data

    runtime = app.state.runtime
    # One read path at a time (no verification run of the other).
    runtime.settings = runtime.settings.model_copy(update={"planned_reads": planned, "planned_reads_verify": False})
    async with runtime.sessions.begin() as session:
        await load_demo_data(session, customers_per_branch=13)  # 52 customers, every group filled
    query = """query($first: Int!) { customers(first: $first) { totalCount edges { node {
      name industry { name } branch { name } relationshipManager { name branch { code } }
      basicInformation { businessScope } financialStatements(last: 3) { revenue }
      operatingInformation { mainProducts majorInvestments { description } }
      creditInformation { externalRating events { kind } guarantees { beneficiary } }
      history(first: 5) { edges { node { field } } } } } } }"""
    # alice is a demo relationship manager with an agreement; as auditor she reads every row.
    auditor = token(sub="alice", roles=("compliance_auditor",), branch=None)
    counts = {}
    for size in (5, 50):
        statements: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)  # noqa: B023  (this iteration's list: removed before the next)

        event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
        try:
            data = await api.ok(query, {"first": size}, bearer=auditor)
        finally:
            event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)
        edges = data["customers"]["edges"]
        assert len(edges) == size
        assert all(len(e["node"]["financialStatements"]) == 3 for e in edges)
        assert all(e["node"]["creditInformation"]["events"] for e in edges)
        counts[size] = len(statements)
    assert counts[5] == counts[50], counts
    assert runtime.read_paths["planned" if planned else "regular"] == 2
    # the caller's staff record, page, count, branch, staff, basic, statements, operating,
    # investments, credit, events, guarantees, history, and the audit log's one insert.
    assert counts[50] <= 14, counts
