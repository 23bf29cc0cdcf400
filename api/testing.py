"""The real service, in a plugin's own tests: grade customers through GraphQL with the plugin registered.

    from api.testing import running_service

    async def test_a_haulier_is_graded_by_my_card():
        async with running_service("transport-scorecard=creditcare_transport.plugin") as service:
            customer = await service.customer(industry_code="G54")
            await service.statement(customer, revenue="80000000.00")
            assessment = await service.assess(customer, {"fleet_age": "modern"})
            assert assessment["strategyId"] == "transport-logistics"

The plugin runs as it would in production: in its own worker processes, loaded by its import
reference (``name=module`` or ``name=module:attribute``, as in ``CREDITCARE_EXTRA_PLUGINS``),
beside the installed plugins. The database is a fresh SQLite file, migrated; one branch (``HZ01``)
and one relationship manager (``rm``, with a confidentiality agreement) exist; requests are made
as ``rm`` unless told otherwise. It lives in ``api`` rather than ``plugins/testing.py`` because
``plugins`` depends on nothing of the service (``plugins/testing.py`` checks a strategy alone).
"""

from __future__ import annotations

import asyncio
import random
import secrets
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from api.auth import issue_token
from api.reference.identifiers import make_credit_code
from api.settings import Environment, Settings

_CREATE_BRANCH = "mutation($i: CreateBranchInput!) { createBranch(input: $i) { __typename } }"
_CREATE_STAFF = "mutation($i: CreateStaffMemberInput!) { createStaffMember(input: $i) { __typename } }"
_AGREEMENT = "mutation($i: RecordAgreementInput!) { recordConfidentialityAgreement(input: $i) { __typename } }"
_CREATE_CUSTOMER = """mutation($i: CreateCustomerInput!) { createCustomer(input: $i) {
  __typename ... on CustomerPayload { customer { id } } ... on InvalidInputError { problems { field message } } } }"""
_VERSION = "query($id: ID!) { customer(id: $id) { version } }"
_STATEMENT = """mutation($i: FinancialStatementInput!) { recordFinancialStatement(input: $i) {
  __typename ... on InvalidInputError { problems { field message } } } }"""
_ASSESS = """mutation($i: AssessGradeInput!) { assessGrade(input: $i) {
  __typename
  ... on GradePayload { assessment {
    grade score strategyId strategyVersion pluginName reasons knockOuts answers trigger
    factors { code name value band points maxPoints reason } } }
  ... on GradingFailedError { message strategyId }
  ... on InvalidInputError { problems { field message } }
} }"""


class ServiceError(AssertionError):
    """The service answered with errors, or with another result than the one asked for."""


class RunningService:
    """A client of the service started by ``running_service``."""

    def __init__(self, client: Any, secret: str) -> None:
        self.client = client
        self._secret = secret
        self.bearer = self.token("rm", "relationship_manager")
        self._codes = random.Random(20261201)

    def token(self, sub: str, *roles: str, branch: str | None = "HZ01") -> str:
        """A bearer token for ``sub`` with ``roles`` (the staff record must exist, but for ``admin``)."""
        return issue_token(self._secret, sub=sub, roles=list(roles), branch=branch, nda=True)

    async def graphql(self, query: str, variables: Mapping[str, Any] | None = None,
                      bearer: str | None = None) -> dict[str, Any]:
        """The ``data`` of a request; ``ServiceError`` if it carries errors."""
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": dict(variables or {})},
            headers={"Authorization": f"Bearer {bearer or self.bearer}"},
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise ServiceError(f"HTTP {response.status_code}: {body.get('errors')}")
        return body["data"]  # type: ignore[no-any-return]

    async def _expect(self, query: str, variables: Mapping[str, Any], wanted: str,
                      bearer: str | None = None) -> dict[str, Any]:
        result = next(iter((await self.graphql(query, variables, bearer)).values()))
        if result["__typename"] != wanted:
            raise ServiceError(f"expected {wanted}, got {result}")
        return result  # type: ignore[no-any-return]

    async def customer(self, *, industry_code: str, name: str = "Test Customer Co., Ltd.") -> str:
        """A new customer of ``rm`` at HZ01 in ``industry_code``; its global id."""
        created = await self._expect(_CREATE_CUSTOMER, {"i": {
            "name": name, "creditCode": make_credit_code(self._codes), "industryCode": industry_code,
            "branchCode": "HZ01", "relationshipManagerUsername": "rm",
        }}, "CustomerPayload")
        return created["customer"]["id"]  # type: ignore[no-any-return]

    async def statement(self, customer_id: str, **figures: Any) -> None:
        """An annual statement for 2025 (healthy defaults; ``figures`` override them, camelCase)."""
        version = (await self.graphql(_VERSION, {"id": customer_id}))["customer"]["version"]
        values = {
            "customerId": customer_id, "version": version, "periodEnd": "2025-12-31", "periodKind": "ANNUAL",
            "currency": "CNY", "totalAssets": "150000000.00", "totalLiabilities": "90000000.00",
            "equity": "60000000.00", "revenue": "120000000.00", "netProfit": "8000000.00", "employees": 350,
            "auditOpinion": "UNQUALIFIED", **figures,
        }
        await self._expect(_STATEMENT, {"i": values}, "FinancialStatementPayload")

    async def assess(self, customer_id: str, answers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Grade the customer with these answers; the stored assessment (``ServiceError`` if it failed)."""
        chosen = [{"questionId": q, "answerId": a} for q, a in (answers or {}).items()]
        result = await self._expect(_ASSESS, {"i": {"customerId": customer_id, "answers": chosen}}, "GradePayload")
        return result["assessment"]  # type: ignore[no-any-return]


@asynccontextmanager
async def running_service(*plugins: str, preferences: Mapping[str, str] | None = None,
                          directory: Path | None = None) -> AsyncIterator[RunningService]:
    """The service in this process, with ``plugins`` (``name=module[:attribute]``) registered."""
    import httpx

    from api.asgi import create_app
    from api.db import migrations

    with tempfile.TemporaryDirectory(prefix="creditcare-service-") as scratch:
        database = Path(directory or scratch) / "service.db"
        url = f"sqlite:///{database}"
        await asyncio.to_thread(migrations.upgrade, url)  # it runs an event loop of its own
        secret = secrets.token_hex(32)
        settings = Settings(
            database_url=url, secret_key=secret, env=Environment.DEVELOPMENT, rate_limit="",
            extra_plugins=list(plugins), grading_preferences=dict(preferences or {}),
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://service"
        ) as client:
            service = RunningService(client, secret)
            admin = service.token("root", "admin", branch=None)
            await service._expect(_CREATE_BRANCH, {"i": {"code": "HZ01", "name": "Hangzhou"}}, "BranchPayload", admin)
            await service._expect(_CREATE_STAFF, {"i": {"username": "rm", "name": "Relationship Manager",
                                                         "branchCode": "HZ01"}}, "StaffMemberPayload", admin)
            await service._expect(_AGREEMENT, {"i": {"username": "rm", "signedOn": "2024-01-01",
                                                     "reference": "NDA-rm"}}, "StaffMemberPayload", admin)
            yield service
