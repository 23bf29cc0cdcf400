"""Engine and session factory for SQLite (embedded default) and PostgreSQL, and what a database
outage looks like from here (``outage_kind``)."""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from api.settings import Settings

# Without `DatabaseTimeouts`: how long a SQLite connection waits for another writer's lock.
_SQLITE_BUSY_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class DatabaseTimeouts:
    """How long the service waits on its database before it gives up (seconds; None: no bound).

    ``statement`` is PostgreSQL's own ``statement_timeout``: the server cancels a statement that
    runs longer (a slow plan, a lock wait) and the connection stays usable. ``command`` is asyncpg's
    client-side bound on each round trip: what ends a wait on a server that no longer answers at
    all (frozen, a half-open connection), where a server-side timeout cannot. It should exceed
    ``statement`` so that a slow statement is normally ended by the server, with a clear error.
    ``connect`` bounds opening a connection, ``pool`` waiting for one when all are in use, and
    ``busy`` how long SQLite waits for another writer's lock.
    """

    statement: float | None = None
    command: float | None = None
    connect: float | None = None
    pool: float | None = None
    busy: float = _SQLITE_BUSY_SECONDS

    @classmethod
    def of(cls, settings: Settings) -> DatabaseTimeouts:
        """The service's bounds (``CREDITCARE_DB_*_TIMEOUT_SECONDS``)."""
        return cls(
            statement=settings.db_statement_timeout_seconds, command=settings.db_command_timeout_seconds,
            connect=settings.db_connect_timeout_seconds, pool=settings.db_pool_timeout_seconds,
            busy=settings.db_busy_timeout_seconds,
        )


def create_engine(
    async_url: str, pool_size: int | None = None, pre_ping: bool = True, *,
    timeouts: DatabaseTimeouts | None = None, **kwargs: Any,
) -> AsyncEngine:
    """An engine for ``async_url``; SQLite gets foreign keys, WAL and a busy timeout.

    ``pool_size`` (PostgreSQL) is how many connections stay open between requests. ``pre_ping``
    tests each connection as it leaves the pool (on asyncpg a BEGIN, a query and a ROLLBACK);
    without it a connection the server dropped fails its first statement, SQLAlchemy then
    discards the whole pool, and the caller may try once more (``is_disconnect``). ``timeouts``
    bound every wait on the database (the service's engines); without them only SQLite's busy
    timeout applies (the command-line tools' batch work).
    """
    timeouts = timeouts or DatabaseTimeouts()
    if timeouts.pool is not None and ":memory:" not in async_url:
        kwargs.setdefault("pool_timeout", timeouts.pool)
    if async_url.startswith("sqlite"):
        engine = create_async_engine(async_url, connect_args={"timeout": timeouts.busy}, **kwargs)

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
    connect_args: dict[str, Any] = dict(kwargs.pop("connect_args", {}))
    if async_url.startswith("postgresql+asyncpg"):
        # asyncpg prepares a statement once per connection only up to 15 KiB of SQL by default; a
        # planned read over the industry code list holds it as one constant (about 160 KiB), and
        # re-preparing that on every request costs milliseconds.
        connect_args.setdefault("max_cacheable_statement_size", 1024 * 1024)
        if timeouts.statement is not None:
            server_settings = dict(connect_args.get("server_settings", {}))
            server_settings["statement_timeout"] = str(round(timeouts.statement * 1000))  # milliseconds
            connect_args["server_settings"] = server_settings
        if timeouts.command is not None:
            connect_args["command_timeout"] = timeouts.command
        if timeouts.connect is not None:
            connect_args["timeout"] = timeouts.connect
    engine = create_async_engine(async_url, pool_pre_ping=pre_ping, connect_args=connect_args, **kwargs)
    silence = _Silence()
    _SILENCES[engine.sync_engine] = silence
    event.listen(engine.sync_engine, "connect", silence.opened)
    event.listen(engine.sync_engine, "checkout", silence.checkout)
    event.listen(engine.sync_engine, "handle_error", silence.noticed)
    event.listen(engine.sync_engine, "close", silence.closing)
    return engine


