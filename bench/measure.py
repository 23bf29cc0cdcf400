"""What a server costs: CPU and memory of its process tree (from /proc), and SQL statements per request.

CPU is utime + stime of the server process and every descendant (uvicorn's workers are child
processes), read before and after a run. Memory is the summed VmRSS of the tree, sampled while the
run goes on (``RssSampler``), and the summed VmHWM (each process's own peak) at the end.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after its closing one.
    return raw[raw.rindex(")") + 2 :].split()


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (not ``pid`` itself)."""
    children, found, todo = _children_map(), [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tree(pid: int) -> list[int]:
    return [pid, *descendants(pid)]


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of ``pids`` (fields 14 and 15 of /proc/<pid>/stat), in seconds."""
    ticks = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


def tree_cpu_seconds(pid: int) -> float:
    return cpu_seconds(tree(pid))


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(pid: int) -> float:
    return sum(_status_kb(p, "VmRSS") for p in tree(pid)) / 1024


def tree_hwm_mb(pid: int) -> float:
    """Sum of each process's own peak RSS: an upper bound of the tree's peak."""
    return sum(_status_kb(p, "VmHWM") for p in tree(pid)) / 1024


@dataclass
class RssSampler:
    """Samples the summed VmRSS of a process tree every ``interval`` seconds in a thread."""

    pid: int
    interval: float = 0.5
    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MB)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        started = time.monotonic()

        def run() -> None:
            while not self._stop.is_set():
                self.samples.append((time.monotonic() - started, tree_rss_mb(self.pid)))
                self._stop.wait(self.interval)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def peak_mb(self) -> float:
        return max((mb for _, mb in self.samples), default=0.0)


# ------------------------------------------------------------------------ SQL statements per request

# log_line_prefix '%m [%p] %q%u@%d ': a new log entry starts with a timestamp; continuation lines
# of a multi-line statement do not.
_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (\S*@(\S*) )?"
                    r"(LOG|ERROR|FATAL|WARNING|DETAIL|STATEMENT|HINT|CONTEXT):\s+(.*)$")
_STATEMENT = re.compile(r"^(?:statement|execute [^:]*): (.*)$", re.S)
_TRANSACTION = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION|END)\b", re.I)


@dataclass(frozen=True, slots=True)
class StatementCount:
    """Statements a server sent for ``requests`` requests, from the PostgreSQL log."""

    requests: int
    statements: int
    transaction_control: int  # BEGIN / COMMIT / ROLLBACK among them

    @property
    def per_request(self) -> float:
        return self.statements / self.requests

    @property
    def data_per_request(self) -> float:
        return (self.statements - self.transaction_control) / self.requests

    def as_dict(self) -> dict[str, float | int]:
        return {"requests": self.requests, "statements": self.statements,
                "transaction_control": self.transaction_control,
                "per_request": round(self.per_request, 2),
                "data_statements_per_request": round(self.data_per_request, 2)}


def count_logged_statements(text: str, database: str) -> tuple[int, int, list[str]]:
    """Statements logged for ``database`` in a slice of the PostgreSQL log; (all, BEGIN/COMMIT…, samples)."""
    statements = transaction = 0
    samples: list[str] = []
    for line in text.splitlines():
        entry = _ENTRY.match(line)
        if entry is None or entry.group(3) != database or entry.group(4) != "LOG":
            continue
        statement = _STATEMENT.match(entry.group(5))
        if statement is None:
            continue
        statements += 1
        if _TRANSACTION.match(statement.group(1)):
            transaction += 1
        elif len(samples) < 12:
            samples.append(statement.group(1)[:160])
    return statements, transaction, samples


# ------------------------------------------------------------------ the PostgreSQL server, as admin


class PgAdmin:
    """Small admin chores on the PostgreSQL server: per-database settings, backend CPU, the server log.

    Each call opens its own short connection to the server's ``postgres`` database, so it never
    shows up among the benchmark database's backends or in its statement log.
    """

    def __init__(self, server_url: str, database: str) -> None:
        from sqlalchemy.engine import make_url

        self.url = make_url(server_url)
        self.database = database
        self.log_path = _find_pg_log()
        self._postmaster: int | None = None

    async def _connect(self) -> Any:
        import asyncpg  # type: ignore[import-untyped]

        u = self.url
        return await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                                     database=u.database or "postgres")

    def _run(self, sql: str, *args: Any, fetch: bool = False) -> Any:
        async def go() -> Any:
            conn = await self._connect()
            try:
                return await (conn.fetch(sql, *args) if fetch else conn.execute(sql, *args))
            finally:
                await conn.close()

        return asyncio.run(go())

    def set_log_statement(self, on: bool) -> None:
        """``ALTER DATABASE … SET log_statement = 'all'`` (or RESET): new sessions of that database only."""
        action = "SET log_statement = 'all'" if on else "RESET log_statement"
        self._run(f'ALTER DATABASE "{self.database}" {action}')

    def log_line_prefix(self) -> str:
        return self._run("SELECT current_setting('log_line_prefix') AS p", fetch=True)[0]["p"]

    def database_stats(self) -> dict[str, float]:
        """The benchmark database's cumulative counters (pg_stat_database), exited sessions included.

        ``active_time`` is the time its backends spent executing statements (ms); ``sessions`` how
        many sessions were opened. Backends flush these when idle for about a second: sleep before reading.
        """
        rows = self._run("SELECT sessions, active_time, session_time, xact_commit, xact_rollback "
                         "FROM pg_stat_database WHERE datname = $1", self.database, fetch=True)
        return {k: float(v) for k, v in dict(rows[0]).items()}

    def server_cpu_seconds(self) -> float | None:
        """CPU of the whole PostgreSQL server so far: every live process plus the exited ones.

        Counting only the benchmark database's live backends would miss every connection a pool
        opens and closes during a run; the postmaster's cutime/cstime holds the CPU of its reaped
        children. This covers the whole server (background processes, other databases) and is
        only available when the server runs on this machine.
        """
        if self._postmaster is None:
            async def parent_of_backend() -> int | None:
                conn = await self._connect()
                try:  # read while connected: the backend exits with the connection
                    fields = _stat_fields(await conn.fetchval("SELECT pg_backend_pid()"))
                    return None if fields is None else int(fields[1])
                finally:
                    await conn.close()

            self._postmaster = asyncio.run(parent_of_backend())
            if self._postmaster is None:
                return None  # not on this machine (or not visible in /proc)
        fields = _stat_fields(self._postmaster)
        if fields is None:
            return None
        reaped = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
        return reaped + cpu_seconds(tree(self._postmaster))

    # The log: read directly when this process may, else through the server (superuser).
    def log_size(self) -> int:
        if self.log_path is None:
            raise RuntimeError("PostgreSQL log not found (set BENCH_PG_LOG)")
        try:
            return self.log_path.stat().st_size if os.access(self.log_path, os.R_OK) else int(
                self._run("SELECT size FROM pg_stat_file($1)", str(self.log_path), fetch=True)[0]["size"])
        except OSError:
            return int(self._run("SELECT size FROM pg_stat_file($1)", str(self.log_path), fetch=True)[0]["size"])

    def log_read(self, offset: int) -> str:
        assert self.log_path is not None
        if os.access(self.log_path, os.R_OK):
            with self.log_path.open("rb") as f:
                f.seek(offset)
                return f.read().decode(errors="replace")
        size = self.log_size()
        raw = self._run("SELECT pg_read_binary_file($1, $2, $3) AS b", str(self.log_path), offset, size - offset,
                        fetch=True)[0]["b"]
        return bytes(raw).decode(errors="replace")


def _find_pg_log() -> Path | None:
    if os.environ.get("BENCH_PG_LOG"):
        return Path(os.environ["BENCH_PG_LOG"])
    candidates = sorted(Path("/var/log/postgresql").glob("postgresql-*.log"), key=lambda p: p.stat().st_mtime)
    return candidates[-1] if candidates else None


def machine_cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat: how loaded the whole machine was over a run."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)
