"""Alembic environment: runs migrations on the async engine; SQLite in batch mode.

A run (all the revisions it applies) is one transaction on both databases, so a revision that
fails or refuses (``api.db.migrations.DowngradeRefused``) leaves the database as it was. On SQLite
that takes two things the service's engine does not do: the driver's own transaction handling is
off so that DDL is inside the transaction too, and foreign keys are not enforced during the run.
Batch mode recreates a table (copy, DROP, rename); with foreign keys enforced that DROP deletes
every row first, and ``ON DELETE CASCADE`` empties the tables that refer to it (downgrading 0003
once emptied six). ``PRAGMA foreign_keys`` is a no-op inside a transaction, so it is set as the
connection opens, and ``PRAGMA foreign_key_check`` proves the result consistent before commit.
See docs/database-roles.md.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db import models  # noqa: F401  (registers every table on the metadata)
from api.db.base import Base
from api.db.migrations import APP_ROLE, grant_app_role, run_option
from api.db.session import create_engine
from api.settings import get_settings, to_async_url

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return to_async_url(config.get_main_option("sqlalchemy.url") or get_settings().migration_url)


def _app_role() -> str | None:
    # `creditcare migrate` and the tests say which role (or none); plain `alembic` reads the setting.
    if APP_ROLE in config.attributes or context.get_x_argument(as_dictionary=True).get(APP_ROLE):
        return run_option(APP_ROLE)
    return get_settings().app_role


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=True,
        compare_type=True,
        # The run's transaction is ours (below), on SQLite as well.
        transactional_ddl=True,
    )


def run_migrations_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_for_migrations(engine: AsyncEngine) -> None:
    # Registered after the service's own "connect" listener (which turns foreign keys on), so it
    # has the last word on this engine's connections.
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")  # before any BEGIN: inside one it is ignored
        cursor.close()
        # The driver would BEGIN only before DML and leave DDL outside; we BEGIN ourselves.
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        # IMMEDIATE: take the write lock now, not halfway through the run.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _check_foreign_keys(connection: Connection) -> None:
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        listed = ", ".join(f"{row[0]} row {row[1]} → {row[2]}" for row in problems[:10])
        raise RuntimeError(f"the migration would leave rows referring to missing rows: {listed}; nothing was changed")


def _run_sync(connection: Connection) -> None:
    with connection.begin():
        _configure(connection=connection)
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            _check_foreign_keys(connection)
        role = _app_role()
        if role and connection.dialect.name == "postgresql":
            grant_app_role(connection, role, target_metadata.tables)


async def run_migrations_online() -> None:
    engine = create_engine(_url())
    if engine.dialect.name == "sqlite":
        _sqlite_for_migrations(engine)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run_sync)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
