"""Pooled connections the database dropped cost no request: a read tries once more on a new one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.asgi import create_app
from api.settings import Environment, Settings
from conftest import TEST_SECRET, PostgresServer, _admin, token

PAGE = "{ customers(first: 2) { totalCount edges { node { id name } } } }"


@pytest.fixture
def postgresql_url(postgresql_server: PostgresServer) -> str:
    return postgresql_server.new_database()


@pytest.fixture
async def app_on_postgresql(postgresql_url: str) -> Any:
    settings = Settings(
        database_url=postgresql_url, secret_key=TEST_SECRET, env=Environment.DEVELOPMENT, planned_reads_verify=True,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def _pooled_connections(app: Any) -> int:
    pool = app.state.runtime.engine.sync_engine.pool
    return int(pool.checkedin())


async def test_a_read_after_the_database_dropped_the_pooled_connections_is_answered(
    app_on_postgresql: Any, postgresql_url: str
) -> None:
    app = app_on_postgresql
    bearer = token(sub="acme-bank", roles=("third_party",), branch=None, nda=False)  # this database has no staff
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        async def ask() -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {bearer}"}
            response = await client.post("/graphql", json={"query": PAGE}, headers=headers)
            assert response.status_code == 200
            return response.json()  # type: ignore[no-any-return]

        assert "errors" not in await ask()
        assert await _pooled_connections(app) >= 1
        # From outside the pool: every connection of this test's database is ended by the server.
        await _admin(postgresql_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        body = await ask()
        assert "errors" not in body, body
        assert body["data"]["customers"]["totalCount"] == 0
