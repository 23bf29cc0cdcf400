"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def create_engine(async_url: str, pool_size: int | None = None, **kwargs: Any) -> AsyncEngine:
    """An engine for ``async_url``; SQLite gets foreign keys, WAL and a busy timeout.

    ``pool_size`` (PostgreSQL) is how many connections stay open between requests.
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
    return create_async_engine(async_url, pool_pre_ping=True, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` for reads only, in autocommit: no BEGIN and ROLLBACK round trips around a read.

    Each statement sees the data as of its start; a read that needs one snapshot across
    statements uses a transaction (``create_sessionmaker(engine)``) instead.
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT")
