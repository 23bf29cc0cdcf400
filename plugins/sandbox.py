"""Plugins run out of the service's process: a small pool of worker processes per plugin.

A strategy or an event hook is code the operator installed, running beside customers' data. In
a worker (``plugins.worker``) it sees only what it is sent (frozen facts, a hook's arguments):
the worker starts with a scrubbed environment (no secret key, no database URL, no credentials)
in an empty directory. A worker past its deadline is killed and replaced, and each plugin has
its own bounded pool, so one plugin's hangs and crashes never take capacity from another; every
failure names the plugin. Requests go to workers as pickles (the service trusts itself); replies
come back as JSON, so nothing a plugin returns can run code in the service.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">I")
#: The largest reply a worker may send for one item; more is refused and the worker replaced.
MAX_REPLY_BYTES = 1_000_000
#: What a worker's environment keeps of the service's: enough to run Python, nothing secret.
KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT")
#: A long list is graded in parts of this many items, shared out among a plugin's workers.
SPREAD_FROM = 100
_DOING = {"grade": "grading", "evaluate": "evaluating"}
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class PluginFailed(Exception):
    """A plugin's worker failed: it raised, hung, died or answered too much. The message names no data."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"plugin {plugin!r} {message}")
        self.plugin = plugin
        self.reason = message


@dataclass(frozen=True, slots=True)
class Failed:
    """One item a strategy could not grade, and why (plain language, naming the plugin)."""

    message: str
    detail: str | None = None  # the exception's own text: for the log only (it may quote figures)


@dataclass(frozen=True, slots=True)
class PluginSource:
    """Where a plugin's code is: its name and an import reference, ``module`` or ``module:attr``."""

    name: str
    reference: str
    distribution: str
    version: str


def scrubbed_environment() -> dict[str, str]:
    """The environment a worker starts with."""
    kept = {name: os.environ[name] for name in KEPT_ENVIRONMENT if name in os.environ}
    return {**kept, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}


class _Timeout(Exception):
    pass


class _Lost(Exception):
    pass