class _Silence:
    """An engine's handling of a server that stopped answering (frozen, or the network gone).

    A round trip that timed out client-side or hit a socket error leaves its connection in an
    unknown state, and the server most likely unreachable. That connection is aborted, and every
    connection opened before it is discarded when next taken from the pool (each would wait the same
    timeout); the pool opens new ones once the server answers again, so no restart is needed. A
    connection the server closed (a restart) is discarded at checkout as well, without a round trip.

    Timeouts are seen two ways: statements run through SQLAlchemy raise into ``handle_error``;
    statements run on the driver directly (``api.db.compiled``) report it through ``silence_of``
    (a query logger would see them too, but costs every statement some microseconds).
    SQLAlchemy closes a discarded connection politely, which on a silent server waits for a reply
    that does not come; so a connection opened before the silence is aborted instead, at once.
    """

    def __init__(self) -> None:
        self.since = -math.inf  # when a round trip last went unanswered (time.monotonic)

    def opened(self, _dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_OPENED] = time.monotonic()

    def unanswered(self) -> None:
        """A round trip run on the driver directly timed out or lost its socket (``api.db.compiled``)."""
        self.since = time.monotonic()

    def noticed(self, context: ExceptionContext) -> None:
        if isinstance(context.original_exception, (TimeoutError, OSError)):
            self.since = time.monotonic()
            context.is_disconnect = True

    def checkout(self, _dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        driver = record.driver_connection
        if record.info.get(_OPENED, -math.inf) <= self.since or (driver is not None and driver.is_closed()):
            # The pool discards it (``closing``) and opens another in its place.
            raise sa_exc.DisconnectionError("connection opened before the database stopped answering, or closed")

    def closing(self, _dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if record.info.get(_OPENED, -math.inf) > self.since:
            return  # opened since: close it the usual way
        terminate = getattr(record.driver_connection, "terminate", None)  # asyncpg's immediate abort
        if callable(terminate):
            terminate()


_OPENED = "creditcare_opened_at"
_SILENCES: weakref.WeakKeyDictionary[Any, _Silence] = weakref.WeakKeyDictionary()


def silence_of(engine: Any) -> _Silence | None:
    """The outage handling of ``engine`` (a sync ``Engine``) made by ``create_engine``, if it was."""
    return _SILENCES.get(engine)


def is_disconnect(error: BaseException) -> bool:
    """Whether ``error`` is a statement that failed because its connection was gone (the pool has
    been discarded: trying again gets a new connection)."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


# PostgreSQL error codes that mean the server cannot serve now, by outage kind; class 08
# (connection exceptions) is ``disconnected`` as a whole.
_UNAVAILABLE_SQLSTATES = {
    "57P01": "shutting_down",  # admin_shutdown
    "57P02": "shutting_down",  # crash_shutdown
    "57P03": "starting",  # cannot_connect_now: starting up, or in recovery
    "53300": "too_many_connections",
    "57014": "statement_timeout",  # query_canceled: statement_timeout (or an operator's cancel)
}
# SQLite errors (OperationalError) that are the file's state, not the statement's fault.
_SQLITE_UNAVAILABLE = (
    ("database is locked", "busy"), ("database table is locked", "busy"),
    ("unable to open database file", "unreachable"), ("disk i/o error", "unreachable"),
)
_DRIVER_MODULES = ("sqlalchemy", "asyncpg", "aiosqlite", "sqlite3")


def outage_kind(error: BaseException) -> str | None:
    """What kind of database outage ``error`` is, or None when it is something else (a bug, bad
    input): ``unreachable`` (refused, reset, no route), ``timeout`` (connecting or a round trip
    took longer than its bound), ``pool_timeout`` (no pooled connection freed in time),
    ``statement_timeout``, ``disconnected`` (the connection died under a statement),
    ``shutting_down``, ``starting``, ``too_many_connections``, or ``busy`` (SQLite locked).

    It looks along the exception's causes, as drivers and SQLAlchemy wrap one in another. A
    ``TimeoutError`` or ``OSError`` counts only when raised through the database code, so that a
    time limit or a file error elsewhere stays what it is.
    """
    for link in _causes(error):
        if isinstance(link, sa_exc.TimeoutError):  # QueuePool limit reached, connection timed out
            return "pool_timeout"
        if isinstance(link, DBAPIError) and link.connection_invalidated:
            return "disconnected"
        sqlstate = getattr(link, "sqlstate", None)
        if isinstance(sqlstate, str):
            if sqlstate.startswith("08"):
                return "disconnected"
            if sqlstate in _UNAVAILABLE_SQLSTATES:
                return _UNAVAILABLE_SQLSTATES[sqlstate]
        if isinstance(link, TimeoutError) and _through_database_code(link):
            return "timeout"
        if isinstance(link, OSError) and _through_database_code(link):
            return "unreachable"
        if isinstance(link, sa_exc.OperationalError) and link.orig is not None:
            message = str(link.orig).lower()
            for text, kind in _SQLITE_UNAVAILABLE:
                if text in message:
                    return kind
        if isinstance(link, sa_exc.InterfaceError) and "connection is closed" in str(link.orig):
            return "disconnected"
    return None


def _causes(error: BaseException, limit: int = 8) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen and len(seen) < limit:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def _through_database_code(error: BaseException) -> bool:
    traceback = error.__traceback__
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.split(".", 1)[0] in _DRIVER_MODULES:
            return True
        traceback = traceback.tb_next
    return False


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` for reads only, in autocommit: no BEGIN and ROLLBACK round trips around a read.

    Each statement sees the data as of its start; a read that needs one snapshot across
    statements uses a transaction (``create_sessionmaker(engine)``) instead.
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT")
