"""Shared fixtures: every database test runs on SQLite and, when configured, on PostgreSQL.

PostgreSQL is configured by ``CREDITCARE_TEST_POSTGRES_URL`` (e.g.
``postgresql://postgres@127.0.0.1:5432/test``). Unset: the PostgreSQL variants skip, and the run
ends with a banner naming them; with ``CREDITCARE_REQUIRE_POSTGRES=1`` (CI) they fail instead
(``postgres_skips.py``). Set but unreachable: they fail. Each run works in a database of its own,
created and dropped here.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from api.asgi import create_app
from api.auth import issue_token
from api.db import migrations
from api.settings import Environment, Settings
from plugins.manager import PluginHost, builtin_plugins
from plugins.sandbox import PluginSource
from postgres_skips import POSTGRES_ENV as POSTGRES_ENV  # re-exported: tests import it from here
from postgres_skips import postgres_url

# Loud PostgreSQL skips, fatal when CREDITCARE_REQUIRE_POSTGRES=1.
pytest_plugins = ["postgres_skips"]

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- databases -------------------------------------------------------------------------------


async def _admin(url: str, *statements: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database=u.database,
        timeout=10,
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


class PostgresServer:
    """A throwaway database on the configured server, migrated once per test run."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.name = f"creditcare_test_{uuid.uuid4().hex[:10]}"
        self.url = make_url(server_url).set(database=self.name).render_as_string(hide_password=False)
        asyncio.run(_admin(server_url, f'CREATE DATABASE "{self.name}"'))
        migrations.upgrade(self.url)

    def new_database(self) -> str:
        """Empty the tables (the schema stays at head) and return the URL."""
        import api.db.models  # noqa: F401  (registers the tables)
        from api.db.base import Base

        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        # The audit log refuses TRUNCATE by trigger; only test isolation may bypass triggers.
        asyncio.run(_admin(self.url, "SET session_replication_role = replica",
                           f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        return self.url

    def create_empty(self) -> str:
        """A further database with no tables, for migration tests."""
        name = f"{self.name}_{uuid.uuid4().hex[:6]}"
        asyncio.run(_admin(self.server_url, f'CREATE DATABASE "{name}"'))
        self._extra = [*getattr(self, "_extra", []), name]
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop(self) -> None:
        for name in [self.name, *getattr(self, "_extra", [])]:
            asyncio.run(_admin(self.server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class SqliteTemplate:
    """A migrated SQLite file copied for each test (much faster than migrating each time)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.template = directory / "template.db"
        migrations.upgrade(f"sqlite:///{self.template}")

    def new_database(self) -> str:
        target = self.directory / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def create_empty(self) -> str:
        return f"sqlite:///{self.directory / (uuid.uuid4().hex + '-empty.db')}"


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer]:
    url = postgres_url()  # unset → skip (fail when CREDITCARE_REQUIRE_POSTGRES=1)
    server = PostgresServer(url)  # unreachable → error: a configured database must not be skipped
    yield server
    server.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_server(request: pytest.FixtureRequest) -> SqliteTemplate | PostgresServer:
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def database_url(db_server: SqliteTemplate | PostgresServer) -> str:
    return db_server.new_database()


# --- the application ---------------------------------------------------------------------------


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Every planned read of the suite is also run on the regular resolvers and must answer the same.
    # Tests send requests as fast as they can as few principals: the rate limit has its own tests.
    return Settings(
        database_url=database_url, secret_key=TEST_SECRET, env=Environment.DEVELOPMENT, planned_reads_verify=True,
        rate_limit="",
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


def token(sub: str = "alice", roles: tuple[str, ...] = ("relationship_manager",), branch: str | None = "HZ01",
          nda: bool = True) -> str:
    return issue_token(TEST_SECRET, sub=sub, roles=list(roles), branch=branch, nda=nda)


class Api:
    """A GraphQL client of the app under test, acting as one principal unless told otherwise."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.bearer = token()

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, bearer: str | None = None
    ) -> httpx.Response:
        return await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {bearer or self.bearer}"},
        )

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, bearer: str | None = None
    ) -> dict[str, Any]:
        response = await self.post(query, variables, bearer=bearer)
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, *, bearer: str | None = None
    ) -> dict[str, Any]:
        """The data of a response that must carry no errors."""
        body = await self(query, variables, bearer=bearer)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


@pytest.fixture
async def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


# --- scheduling ----------------------------------------------------------------------------------

# Files that run for minutes in one piece (a benchmark with its own servers, browsers, private
# database servers) go first: with two test processes (scripts/test) the other takes the many
# short files meanwhile, instead of the suite waiting on a long file scheduled last.
_LONG_FILES = ("test_bench.py", "test_browser.py", "test_faults.py", "test_migration_safety.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in _LONG_FILES)  # stable: the rest keep their order


def sample_source(name: str) -> PluginSource:
    """A plugin of ``sample_plugins`` as an installed plugin is seen: loaded by reference in workers."""
    return PluginSource(name, f"sample_plugins:{name}", "sample-plugins", "1.0")


@pytest.fixture
def sandboxed(app: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Install sample plugins, each in worker processes; gradings and rules may take 0.5 s."""
    monkeypatch.setattr(settings, "grading_timeout_seconds", 0.5)
    hosts: list[PluginHost] = []

    def install(*names: str, prefer: str | None = None, workers: int = 2, hook_timeout: float = 5.0) -> PluginHost:
        host = PluginHost(
            extra=builtin_plugins(), entry_points=False, isolation="process", sources=[sample_source(n) for n in names],
            workers=workers, hook_timeout=hook_timeout, preferences={"C": prefer or names[0]},
        )
        hosts.append(host)
        monkeypatch.setattr(app.state.runtime, "plugins", host)
        return host

    yield install
    for host in hosts:
        host.close()
