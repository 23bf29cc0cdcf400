"""Optimistic concurrency: a stale version is a CONFLICT; two concurrent updates never both win."""

from __future__ import annotations

import asyncio

import pytest
from strawberry.relay import GlobalID

import factories as f
from api.db.models import Customer
from api.errors import Conflict
from api.principal import Principal
from api.services.customers import update_customer
from api.services.scope import RowScope

UPDATE = """mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
  __typename
  ... on CustomerPayload { customer { version name } }
  ... on ConflictError { code currentVersion message }
} }"""
READ = "query($id: ID!) { customer(id: $id) { version name history { edges { node { field newValue } } } } }"


async def test_stale_version_is_a_conflict_and_changes_nothing(api):
    await f.organisation(api)
    c = await f.customer(api, name="Original Co., Ltd.")
    first = (
        await api.ok(UPDATE, {"input": {"id": c["id"], "version": 1, "name": "First Co., Ltd."}})
    )["updateCustomer"]
    assert first["customer"]["version"] == 2
    stale = (await api.ok(UPDATE, {"input": {"id": c["id"], "version": 1, "name": "Late Co., Ltd."}}))["updateCustomer"]
    assert stale["__typename"] == "ConflictError"
    assert stale["code"] == "CONFLICT"
    assert stale["currentVersion"] == 2
    now = (await api.ok(READ, {"id": c["id"]}))["customer"]
    assert (now["version"], now["name"]) == (2, "First Co., Ltd.")
    assert "Late Co., Ltd." not in [e["node"]["newValue"] for e in now["history"]["edges"]]


async def test_stale_version_on_an_information_group_is_a_conflict(api):
    await f.organisation(api)
    c = await f.customer(api)
    await f.statement(api, c["id"], 1)
    result = (await api.ok(f.RECORD_STATEMENT, {"input": f.statement_input(c["id"], 1, periodEnd="2024-12-31")}))
    assert result["recordFinancialStatement"]["__typename"] == "ConflictError"
    statements = await api.ok(
        "query($id: ID!) { customer(id: $id) { financialStatements { periodEnd } } }", {"id": c["id"]}
    )
    assert statements["customer"]["financialStatements"] == [{"periodEnd": "2025-12-31"}]


async def test_two_concurrent_updates_of_one_version_never_both_succeed(api):
    await f.organisation(api)
    for attempt in range(3):
        c = await f.customer(api, name=f"Race {attempt} Co., Ltd.")
        results = await asyncio.gather(*[
            api.ok(UPDATE, {"input": {"id": c["id"], "version": 1, "name": f"Writer {n} Co., Ltd."}})
            for n in range(2)
        ])
        kinds = sorted(r["updateCustomer"]["__typename"] for r in results)
        assert kinds == ["ConflictError", "CustomerPayload"], results
        winner = next(r["updateCustomer"] for r in results if r["updateCustomer"]["__typename"] == "CustomerPayload")
        now = (await api.ok(READ, {"id": c["id"]}))["customer"]
        assert (now["version"], now["name"]) == (2, winner["customer"]["name"])
        names = [e["node"]["newValue"] for e in now["history"]["edges"] if e["node"]["field"] == "name"]
        assert names == [winner["customer"]["name"]]


async def test_version_guard_holds_when_both_writers_read_before_either_writes(app, api):
    """The database enforces the version too: the later of two interleaved writers conflicts."""
    await f.organisation(api)
    c = await f.customer(api, name="Interleaved Co., Ltd.")
    customer_id = int(GlobalID.from_id(c["id"]).node_id)
    principal = Principal(sub="alice", roles=frozenset({"relationship_manager"}))
    sessions = app.state.runtime.sessions
    async with sessions() as first, sessions() as second:
        assert (await first.get(Customer, customer_id)).version == 1
        assert (await second.get(Customer, customer_id)).version == 1
        await update_customer(first, principal=principal, scope=RowScope.everything(), customer_id=customer_id,
                              expected_version=1, data={"name": "First Writer Co., Ltd."})
        await first.commit()
        with pytest.raises(Conflict):
            await update_customer(second, principal=principal, scope=RowScope.everything(), customer_id=customer_id,
                                  expected_version=1, data={"name": "Second Writer Co., Ltd."})
        await second.rollback()
    now = (await api.ok(READ, {"id": c["id"]}))["customer"]
    assert (now["version"], now["name"]) == (2, "First Writer Co., Ltd.")


ASSESS = """mutation($input: AssessGradeInput!) { assessGrade(input: $input) {
  __typename ... on ConflictError { code } } }"""


async def test_many_concurrent_gradings_of_one_customer_each_end_graded_or_in_conflict(api):
    """As reported: 200 concurrent assessGrade on one customer gave 185 internal errors."""
    await f.organisation(api)
    c = await f.customer(api)
    results = await asyncio.gather(*[
        api(ASSESS, {"input": {"customerId": c["id"], "answers": []}}) for _ in range(40)
    ])
    assert all("errors" not in r for r in results), [r["errors"] for r in results if "errors" in r][:1]
    kinds = {r["data"]["assessGrade"]["__typename"] for r in results}
    assert "GradePayload" in kinds and kinds <= {"GradePayload", "ConflictError"}


def test_every_mutation_can_report_a_conflict_as_data():
    from graphql import GraphQLUnionType, get_named_type

    from schema.root import build_schema

    mutation = build_schema()._schema.mutation_type
    assert mutation is not None
    lacking = []
    for name, field in mutation.fields.items():
        result = get_named_type(field.type)
        members = {t.name for t in result.types} if isinstance(result, GraphQLUnionType) else set()
        if "ConflictError" not in members:
            lacking.append(name)
    assert lacking == []
