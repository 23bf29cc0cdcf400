"""Apply and inspect Alembic migrations programmatically (``creditcare migrate``, ``/readyz``), and
the rules every migration run follows (docs/database-roles.md):

- A run is one transaction on both databases: a migration that fails or refuses leaves the
  database exactly as it was (``migrations/env.py``).
- A downgrade never drops an append-only record (``RECORDS``) that holds rows unless the caller
  says so (``discard_records``): it refuses, naming the table and how to archive it first.
- With an application role named, each run leaves that role exactly the privileges the service
  needs on every table (``grant_app_role``): on the records only SELECT and INSERT.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

# Append-only tables a regulator may ask for: the database refuses to change their rows (triggers),
# the application role may only read and append, and a downgrade drops them only when told to.
RECORDS: dict[str, str] = {
    "audit_entry": "the audit log",
    "policy_version": "the history of the access policies in force",
}
# Where ``migrations/env.py`` finds the options of a run (``Config.attributes``); Alembic's command
# line passes the same as ``-x discard_records=true`` / ``-x app_role=NAME``.
DISCARD_RECORDS = "discard_records"
APP_ROLE = "app_role"


class DowngradeRefused(Exception):
    """A downgrade would drop rows that must not be lost silently; nothing was changed."""


def alembic_config(database_url: str, **attributes: object) -> Config:
    """An Alembic configuration for ``database_url`` with no ini file; ``attributes`` are the
    options of the run (``discard_records``, ``app_role``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ``%`` would be read as interpolation by configparser.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes.update(attributes)
    return config


def upgrade(database_url: str, revision: str = "head", *, app_role: str | None = None) -> None:
    """Bring the database at ``database_url`` up to ``revision``; with ``app_role`` (PostgreSQL),
    grant that role what the service needs on every table."""
    command.upgrade(alembic_config(database_url, **{APP_ROLE: app_role}), revision)


def downgrade(
    database_url: str, revision: str, *, discard_records: bool = False, app_role: str | None = None
) -> None:
    """Take the database at ``database_url`` down to ``revision`` (``base`` empties it).

    Raises ``DowngradeRefused`` (and changes nothing) when that would drop an append-only record
    holding rows, unless ``discard_records``.
    """
    command.downgrade(
        alembic_config(database_url, **{DISCARD_RECORDS: discard_records, APP_ROLE: app_role}), revision
    )


@cache
def head_revision() -> str | None:
    """The newest revision the code ships (read once: the scripts are compiled to find it)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None when never migrated)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


# --- used while a migration runs (revisions and env.py) -------------------------------------------


def run_option(name: str) -> str | None:
    """An option of the running migration: set by ``upgrade``/``downgrade`` above, else given on
    Alembic's command line as ``-x name=value``."""
    attributes = context.config.attributes
    if name in attributes:
        value = attributes[name]
        return None if value is None or value is False else str(value)
    return context.get_x_argument(as_dictionary=True).get(name) or None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def refuse_to_drop_records(
    connection: Connection, table: str, revision: str, *, where: str | None = None, what: str | None = None
) -> None:
    """Called by a downgrade before it drops ``table``, one of ``RECORDS`` (or ``what`` of it: a
    column, whose values are the rows matching ``where``): refuses while there is something to
    lose, unless the run was told to discard it."""
    if context.is_offline_mode():  # `alembic downgrade --sql`: a script for a person to read and run
        return
    condition = f" WHERE {where}" if where else ""
    rows = connection.execute(text(f'SELECT count(*) FROM "{table}"{condition}')).scalar_one()
    if not rows or _truthy(run_option(DISCARD_RECORDS)):
        return
    dropped = f"{what} of {table}" if what else table
    raise DowngradeRefused(
        f"refusing to downgrade below revision {revision}: it drops {dropped}, {RECORDS[table]}, which holds "
        f"{rows} row(s) that are append-only and must not be lost silently. Nothing was changed. Archive "
        f"the table first (e.g. pg_dump --table={table}, or sqlite3 DB '.dump {table}'), then run again with "
        f"`creditcare migrate --downgrade --discard-records` (Alembic: -x {DISCARD_RECORDS}=true)."
    )


def grant_app_role(connection: Connection, role: str, tables: Iterable[str]) -> None:
    """Leave ``role`` exactly the privileges the service needs (PostgreSQL; run by the tables' owner
    after every migration run, so tables a revision adds are covered when it adds them).

    Data tables: SELECT, INSERT, UPDATE, DELETE; ``RECORDS``: SELECT and INSERT; the revision
    table: SELECT (``/readyz``); sequences: USAGE and SELECT. Never TRUNCATE, REFERENCES or
    TRIGGER, and never ownership: only an owner may ALTER a table or disable its triggers.
    """
    if not connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
        raise RuntimeError(
            f"application role {role!r} does not exist: create it first (docs/database-roles.md), "
            "or unset CREDITCARE_APP_ROLE"
        )
    me, superuser = connection.execute(text(
        "SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = :r)"
    ), {"r": role}).one()
    if role == me or superuser:
        # Revoking from the owner would strip the owner; a superuser ignores privileges altogether.
        raise RuntimeError(
            f"application role {role!r} is {'the owner running the migrations' if role == me else 'a superuser'}: "
            "the service needs a role of its own without superuser rights (docs/database-roles.md)"
        )
    quote = connection.dialect.identifier_preparer.quote
    who = quote(role)
    schema = quote(connection.execute(text("SELECT current_schema()")).scalar_one())
    present = set(connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )).scalars())
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
        # Start from nothing, so a privilege granted by hand or by an older release does not linger.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}",
    ]
    for table in sorted(set(tables) & present):
        privileges = "SELECT, INSERT" if table in RECORDS else "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f"GRANT {privileges} ON {schema}.{quote(table)} TO {who}")
    if "alembic_version" in present:
        statements.append(f"GRANT SELECT ON {schema}.alembic_version TO {who}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}")
    for statement in statements:
        connection.exec_driver_sql(statement)
