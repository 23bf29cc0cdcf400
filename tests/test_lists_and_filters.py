"""Lists as front ends page, filter and sort them (issue 11, item 5), the same on SQLite and PostgreSQL.

A customer's history and grade history are Relay connections paged by keyset cursors in both
directions, past any fixed size; the customers list filters and sorts by grade and score, nulls
last either way, with cursors that hold across ties; text comparisons mean one thing on both
databases. The suite's verify mode answers every planned request on the resolvers too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, update
from strawberry import relay

import factories as f
from api.db.enums import InfoGroup
from api.db.models import Customer, CustomerChange

HISTORY = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $major: Boolean! = false) {
  customer(id: $id) { history(first: $first, after: $after, last: $last, before: $before, majorOnly: $major) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { field newValue major } } } } }"""
GRADE_HISTORY = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  customer(id: $id) { gradeHistory(first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id grade trigger } } } } }"""
PAGE = """query($where: CustomerWhere, $orderBy: [CustomerOrderBy!], $first: Int, $after: String, $last: Int,
  $before: String) {
  customers(where: $where, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name grade { level score } } } } }"""
ASSESS = """mutation($input: AssessGradeInput!) { assessGrade(input: $input) { __typename } }"""


def _row_id(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


async def _changes(app: Any, customer_id: int, count: int) -> None:
    """``count`` more history entries of the customer, every third one major, oldest first."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async with app.state.runtime.sessions.begin() as session:
        await session.execute(insert(CustomerChange), [
            {"customer_id": customer_id, "changed_at": start + timedelta(minutes=i), "changed_by": "alice",
             "info_group": InfoGroup.CUSTOMER, "field": "name", "old_value": f"v{i - 1}", "new_value": f"v{i}",
             "major": i % 3 == 0}
            for i in range(count)
        ])


def _values(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["newValue"] for edge in connection["edges"]]


async def test_history_pages_past_a_hundred_entries_both_ways(app, api):
    await f.organisation(api)
    c = await f.customer(api)  # its registration is the oldest entry
    await _changes(app, _row_id(c["id"]), 130)
    newest = [f"v{i}" for i in range(129, -1, -1)]

    first = (await api.ok(HISTORY, {"id": c["id"], "first": 100}))["customer"]["history"]
    assert first["totalCount"] == 131
    assert _values(first) == newest[:100]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    rest = (await api.ok(HISTORY, {"id": c["id"], "first": 100, "after": first["pageInfo"]["endCursor"]}))
    rest = rest["customer"]["history"]
    assert _values(rest) == [*newest[100:], first_registered(rest)]
    assert not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]
    # Backwards from the end: the same entries, in the same order.
    back = (await api.ok(HISTORY, {"id": c["id"], "last": 30, "before": rest["edges"][-1]["cursor"]}))
    back = back["customer"]["history"]
    assert _values(back) == newest[100:]
    assert back["pageInfo"]["hasPreviousPage"] and back["pageInfo"]["hasNextPage"]
    # Only major changes, counted and paged on their own.
    major = (await api.ok(HISTORY, {"id": c["id"], "first": 5, "major": True}))["customer"]["history"]
    assert major["totalCount"] == 44 and _values(major) == ["v129", "v126", "v123", "v120", "v117"]
    assert all(edge["node"]["major"] for edge in major["edges"])


def first_registered(connection: dict[str, Any]) -> str:
    """The new value of the customer's first history entry: its registration."""
    return str(connection["edges"][-1]["node"]["newValue"])


