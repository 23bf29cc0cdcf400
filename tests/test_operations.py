"""Running the service: probes, migrations, the committed SDL, and the demo portfolio.

``migrations.upgrade``/``downgrade`` call ``asyncio.run`` themselves, so every test that
migrates is a plain (sync) function and runs its own async parts with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import difflib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection

from api.asgi import create_app
from api.cli import main
from api.db import migrations
from api.db.models import Customer, FinancialStatement
from api.db.session import create_engine, create_sessionmaker
from api.reference.identifiers import credit_code_error
from api.services.demo import load_demo_data
from api.settings import Settings, get_settings, to_async_url
from conftest import TEST_SECRET, token

REPO = Path(__file__).resolve().parents[1]
LENDER_CLASSES = {"MANUFACTURING", "SERVICES", "WHOLESALE_RETAIL", "REAL_ESTATE"}
# alice is a demo relationship manager with an agreement; as compliance auditor she sees every row.
READER = token(sub="alice", roles=("compliance_auditor",), branch=None, nda=True)


# --- helpers ---------------------------------------------------------------------------------


@asynccontextmanager
async def serving(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app on ``database_url``, its lifespan running as under uvicorn."""
    application = create_app(Settings(database_url=database_url, secret_key=TEST_SECRET))
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://test") as c,
    ):
        yield c