class _Worker:
    """One worker process and the pipes to it."""

    def __init__(self, source: PluginSource, directory: str) -> None:
        bootstrap = (f"import sys; sys.path.insert(0, {_PACKAGE_ROOT!r}); "
                     "from plugins.worker import main; main()")
        self.process = subprocess.Popen(
            [sys.executable, "-c", bootstrap], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=scrubbed_environment(), cwd=directory, close_fds=True, start_new_session=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in = self.process.stdin
        self._out = self.process.stdout.fileno()
        self.send({"path": [p for p in sys.path if p], "name": source.name, "reference": source.reference})

    def send(self, message: Any) -> None:
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._in.write(_HEADER.pack(len(payload)) + payload)
            self._in.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _Lost from exc

    def _read(self, size: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        while size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            ready, _, _ = select.select([self._out], [], [], remaining)
            if not ready:
                raise _Timeout
            chunk = os.read(self._out, min(size, 1 << 20))
            if not chunk:
                raise _Lost
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def receive(self, deadline: float) -> dict[str, Any]:
        (size,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if size > MAX_REPLY_BYTES:
            raise _TooLarge(size)
        reply = json.loads(self._read(size, deadline))
        if not isinstance(reply, dict):
            raise _Lost
        return reply

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._in.close()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def exit_status(self) -> str:
        code = self.process.wait()
        return f"signal {-code}" if code < 0 else f"exit status {code}"


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


class PluginPool:
    """The workers of one plugin: at most ``size`` at work at once, each replaced when it fails."""

    def __init__(self, source: PluginSource, *, size: int, start_timeout: float) -> None:
        self.source = source
        self.size = size
        self._directory = tempfile.TemporaryDirectory(prefix=f"creditcare-plugin-{source.name}-")
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)
        # Calls from the event loop wait in these threads, never in the loop, and never in
        # another plugin's threads: a hung plugin holds only its own.
        # More threads than workers: a call beyond the pool's capacity waits for a worker (up to its
        # deadline) in a thread of this plugin, not in a queue with no deadline.
        self.executor = ThreadPoolExecutor(max_workers=size + 8, thread_name_prefix=f"plugin-{source.name}")
        self._closed = False
        worker, self.description = self._start(time.monotonic() + start_timeout)
        self._idle.append(worker)

    def _start(self, deadline: float) -> tuple[_Worker, dict[str, Any]]:
        """A new worker, and what it said of the plugin once loaded."""
        worker = _Worker(self.source, self._directory.name)
        try:
            reply = worker.receive(deadline)
        except _Timeout:
            worker.kill()
            raise PluginFailed(self.source.name, "took too long to load") from None
        except (_Lost, _TooLarge, ValueError):
            worker.kill()
            raise PluginFailed(self.source.name, f"failed to load (its worker ended: {worker.exit_status()})") from None
        if "error" in reply:
            worker.kill()
            raise PluginFailed(self.source.name, f"failed to load: {reply['error']}")
        return worker, reply

    def _acquire(self, deadline: float) -> _Worker:
        if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise PluginFailed(self.source.name, f"is busy: all {self.size} of its workers are at work "
                                                 "(CREDITCARE_PLUGIN_WORKERS)")
        try:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            if worker is None or worker.process.poll() is not None:
                worker, _ = self._start(deadline)
            return worker
        except BaseException:
            self._slots.release()
            raise

    def _release(self, worker: _Worker, healthy: bool) -> None:
        if healthy and not self._closed:
            with self._lock:
                self._idle.append(worker)
        else:
            worker.kill()
        self._slots.release()

    def grade(
        self, strategy_id: str, items: Sequence[Any], timeout: float, queued_at: float | None = None
    ) -> list[dict[str, Any] | Failed]:
        """Each item's reply (``{"decision": …}`` or ``{"error": …}``), or why there is none."""
        return self.run("grade", strategy_id, items, timeout, queued_at)

    def evaluate(self, rule_id: str, items: Sequence[Any], timeout: float) -> list[dict[str, Any] | Failed]:
        """Each (facts, parameters) item's reply (``{"findings": …}`` or ``{"error": …}``), or why there is none."""
        return self.run("evaluate", rule_id, items, timeout, None)

    def run(
        self, verb: str, target: str, items: Sequence[Any], timeout: float, queued_at: float | None = None
    ) -> list[dict[str, Any] | Failed]:
        """Each item's reply to ``verb`` (grade, evaluate) by the strategy or rule ``target``, or why
        there is none.

        Every item has ``timeout`` seconds; a worker past it is killed, that item fails, and the
        items after it go to a fresh worker. Waiting for a free worker counts from ``queued_at``."""
        results: list[dict[str, Any] | Failed] = []
        pending = list(items)
        start = time.monotonic() if queued_at is None else queued_at
        while pending:
            try:
                worker = self._acquire(start + timeout)
            except PluginFailed as exc:
                results.extend(Failed(exc.reason) for _ in pending)
                break
            done = 0
            try:
                worker.send((verb, target, pending))
                for _ in pending:
                    results.append(worker.receive(time.monotonic() + timeout))
                    done += 1
            except _Timeout:
                results.append(Failed(f"took longer than {timeout:g} s; its worker was stopped"))
            except _TooLarge as exc:
                results.append(Failed(f"answered {exc.size} bytes, more than the {MAX_REPLY_BYTES} allowed"))
            except (_Lost, ValueError):
                results.append(Failed(f"stopped while {_DOING[verb]} ({worker.exit_status()})"))
            else:
                self._release(worker, healthy=True)
                break
            self._release(worker, healthy=False)
            pending = pending[done + 1:]
            start = time.monotonic()
        return results

    def grade_spread(
        self, strategy_id: str, items: Sequence[Any], timeout: float, queued_at: float | None = None
    ) -> Iterator[dict[str, Any] | Failed]:
        """As ``grade``, in order, a long list cut into parts that the pool's workers grade side by
        side (bulk regrading): the caller takes each part's replies as soon as that part is done,
        and works on them while the workers grade the parts after it."""
        if len(items) < 2 * SPREAD_FROM or self.size == 1:
            yield from self.grade(strategy_id, items, timeout, queued_at)
            return
        parts = [items[start:start + SPREAD_FROM] for start in range(0, len(items), SPREAD_FROM)]
        futures = [self.executor.submit(self.grade, strategy_id, part, timeout, None) for part in parts]
        for future in futures:
            yield from future.result()

    def call_hook(self, hook: str, arguments: dict[str, Any], timeout: float) -> None:
        """Run ``hook`` in a worker; a failure, hang or crash is logged (naming the plugin), never raised."""
        try:
            worker = self._acquire(time.monotonic() + timeout)
        except PluginFailed as exc:
            log.error("%s: %s not called", exc, hook)
            return
        healthy = False
        try:
            worker.send(("hook", hook, arguments))
            reply = worker.receive(time.monotonic() + timeout)
            healthy = True
            if "error" in reply:
                log.error("plugin %r failed in %s: %s", self.source.name, hook, reply["error"])
        except _Timeout:
            log.error("plugin %r took longer than %g s in %s; its worker was stopped", self.source.name, timeout, hook)
        except (_Lost, _TooLarge, ValueError):
            log.error("plugin %r stopped in %s (%s)", self.source.name, hook, worker.exit_status())
        finally:
            self._release(worker, healthy)

    def close(self) -> None:
        self._closed = True
        self.executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()
        self._directory.cleanup()
