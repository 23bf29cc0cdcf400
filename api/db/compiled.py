"""Statements built and compiled once, then run many times with new values.

SQLAlchemy builds, keys and looks up a statement's compiled form on every execution, and then
adapts asyncpg's rows through a DB-API emulation: on a hot read that is most of the client's
time. A ``CompiledQuery`` holds a Core statement whose values are all named bind parameters;
on PostgreSQL (asyncpg) its SQL is compiled once and run on the driver directly, as a
prepared statement, with values in the database's own types (enum values as their strings,
times with their zone). Elsewhere it runs through SQLAlchemy as usual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Executable

from api.db.session import silence_of

# What a read runs on: a session, or (cheaper per request, for hot reads) a connection.
Reader = AsyncSession | AsyncConnection


def dialect_of(reader: Reader) -> Dialect:
    if isinstance(reader, AsyncConnection):
        return reader.dialect
    assert reader.bind is not None, "a reading session is bound to an engine"
    return reader.bind.dialect


class CompiledQuery:
    """A statement whose every value is a named ``bindparam``; rows come as positional tuples."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._asyncpg: tuple[str, tuple[str, ...], dict[str, Any]] | None = None

    def _for_asyncpg(self, dialect: Dialect) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        if self._asyncpg is None:
            compiled = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
            # Literals in the statement became anonymous parameters: their values are the defaults.
            self._asyncpg = (compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params))
        return self._asyncpg

    async def rows(self, reader: Reader, values: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """The statement's rows for ``values`` (a value for every bind parameter)."""
        dialect = dialect_of(reader)
        if dialect.driver != "asyncpg":
            return (await reader.execute(self.statement, dict(values))).all()
        sql, names, defaults = self._for_asyncpg(dialect)
        connection = reader if isinstance(reader, AsyncConnection) else await reader.connection()
        pooled = await connection.get_raw_connection()
        raw = pooled.driver_connection
        assert raw is not None
        arguments = [values[name] if name in values else defaults[name] for name in names]
        try:
            rows: Sequence[Sequence[Any]] = await raw.fetch(sql, *arguments)
        except (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.InterfaceError,
                asyncpg.exceptions.InternalClientError, ConnectionError) as lost:
            # (A connection the server ended may still be reading its last message: the driver
            # then says another operation is in progress.)
            # Run on the driver, the statement bypassed SQLAlchemy's disconnect handling: do its
            # part. The pool's older connections are likely gone too: it discards them all.
            connection.engine.sync_engine.pool._invalidate(pooled, lost)
            raise DBAPIError(sql, arguments, lost, connection_invalidated=True) from lost
        except (TimeoutError, OSError):
            # Unanswered (a command timeout) or the socket failed: the connection's state is unknown
            # and the server likely silent. Abort it now and have the pool discard the older ones.
            silence = silence_of(connection.engine.sync_engine)
            if silence is not None:
                silence.unanswered()
            raw.terminate()
            raise
        return rows