async def graphql(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {READER}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


async def _aiosqlite_threads_finished(timeout: float = 5.0) -> None:
    """Wait, with the event loop still open, until aiosqlite's worker threads have ended.

    When a connect fails, aiosqlite stops its worker thread without awaiting it; the thread then
    reports to the loop, and raises "Event loop is closed" in a later test if the loop is gone.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while any(t.name.endswith("(_connection_worker_thread)") for t in threading.enumerate()):
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.01)


def inspect_database(database_url: str, look: Callable[[Any], Any]) -> Any:
    """``look(inspector)`` run on a connection to ``database_url`` (from sync code)."""

    def run(connection: Connection) -> Any:
        return look(inspect(connection))

    async def go() -> Any:
        engine = create_engine(to_async_url(database_url))
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(run)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def application_tables(database_url: str) -> set[str]:
    return set(inspect_database(database_url, lambda i: i.get_table_names())) - {"alembic_version"}


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, f"creditcare {' '.join(args)} failed:\n{result.output}\n{result.exception!r}"
    return result


# --- probes ----------------------------------------------------------------------------------


async def test_healthz_answers_200_while_the_process_lives(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_200_at_the_head_revision_and_names_the_policy_in_force(app, client):
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["revision"]) == ("ok", migrations.head_revision())
    assert body["policy"]["digest"] == app.state.runtime.policies.current.digest


@pytest.fixture
def empty_database_url(db_server) -> str:
    """An empty database (made here: ``create_empty`` runs its own event loop)."""
    return db_server.create_empty()


async def test_readyz_is_503_with_a_reason_when_the_database_is_not_migrated(empty_database_url):
    async with serving(empty_database_url) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["reason"] == "database not migrated"
    assert body["revision"] is None
    assert body["expected"] == migrations.head_revision()


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    async with serving(f"sqlite:///{tmp_path / 'no-such-directory' / 'creditcare.db'}") as client:
        response = await client.get("/readyz")
        liveness = await client.get("/healthz")
    await _aiosqlite_threads_finished()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database unreachable"}
    assert liveness.status_code == 200  # not ready, but alive: no restart loop over a database outage


# --- migrations ------------------------------------------------------------------------------


def test_migrations_upgrade_downgrade_to_base_and_upgrade_again(db_server):
    url = db_server.create_empty()
    expected = {table.name for table in _metadata().sorted_tables}

    migrations.upgrade(url)
    assert application_tables(url) == expected
    assert _revision(url) == migrations.head_revision()

    migrations.downgrade(url, "base")
    assert application_tables(url) == set(), "downgrade to base left application tables behind"
    assert _revision(url) is None

    migrations.upgrade(url)
    assert application_tables(url) == expected
    assert _revision(url) == migrations.head_revision()


def test_every_constraint_and_index_is_named_by_the_naming_convention(database_url):
    def problems(i: Any) -> list[str]:
        found: list[str] = []

        def expect(kind: str, table: str, name: str | None, ok: bool) -> None:
            if name is None or not ok:
                found.append(f"{table}: {kind} {name!r}")

        for table in sorted(set(i.get_table_names()) - {"alembic_version"}):
            pk = i.get_pk_constraint(table)
            expect("primary key", table, pk.get("name"), pk.get("name") == f"pk_{table}")
            for fk in i.get_foreign_keys(table):
                want = f"fk_{table}_{fk['constrained_columns'][0]}_{fk['referred_table']}"
                expect("foreign key", table, fk["name"], fk["name"] == want)
            unique_names = set()
            for uq in i.get_unique_constraints(table):
                unique_names.add(uq["name"])
                want = f"uq_{table}_{'_'.join(uq['column_names'])}"
                expect("unique constraint", table, uq["name"], uq["name"] == want)
            for ck in i.get_check_constraints(table):
                name = ck["name"]
                expect("check constraint", table, name, bool(name) and name.startswith(f"ck_{table}_"))
            for ix in i.get_indexes(table):
                name = ix["name"]
                # PostgreSQL also lists the index behind each unique constraint, under its name.
                ok = bool(name) and (name.startswith(f"ix_{table}_") or name in unique_names)
                expect("index", table, name, ok)
        return found

    assert inspect_database(database_url, problems) == []


def _metadata() -> Any:
    import api.db.models  # noqa: F401  (registers the tables)
    from api.db.base import Base

    return Base.metadata


def _revision(url: str) -> str | None:
    async def go() -> str | None:
        engine = create_engine(to_async_url(url))
        try:
            return await migrations.current_revision(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


# --- the committed SDL -----------------------------------------------------------------------


def test_export_schema_prints_exactly_the_committed_schema_graphql():
    exported = invoke("export-schema").output.strip()
    committed = (REPO / "schema" / "schema.graphql").read_text(encoding="utf-8").strip()
    if exported != committed:
        diff = "\n".join(list(difflib.unified_diff(
            committed.splitlines(), exported.splitlines(),
            "schema/schema.graphql (committed)", "creditcare export-schema", lineterm="",
        ))[:60])
        pytest.fail(
            "schema/schema.graphql is out of date with the code; regenerate it with\n"
            "    creditcare export-schema > schema/schema.graphql\n"
            f"and commit it.\n{diff}"
        )


# --- the demo portfolio ----------------------------------------------------------------------


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """CREDITCARE_DATABASE_URL → a fresh SQLite file, for commands that read the environment."""
    url = f"sqlite:///{tmp_path / 'creditcare.db'}"
    monkeypatch.setenv("CREDITCARE_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        yield url
    finally:
        get_settings.cache_clear()


CUSTOMER_PAGE = """query($after: String) {
  customers(first: 100, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      name creditCode
      industry { code category }
      branch { code }
      relationshipManager { username branch { code } }
      financialStatements { periodEnd periodKind }
      serviceRecords(first: 3) { edges { node { occurredAt recordedBy } } }
      openComplaintCount
    } }
  }
}"""
COUNT = "{ customers { totalCount } }"


async def _all_customers(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await graphql(client, CUSTOMER_PAGE, {"after": after}))["customers"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert len(nodes) == page["totalCount"]
            return nodes
        after = page["pageInfo"]["endCursor"]


async def _count(url: str) -> int:
    async with serving(url) as client:
        return (await graphql(client, COUNT))["customers"]["totalCount"]


def test_migrate_then_demo_data_gives_a_realistic_portfolio_loaded_only_once(cli_database):
    invoke("migrate")
    loaded = invoke("demo-data")
    assert loaded.output.startswith("loaded "), loaded.output

    async def portfolio() -> list[dict[str, Any]]:
        async with serving(cli_database) as client:
            assert (await client.get("/readyz")).status_code == 200
            return await _all_customers(client)

    customers = asyncio.run(portfolio())
    assert len(customers) >= 200
    assert {c["industry"]["category"] for c in customers} >= LENDER_CLASSES
    assert len({c["branch"]["code"] for c in customers}) >= 3
    for c in customers:
        assert c["relationshipManager"]["username"], c
        assert c["relationshipManager"]["branch"]["code"] == c["branch"]["code"], c
        assert credit_code_error(c["creditCode"]) is None, (c["creditCode"], credit_code_error(c["creditCode"]))
        annual = [s for s in c["financialStatements"] if s["periodKind"] == "ANNUAL"]
        years = sorted(int(s["periodEnd"][:4]) for s in annual)
        assert len(years) == 3 and years == list(range(years[0], years[0] + 3)), (c["name"], years)
        # Every customer has been served (by its own relationship manager), newest contact first.
        records = [edge["node"] for edge in c["serviceRecords"]["edges"]]
        assert len(records) == 3 and {r["recordedBy"] for r in records} == {c["relationshipManager"]["username"]}
        assert [r["occurredAt"] for r in records] == sorted((r["occurredAt"] for r in records), reverse=True)
    assert 0 < sum(1 for c in customers if c["openComplaintCount"]) < len(customers)

    again = invoke("demo-data")
    assert "not loaded again" in again.output, again.output
    assert asyncio.run(_count(cli_database)) == len(customers)


async def test_demo_loader_loads_twenty_customers_and_sixty_statements_once(database_url):
    engine = create_engine(to_async_url(database_url))
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            summary = await load_demo_data(session, customers_per_branch=5)
        async with sessions.begin() as session:
            second = await load_demo_data(session, customers_per_branch=5)
        async with sessions() as session:
            customers = await session.scalar(select(func.count()).select_from(Customer))
            statements = await session.scalar(select(func.count()).select_from(FinancialStatement))
    finally:
        await engine.dispose()
    assert (summary.customers, summary.statements, summary.already_loaded) == (20, 60, False)
    assert second.already_loaded
    assert (customers, statements) == (20, 60)