async def test_a_page_size_beyond_the_bound_or_a_foreign_cursor_is_bad_input(api):
    await f.organisation(api)
    c = await f.customer(api)
    body = await api(HISTORY, {"id": c["id"], "first": 101})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["data"]["customer"]["history"] is None
    body = await api(GRADE_HISTORY, {"id": c["id"], "first": 1, "after": "bm90IGEgY3Vyc29y"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_grade_history_is_a_connection_newest_first(api):
    await f.organisation(api)
    c = await f.customer(api)
    for _ in range(3):
        graded = await api.ok(ASSESS, {"input": {"customerId": c["id"], "answers": []}})
        assert graded["assessGrade"]["__typename"] == "GradePayload"
    whole = (await api.ok(GRADE_HISTORY, {"id": c["id"]}))["customer"]["gradeHistory"]
    ids = [edge["node"]["id"] for edge in whole["edges"]]
    assert whole["totalCount"] == 3 and len(set(ids)) == 3
    assert [_row_id(i) for i in ids] == sorted((_row_id(i) for i in ids), reverse=True)
    first = (await api.ok(GRADE_HISTORY, {"id": c["id"], "first": 2}))["customer"]["gradeHistory"]
    assert [edge["node"]["id"] for edge in first["edges"]] == ids[:2] and first["pageInfo"]["hasNextPage"]
    second = (await api.ok(GRADE_HISTORY, {"id": c["id"], "first": 2, "after": first["pageInfo"]["endCursor"]}))
    second = second["customer"]["gradeHistory"]
    assert [edge["node"]["id"] for edge in second["edges"]] == ids[2:]
    assert not second["pageInfo"]["hasNextPage"] and second["pageInfo"]["hasPreviousPage"]
    last = (await api.ok(GRADE_HISTORY, {"id": c["id"], "last": 1}))["customer"]["gradeHistory"]
    assert [edge["node"]["id"] for edge in last["edges"]] == ids[2:] and last["pageInfo"]["hasPreviousPage"]


# name -> (grade, score); two customers tie on both, two are not graded.
GRADED = {
    "Alpha Co., Ltd.": ("B", "75.00"), "Beta Co., Ltd.": ("A", "91.50"), "Gamma Co., Ltd.": (None, None),
    "Delta Co., Ltd.": ("C", "55.25"), "Epsilon Co., Ltd.": ("B", "75.00"), "Zeta Co., Ltd.": (None, None),
}


async def _graded_portfolio(app: Any, api: Any) -> list[str]:
    """The customers of ``GRADED``, their grades set as grading would leave them; their names in id order."""
    await f.organisation(api)
    names = []
    for name, (grade, score) in GRADED.items():
        c = await f.customer(api, name=name)
        async with app.state.runtime.sessions.begin() as session:
            await session.execute(update(Customer).where(Customer.id == _row_id(c["id"])).values(
                grade=grade, grade_score=None if score is None else Decimal(score)))
        names.append(name)
    return names


async def _walk(api: Any, order_by: list[dict[str, str]], size: int, **where: Any) -> list[str]:
    """Every page of the list, ``size`` at a time, forward; the names in the order seen."""
    seen: list[str] = []
    after = None
    while True:
        page = (await api.ok(PAGE, {"orderBy": order_by, "first": size, "after": after, **where}))["customers"]
        seen += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


async def _walk_back(api: Any, order_by: list[dict[str, str]], size: int) -> list[str]:
    """Every page of the list, ``size`` at a time, from the end backwards; the names in list order."""
    seen: list[str] = []
    before = None
    while True:
        page = (await api.ok(PAGE, {"orderBy": order_by, "last": size, "before": before}))["customers"]
        seen = [edge["node"]["name"] for edge in page["edges"]] + seen
        if not page["pageInfo"]["hasPreviousPage"]:
            return seen
        before = page["pageInfo"]["startCursor"]


async def test_customers_sort_by_grade_and_score_with_nulls_last_and_stable_cursors(app, api):
    by_id = await _graded_portfolio(app, api)
    ungraded = ["Gamma Co., Ltd.", "Zeta Co., Ltd."]
    expected = {
        "grade ASC": ["Beta Co., Ltd.", "Alpha Co., Ltd.", "Epsilon Co., Ltd.", "Delta Co., Ltd.", *ungraded],
        "grade DESC": ["Delta Co., Ltd.", "Alpha Co., Ltd.", "Epsilon Co., Ltd.", "Beta Co., Ltd.", *ungraded],
        "score ASC": ["Delta Co., Ltd.", "Alpha Co., Ltd.", "Epsilon Co., Ltd.", "Beta Co., Ltd.", *ungraded],
        "score DESC": ["Beta Co., Ltd.", "Alpha Co., Ltd.", "Epsilon Co., Ltd.", "Delta Co., Ltd.", *ungraded],
    }
    for key, names in expected.items():
        field, direction = key.split()
        order = [{field: direction}]
        assert await _walk(api, order, 6) == names, key
        for size in (1, 2, 4):  # every cut through the ties and the nulls
            assert await _walk(api, order, size) == names, (key, size)
            assert await _walk_back(api, order, size) == names, (key, size)
    # Several keys: grade, then score descending, then name.
    several = [{"grade": "DESC"}, {"score": "DESC"}, {"name": "DESC"}]
    assert await _walk(api, several, 2) == [
        "Delta Co., Ltd.", "Epsilon Co., Ltd.", "Alpha Co., Ltd.", "Beta Co., Ltd.", "Zeta Co., Ltd.",
        "Gamma Co., Ltd."]
    assert len(by_id) == 6


async def test_customers_filter_by_grade_and_score(app, api):
    await _graded_portfolio(app, api)

    async def names(where: dict[str, Any]) -> list[str]:
        page = (await api.ok(PAGE, {"where": where, "first": 10}))["customers"]
        assert page["totalCount"] == len(page["edges"])
        return [edge["node"]["name"] for edge in page["edges"]]

    assert await names({"grade": {"_eq": "B"}}) == ["Alpha Co., Ltd.", "Epsilon Co., Ltd."]
    assert await names({"grade": {"_in": ["A", "C"]}}) == ["Beta Co., Ltd.", "Delta Co., Ltd."]
    assert await names({"grade": {"_isNull": True}}) == ["Gamma Co., Ltd.", "Zeta Co., Ltd."]
    assert await names({"grade": {"_neq": "B"}}) == ["Beta Co., Ltd.", "Delta Co., Ltd."]  # the graded ones
    assert await names({"score": {"_gte": "75"}}) == ["Alpha Co., Ltd.", "Beta Co., Ltd.", "Epsilon Co., Ltd."]
    assert await names({"score": {"_lt": "60"}, "grade": {"_eq": "C"}}) == ["Delta Co., Ltd."]
    assert await names({"_or": [{"score": {"_gt": "90"}}, {"grade": {"_isNull": True}}]}) == [
        "Beta Co., Ltd.", "Gamma Co., Ltd.", "Zeta Co., Ltd."]
    # Served by the planned path (the suite's verify mode compares it with the resolvers).
    paths = app.state.runtime.read_paths
    before = paths["planned"]
    await names({"grade": {"_in": ["B"]}})
    await api.ok(PAGE, {"orderBy": [{"score": "DESC"}], "first": 2})
    assert paths["planned"] == before + 2


async def test_who_may_not_read_the_grade_may_not_filter_or_sort_by_it(app, api):
    await _graded_portfolio(app, api)
    hank = f.as_("hank", "branch_manager")
    nina_client = await f.customer(api, bearer=hank, name="Nina Client Co., Ltd.", relationshipManagerUsername="nina")
    nina = f.as_("nina")  # a relationship manager without a confidentiality agreement: no grading information
    assert (await api.ok("{ customers { totalCount } }", bearer=nina))["customers"]["totalCount"] == 1
    for variables in ({"where": {"grade": {"_eq": "A"}}}, {"where": {"_not": {"score": {"_gte": "0"}}}},
                      {"orderBy": [{"grade": "ASC"}]}, {"orderBy": [{"name": "ASC"}, {"score": "DESC"}]}):
        body = await api(PAGE, {"first": 5, **variables}, bearer=nina)
        assert (body["data"] or {}).get("customers") is None, variables
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], variables
    assert nina_client


STRING_NAMES = [
    "ACME Trading Co., Ltd.", "acme foods co., ltd.", "Ärger Holdings", "ärger mbh", "杭州钢铁有限公司",
    "100%_x Ltd", "100ab x Ltd", "Back\\slash Co.",
]


async def test_text_comparisons_mean_the_same_on_every_database(api):
    await f.organisation(api)
    for name in STRING_NAMES:
        await f.customer(api, name=name)

    async def names(comparison: dict[str, Any]) -> list[str]:
        page = (await api.ok(PAGE, {"where": {"name": comparison}, "first": 20}))["customers"]
        return [edge["node"]["name"] for edge in page["edges"]]

    # _startsWith and _contains compare exactly, case included.
    assert await names({"_startsWith": "ACME"}) == ["ACME Trading Co., Ltd."]
    assert await names({"_startsWith": "acme"}) == ["acme foods co., ltd."]
    assert await names({"_startsWith": "Ärger"}) == ["Ärger Holdings"]
    assert await names({"_startsWith": "杭州"}) == ["杭州钢铁有限公司"]
    assert await names({"_contains": "Trading"}) == ["ACME Trading Co., Ltd."]
    assert await names({"_contains": "trading"}) == []
    assert await names({"_contains": "钢铁"}) == ["杭州钢铁有限公司"]
    # _istartsWith and _icontains ignore the case of A–Z only: other letters match as written.
    assert await names({"_istartsWith": "acme"}) == ["ACME Trading Co., Ltd.", "acme foods co., ltd."]
    assert await names({"_istartsWith": "ACME F"}) == ["acme foods co., ltd."]
    assert await names({"_istartsWith": "ärger"}) == ["ärger mbh"]
    assert await names({"_istartsWith": "ÄRGER"}) == ["Ärger Holdings"]
    assert await names({"_icontains": "CO., LTD."}) == ["ACME Trading Co., Ltd.", "acme foods co., ltd."]
    assert await names({"_icontains": "Holdings"}) == ["Ärger Holdings"]
    # LIKE and GLOB wildcards in the value are plain characters.
    assert await names({"_startsWith": "100%_"}) == ["100%_x Ltd"]
    assert await names({"_startsWith": "100%"}) == ["100%_x Ltd"]
    assert await names({"_startsWith": "100_"}) == []
    assert await names({"_contains": "%_x"}) == ["100%_x Ltd"]
    assert await names({"_icontains": "%_X"}) == ["100%_x Ltd"]
    assert await names({"_istartsWith": "1*"}) == []
    assert await names({"_startsWith": "Back\\"}) == ["Back\\slash Co."]
    assert await names({"_icontains": "\\S"}) == ["Back\\slash Co."]
