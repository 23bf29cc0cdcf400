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

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable


class CompiledQuery:
    """A statement whose every value is a named ``bindparam``; rows come as positional tuples."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._asyncpg: tuple[str, tuple[str, ...], dict[str, Any]] | None = None

    def _for_asyncpg(self, session: AsyncSession) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        if self._asyncpg is None:
            compiled = self.statement.compile(dialect=session.bind.dialect)
            # Literals in the statement became anonymous parameters: their values are the defaults.
            self._asyncpg = (compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params))
        return self._asyncpg

    async def rows(self, session: AsyncSession, values: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """The statement's rows for ``values`` (a value for every bind parameter)."""
        if session.bind.dialect.driver != "asyncpg":
            return (await session.execute(self.statement, dict(values))).all()
        sql, names, defaults = self._for_asyncpg(session)
        connection = await session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        return await raw.fetch(sql, *(values[name] if name in values else defaults[name] for name in names))
