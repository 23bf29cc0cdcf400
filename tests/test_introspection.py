"""Who may introspect the schema is a policy rule: administrators everywhere, developers in development."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import factories as f
from api.asgi import create_app
from api.settings import Environment, Settings
from conftest import Api

SCHEMA = "{ __schema { queryType { name } } }"
TYPE = '{ __type(name: "Customer") { name } }'
IN_A_FRAGMENT = "query { ...Shape } fragment Shape on Query { __schema { types { name } } }"
AUDIT_DENIALS = """{ auditLog(where: {action: DENY}, first: 10) { edges { node { principal object fields } } } }"""


def _refused(body: dict[str, Any], env: str) -> None:
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTROSPECTION_FORBIDDEN"
    assert f"in {env}" in error["message"] and f"schema:introspection:{env}" in error["message"]


@pytest.fixture
async def production(settings: Settings) -> AsyncIterator[Api]:
    """A client of the same database served as in production."""
    app = create_app(settings.model_copy(update={"env": Environment.PRODUCTION}))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield Api(client)


async def test_a_credit_approver_may_not_introspect_and_the_refusal_is_audited(api):
    await f.organisation(api)
    approver = f.as_("carl", "credit_approver")
    for document in (SCHEMA, TYPE, IN_A_FRAGMENT):
        _refused(await api(document, bearer=approver), "development")
    denials = (await api.ok(AUDIT_DENIALS, bearer=f.as_("audrey", "compliance_auditor")))["auditLog"]["edges"]
    assert {(d["node"]["principal"], d["node"]["object"]) for d in denials} == {
        ("carl", "schema:introspection:development")}
    assert {field for d in denials for field in d["node"]["fields"]} == {"Query.__schema", "Query.__type"}


async def test_typename_stays_free_and_a_mention_in_a_comment_or_string_is_no_introspection(api):
    await f.organisation(api)
    approver = f.as_("carl", "credit_approver")
    assert await api.ok("{ __typename }", bearer=approver) == {"__typename": "Query"}
    commented = '# { __schema { types { name } } }\n{ industries(section: "__type") { code } }'
    assert await api.ok(commented, bearer=approver) == {"industries": []}


async def test_an_administrator_may_introspect_in_development_and_in_production(api, production):
    assert (await api.ok(SCHEMA, bearer=f.ADMIN))["__schema"]["queryType"]["name"] == "Query"
    assert (await production.ok(TYPE, bearer=f.ADMIN))["__type"]["name"] == "Customer"


async def test_a_developer_may_introspect_in_development_only(api, production):
    await f.organisation(api)
    developer = f.as_("alice", "developer")
    assert (await api.ok(SCHEMA, bearer=developer))["__schema"]["queryType"]["name"] == "Query"
    assert (await api.ok("{ me { mayIntrospect } }", bearer=developer))["me"]["mayIntrospect"] is True
    _refused(await production(SCHEMA, bearer=developer), "production")
    assert (await production.ok("{ me { mayIntrospect } }", bearer=developer))["me"]["mayIntrospect"] is False


async def test_in_production_nobody_else_may_introspect(api, production):
    await f.organisation(api)
    for bearer in (f.as_("carl", "credit_approver"), f.as_("audrey", "compliance_auditor"), f.as_("alice")):
        _refused(await production(TYPE, bearer=bearer), "production")
