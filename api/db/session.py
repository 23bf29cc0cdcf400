"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def create_engine(
    async_url: str, pool_size: int | None = None, pre_ping: bool = True, **kwargs: Any
) -> AsyncEngine:
    """An engine for ``async_url``; SQLite gets foreign keys, WAL and a busy timeout.

    ``pool_size`` (PostgreSQL) is how many connections stay open between requests. ``pre_ping``
    tests each connection as it leaves the pool (on asyncpg a BEGIN, a query and a ROLLBACK);
    without it a connection the server dropped fails its first statement, SQLAlchemy then
    discards the whole pool, and the caller may try once more (``is_disconnect``).
    """
    if async_url.startswith("sqlite"):
        engine = create_async_engine(async_url, connect_args={"timeout": 15}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # SQLite ignores foreign keys unless asked, per connection.
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in async_url:
                cursor.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL cannot corrupt the database; it may lose the last commits on
                # power loss, and spares an fsync per commit (the audit log commits per request).
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if pool_size is not None:
        kwargs["pool_size"] = pool_size
    return create_async_engine(async_url, pool_pre_ping=pre_ping, **kwargs)


def is_disconnect(error: BaseException) -> bool:
    """Whether ``error`` is a statement that failed because its connection was gone (the pool has
    been discarded: trying again gets a new connection)."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` for reads only, in autocommit: no BEGIN and ROLLBACK round trips around a read.

    Each statement sees the data as of its start; a read that needs one snapshot across
    statements uses a transaction (``create_sessionmaker(engine)``) instead.
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT")
