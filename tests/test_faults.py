"""Faults: the database stopped, back and frozen; late and idle clients; shutdown with a stuck request.

The database tests run against a PostgreSQL this module starts itself (``initdb`` into a temporary
directory, on a free port), never the shared server: they stop it, start it again and freeze it
(SIGSTOP). They need the PostgreSQL 15 server binaries (``/usr/lib/postgresql/15/bin``, installed
in CI); as root they run them as the ``postgres`` user, since ``initdb`` refuses root.

The connection tests run a real ``creditcare serve`` process on SQLite. Every timeout is set
small through the settings, so the bounds asserted here are a second or two.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.asgi import create_app
from api.db import migrations
from api.settings import Environment, Settings
from conftest import TEST_SECRET, Api, token
from factories import ADMIN, CREATE_BRANCH, CREATE_STAFF, RECORD_AGREEMENT, as_, customer
from postgres_skips import postgres_required

PG_BIN = Path(os.environ.get("CREDITCARE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PAGE = "{ customers(first: 5) { totalCount edges { node { name } } } }"
NAME = "Frozen Lake Instruments Co., Ltd."
# Small bounds, so that each wait below lasts a second or two.
COMMAND_TIMEOUT, STATEMENT_TIMEOUT, POOL_TIMEOUT, CONNECT_TIMEOUT, READINESS_TIMEOUT = 1.5, 1.0, 1.0, 1.0, 0.5
BACK_WITHIN = 5.0  # correct answers again within this long of the database returning


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- a PostgreSQL of this module's own ----------------------------------------------------------


class PrivatePostgres:
    """A PostgreSQL server in a temporary directory on a free port, to stop, start and freeze."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: as root that is private to root, and the server runs as postgres.
        self.directory = Path(tempfile.mkdtemp(prefix="creditcare-faults-"))
        self.data = self.directory / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.populated = False
        if os.geteuid() == 0:
            shutil.chown(self.directory, user="postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def _run(self, program: str, *args: str) -> None:
        command = [str(PG_BIN / program), *args]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off -c synchronous_commit=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.directory / "log"), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def _processes(self) -> list[int]:
        """The postmaster, then its children (the backends and background workers)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    def freeze(self) -> None:
        for pid in self._processes():  # the postmaster first: it forks nothing new after
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in reversed(self._processes()):
            os.kill(pid, signal.SIGCONT)

    def remove(self) -> None:
        try:
            self.thaw()
            self.stop("immediate")
        except (OSError, subprocess.SubprocessError):
            pass  # not running
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    if not (PG_BIN / "initdb").exists():
        reason = f"PostgreSQL server binaries absent ({PG_BIN}); CI installs them (postgresql-15)"
        if postgres_required():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    server = PrivatePostgres()
    try:
        server.start()
        migrations.upgrade(server.url)
        yield server
    finally:
        server.remove()


@pytest.fixture
async def on_private_postgres(private_postgres: PrivatePostgres) -> AsyncIterator[tuple[Any, Api]]:
    """The application on the private server, with one customer, and a client acting as its relationship manager."""
    settings = Settings(
        database_url=private_postgres.url, secret_key=TEST_SECRET, env=Environment.DEVELOPMENT, rate_limit="",
        db_command_timeout_seconds=COMMAND_TIMEOUT, db_statement_timeout_seconds=STATEMENT_TIMEOUT,
        db_pool_timeout_seconds=POOL_TIMEOUT, db_connect_timeout_seconds=CONNECT_TIMEOUT,
        readiness_timeout_seconds=READINESS_TIMEOUT, db_retry_after_seconds=3, outage_log_interval_seconds=60,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://f") as client:
        api = Api(client)
        if not private_postgres.populated:  # the module's first test
            for mutation, values in (
                (CREATE_BRANCH, {"code": "HZ01", "name": "Hangzhou"}),
                (CREATE_STAFF, {"username": "alice", "name": "Alice", "branchCode": "HZ01"}),
                (RECORD_AGREEMENT, {"username": "alice", "signedOn": "2024-01-01", "reference": "NDA-alice"}),
            ):
                await api.ok(mutation, {"input": values}, bearer=ADMIN)
            await customer(api, bearer=as_("alice"), name=NAME)
            private_postgres.populated = True
        api.bearer = as_("alice")  # her customer is the page's one row
        yield app, api


async def _timed(api: Api, path: str = "/graphql") -> tuple[httpx.Response, float]:
    """The response to the page (or a GET of ``path``) and how long it took; a hang fails the test."""
    started = time.monotonic()
    async with asyncio.timeout(20):
        if path == "/graphql":
            response = await api.post(PAGE)
        else:
            response = await api.client.get(path)
    return response, time.monotonic() - started


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["retry-after"] == "3"
    body = response.json()
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["SERVICE_UNAVAILABLE"]


def _answers_correctly(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    data = response.json().get("data") or {}
    edges = (data.get("customers") or {}).get("edges") or []
    return [edge["node"]["name"] for edge in edges] == [NAME]


async def _correct_within(api: Api, seconds: float) -> float:
    """How long until the service answers the page correctly again (fails after ``seconds``)."""
    started = time.monotonic()
    while True:
        response, _ = await _timed(api)
        elapsed = time.monotonic() - started
        if _answers_correctly(response):
            return elapsed
        assert elapsed < seconds, f"still {response.status_code} {response.text[:200]} after {elapsed:.1f} s"
        await asyncio.sleep(0.1)


async def test_with_the_database_stopped_requests_get_a_fast_json_503_and_the_log_one_line(
    on_private_postgres: tuple[Any, Api], private_postgres: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    _, api = on_private_postgres
    assert _answers_correctly((await _timed(api))[0])
    caplog.set_level(logging.INFO)
    private_postgres.stop()
    try:
        for _ in range(5):
            response, took = await _timed(api)
            _assert_unavailable(response)
            assert took < POOL_TIMEOUT + 1
        ready, took = await _timed(api, "/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        assert took < READINESS_TIMEOUT + 1
    finally:
        private_postgres.start()
    outage_lines = [r for r in caplog.records if r.name == "api.asgi.outage"]
    assert len(outage_lines) == 1, [r.getMessage() for r in outage_lines]
    assert "database unavailable (unreachable)" in outage_lines[0].getMessage()
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []  # no traceback anywhere


async def test_once_the_database_is_back_answers_are_correct_within_seconds_without_a_restart(
    on_private_postgres: tuple[Any, Api], private_postgres: PrivatePostgres
) -> None:
    _, api = on_private_postgres
    private_postgres.stop()
    try:
        _assert_unavailable((await _timed(api))[0])
    finally:
        private_postgres.start()
    await _correct_within(api, BACK_WITHIN)
    assert (await _timed(api, "/readyz"))[0].status_code == 200


async def test_with_the_database_frozen_a_request_ends_within_the_command_timeout_with_503(
    on_private_postgres: tuple[Any, Api], private_postgres: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    _, api = on_private_postgres
    assert _answers_correctly((await _timed(api))[0])  # a pooled connection, about to hang
    private_postgres.freeze()
    try:
        response, took = await _timed(api)
        _assert_unavailable(response)
        assert took < COMMAND_TIMEOUT + 1
        response, took = await _timed(api)  # a new connection now: its connect times out
        _assert_unavailable(response)
        assert took < max(CONNECT_TIMEOUT, POOL_TIMEOUT) + 1
        ready, took = await _timed(api, "/readyz")
        assert ready.status_code == 503
        assert took < READINESS_TIMEOUT + 1
    finally:
        private_postgres.thaw()
    await _correct_within(api, BACK_WITHIN)
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


async def test_a_statement_waiting_on_a_lock_is_ended_by_the_statement_timeout_with_503(
    on_private_postgres: tuple[Any, Api], private_postgres: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncpg

    _, api = on_private_postgres
    holder = await asyncpg.connect(private_postgres.url, timeout=5)
    try:
        async with holder.transaction():
            await holder.execute("LOCK TABLE customer IN ACCESS EXCLUSIVE MODE")  # every read of it waits
            response, took = await _timed(api)
        _assert_unavailable(response)
        assert took < STATEMENT_TIMEOUT + 1  # once: a read path that fails so is not tried again the other way
    finally:
        await holder.close()
    assert _answers_correctly((await _timed(api))[0])
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


# --- a real server: late and idle clients, shutdown ----------------------------------------------


class Served:
    """A ``creditcare serve`` process on a copy of a migrated SQLite file, with the given settings
    (environment variables). Started at once; ``ready`` waits until it answers."""

    def __init__(self, template: Path, **settings: str) -> None:
        self.port = _free_port()
        database = template.with_name(f"served-{self.port}.db")
        shutil.copyfile(template, database)
        self.log = template.with_name(f"serve-{self.port}.log")
        env = {
            **os.environ, "CREDITCARE_DATABASE_URL": f"sqlite:///{database}", "CREDITCARE_SECRET_KEY": TEST_SECRET,
            "CREDITCARE_RATE_LIMIT": "", "CREDITCARE_LOG_LEVEL": "info",
            **{f"CREDITCARE_{name.upper()}": value for name, value in settings.items()},
        }
        command = Path(sys.executable).parent / "creditcare"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(command), "serve", "--port", str(self.port)], env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def ready(self) -> Served:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)

    def connect(self, timeout: float) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _closed_after(connection: socket.socket) -> tuple[float, bytes]:
    """Seconds until the server closes ``connection`` (its socket timeout fails the test), and what it sent."""
    started = time.monotonic()
    received = b""
    while chunk := connection.recv(65536):  # socket.timeout: the server kept the connection open
        received += chunk
    return time.monotonic() - started, received


HEADER_TIMEOUT, BODY_TIMEOUT, KEEP_ALIVE, GRACE = 1.0, 1.0, 1, 1
HEAD = (b"POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + token(sub="root", roles=("admin",), branch=None, nda=False).encode() + b"\r\n")


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Served]]:
    """Two servers, started together: one with short deadlines on reading requests, one whose only
    short bound is the shutdown grace period (its body deadline is far away)."""
    template = tmp_path_factory.mktemp("served") / "template.db"
    migrations.upgrade(f"sqlite:///{template}")
    started = {
        "deadlines": Served(template, http_header_timeout_seconds=str(HEADER_TIMEOUT),
                            http_body_timeout_seconds=str(BODY_TIMEOUT), keep_alive_timeout_seconds=str(KEEP_ALIVE)),
        "grace": Served(template, shutdown_grace_seconds=str(GRACE), http_body_timeout_seconds="60"),
    }
    try:
        yield {name: server.ready() for name, server in started.items()}
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture
def served(servers: dict[str, Served]) -> Served:
    return servers["deadlines"]


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(served: Served) -> None:
    with served.connect(timeout=HEADER_TIMEOUT + 3) as connection:
        took, received = _closed_after(connection)
    assert received == b""
    assert HEADER_TIMEOUT - 0.2 < took < HEADER_TIMEOUT + 1


def test_a_half_sent_request_head_is_answered_408_and_closed_after_the_header_timeout(served: Served) -> None:
    with served.connect(timeout=HEADER_TIMEOUT + 3) as connection:
        connection.sendall(HEAD)  # no blank line: the head never ends
        time.sleep(HEADER_TIMEOUT / 2)
        connection.sendall(b"X-Trickle: 1\r\n")  # trickling does not extend the deadline
        took, received = _closed_after(connection)
    assert received.startswith(b"HTTP/1.1 408 ")
    assert took < HEADER_TIMEOUT / 2 + 1


def test_a_half_sent_body_is_closed_after_the_body_timeout(served: Served) -> None:
    with served.connect(timeout=BODY_TIMEOUT + 3) as connection:
        connection.sendall(HEAD + b"Content-Length: 100\r\n\r\n" + b'{"query": ')
        took, received = _closed_after(connection)
    assert received.startswith(b"HTTP/1.1 408 ")
    assert took < BODY_TIMEOUT + 1


def test_an_idle_connection_after_a_response_is_closed_after_the_keep_alive_timeout(served: Served) -> None:
    with served.connect(timeout=KEEP_ALIVE + 3) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        started = time.monotonic()
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
        took = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 200 ")
    assert took < KEEP_ALIVE + 1


def test_on_sigterm_a_stuck_request_holds_the_process_no_longer_than_the_grace_period(
    servers: dict[str, Served],
) -> None:
    server = servers["grace"]  # its body deadline is a minute away: only the grace period ends the request
    with server.connect(timeout=GRACE + 10) as connection:
        connection.sendall(HEAD + b"Content-Length: 100\r\n\r\n" + b'{"query": ')
        time.sleep(0.5)  # the application is reading the body
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(GRACE + 5)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the process outlived its grace period: {server.log.read_text()[-2000:]}")
        took = time.monotonic() - started
    assert took < GRACE + 3
    assert "graceful shutdown exceeded" in server.log.read_text()
