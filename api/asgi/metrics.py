"""Prometheus metrics of the GraphQL endpoint, served at ``GET /metrics`` (prometheus-client).

What is counted, per process (or summed over the workers, see ``metrics_endpoint``):

- ``creditcare_graphql_requests_total{operation, outcome}``: GraphQL requests; ``outcome`` is
  ``ok`` (no errors), ``errors`` (executed, with errors in the response) or ``rejected``
  (refused before execution: 4xx, or ``QUERY_TOO_COMPLEX``).
- ``creditcare_graphql_request_duration_seconds{path}``: time to build the response (the audit
  insert included, sending it excluded), by read path (below, or ``rejected``).
- ``creditcare_graphql_read_path_total{path, reason}``: the read path of each executed request:
  ``planned``; ``fallback`` (a planned shape the regular resolvers answered, ``reason`` the
  category of the ``Fallback``); ``failed`` (a fault on the planned path, answered by the
  regular one); ``regular`` (the planner does not cover the document, or planned reads are off).
  The four are disjoint. (``Runtime.read_paths`` counts ``regular`` for every request the
  resolvers answered, fallbacks and failures included.)
- ``creditcare_planned_read_shadows_total{outcome}``: the sampled re-answers of planned requests
  by the resolvers (``CREDITCARE_PLANNED_READS_SHADOW_RATE``): ``same``, ``mismatch`` (a bug in
  the planner: the difference is logged), ``changed`` (the data changed between the two reads:
  a planned re-read agrees with the resolvers), ``error`` (the shadow run failed) or ``skipped``
  (too many shadows already running in this process).
- ``creditcare_policy_decisions_total{outcome}``: the audited policy decisions of the responses,
  one per entry of the audit trail (an action on a customer): ``read`` (a confidential group
  read), ``disclose`` (read under a customer's consent) and ``deny`` (a FORBIDDEN field). Counted
  from the trail the endpoint writes anyway: nothing is asked of the policy per field.
- ``creditcare_db_pool_{size, checked_out, idle, overflow}{pool}``: the SQLAlchemy pool of the
  engine (``pool="primary"``; the autocommit read engine shares it, ``pool="read"`` appears only
  if it has its own), read when scraped.
- Without several workers, prometheus-client's process and Python collectors (CPU, memory, GC).

The ``operation`` label is bounded: the ``operationName`` sent (else the name of a document that
starts with a named operation), ``anonymous`` without a name, ``unknown`` for a request refused
before its body was read; only names of the GraphQL form (``[_A-Za-z][_0-9A-Za-z]*``, up to 64
characters) of authenticated requests count, and only the first ``MAX_OPERATION_NAMES`` distinct
names a process sees: later ones are ``other``. Every metric update is a counter or histogram
child looked up in a dict: nothing allocates per field.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client import values as prometheus_values
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from api.lifespan import Runtime
from api.services.audit import AuditEvent

log = logging.getLogger(__name__)

MAX_OPERATION_NAMES = 100
ANONYMOUS, UNKNOWN, OTHER = "anonymous", "unknown", "other"
OK, ERRORS, REJECTED = "ok", "errors", "rejected"
PLANNED, FALLBACK, FAILED, REGULAR = "planned", "fallback", "failed", "regular"
SHADOW_OUTCOMES = ("same", "mismatch", "changed", "error", "skipped")
DECISION_OUTCOMES = ("read", "disclose", "deny")
# The categories a ``Fallback`` is counted under (see ``fallback_reason``).
FALLBACK_REASONS = ("variables", "bad_input", "not_found", "out_of_range", "null_in_non_null", "unsupported", "other")
# Planned reads take about a millisecond; the resolvers tens to hundreds.
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
POOL_SAMPLE_SECONDS = 5.0

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_NAMED_OPERATION = re.compile(r"\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
_CATEGORY = re.compile(r"[a-z][a-z0-9_]{0,31}")
_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db")


def multiprocess() -> bool:
    """Whether prometheus-client keeps its values in ``PROMETHEUS_MULTIPROC_DIR`` (decided at its import)."""
    return bool(getattr(prometheus_values.ValueClass, "_multiprocess", False))


def operation_name(sent: str | None, query: str) -> str | None:
    """The operation's name: the ``operationName`` sent, else that of a document starting with one."""
    if sent:
        return sent
    match = _NAMED_OPERATION.match(query)
    return match.group(1) if match else None


def fallback_reason(why: BaseException) -> str:
    """The category of a ``Fallback`` (a bounded label value; the message is free text).

    The planner names it (``Fallback.category``: bad_input, refused, not_found, variables,
    null_in_non_null); anything else is ``other``.
    """
    category = getattr(why, "category", None)
    if isinstance(category, str) and _CATEGORY.fullmatch(category):
        return category
    return "other"


class Metrics:
    """The metrics of one application (its own registry, so that several apps can share a process)."""

    def __init__(self, max_operation_names: int = MAX_OPERATION_NAMES) -> None:
        self.multiprocess = multiprocess()
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.max_operation_names = max_operation_names
        self._requests = Counter(
            "creditcare_graphql_requests", "GraphQL requests by operation name and outcome (ok, errors, rejected).",
            ["operation", "outcome"], registry=registry,
        )
        self._duration = Histogram(
            "creditcare_graphql_request_duration_seconds",
            "Time to answer a GraphQL request, by read path (planned, fallback, failed, regular, rejected).",
            ["path"], buckets=DURATION_BUCKETS, registry=registry,
        )
        self._read_paths = Counter(
            "creditcare_graphql_read_path", "The read path of each executed GraphQL request; reason: why a fallback.",
            ["path", "reason"], registry=registry,
        )
        self._shadows = Counter(
            "creditcare_planned_read_shadows",
            "Planned requests re-answered by the resolvers after the response, by outcome (mismatch: a planner bug).",
            ["outcome"], registry=registry,
        )
        self._decisions = Counter(
            "creditcare_policy_decisions",
            "Audited policy decisions of the responses (audit entries): read, disclose, deny.",
            ["outcome"], registry=registry,
        )
        # Summed over the live workers when there are several ("livesum").
        self._pool_gauges = {
            name: Gauge(f"creditcare_db_pool_{name}", text, ["pool"], multiprocess_mode="livesum", registry=registry)
            for name, text in (
                ("size", "Connections the database pool keeps open (its configured size)."),
                ("checked_out", "Connections of the database pool in use."),
                ("idle", "Open connections waiting in the database pool."),
                ("overflow", "Connections open beyond the pool's size."),
            )
        }
        if not self.multiprocess:  # they would describe the scraping worker only
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)
            GCCollector(registry=registry)
        # Children by label values, made once: a request pays dict lookups and increments only.
        self._names: set[str] = set()
        self._request_children: dict[tuple[str, str], Any] = {}
        self._duration_children = {
            path: self._duration.labels(path) for path in (PLANNED, FALLBACK, FAILED, REGULAR, REJECTED)
        }
        self._path_children: dict[tuple[str, str], Any] = {
            (path, ""): self._read_paths.labels(path, "") for path in (PLANNED, FAILED, REGULAR)
        }
        for reason in FALLBACK_REASONS:
            self._path_children[(FALLBACK, reason)] = self._read_paths.labels(FALLBACK, reason)
        self._shadow_children = {outcome: self._shadows.labels(outcome) for outcome in SHADOW_OUTCOMES}
        self._decision_children = {outcome: self._decisions.labels(outcome) for outcome in DECISION_OUTCOMES}
        self._pools: list[tuple[str, Any]] = []

    # --- per request -----------------------------------------------------------------------

    def operation_label(self, name: str | None) -> str:
        """The ``operation`` label for ``name`` (bounded: see the module's docstring)."""
        if not name:
            return ANONYMOUS
        if name in self._names:
            return name
        if len(self._names) >= self.max_operation_names or not _NAME.fullmatch(name):
            return OTHER
        self._names.add(name)
        return name

    def request(self, operation: str, outcome: str, path: str, reason: str, seconds: float) -> None:
        """One GraphQL request answered: its outcome, its duration and (unless rejected) its read path."""
        key = (operation, outcome)
        child = self._request_children.get(key)
        if child is None:
            child = self._request_children[key] = self._requests.labels(operation, outcome)
        child.inc()
        self._duration_children[path].observe(seconds)
        if path != REJECTED:
            key = (path, reason)
            child = self._path_children.get(key)
            if child is None:
                child = self._path_children[key] = self._read_paths.labels(path, reason)
            child.inc()

    def rejected(self, seconds: float, operation: str = UNKNOWN) -> None:
        """A request refused before it was executed."""
        self.request(operation, REJECTED, REJECTED, "", seconds)

    def decisions(self, events: Sequence[AuditEvent]) -> None:
        """Count the audited decisions of a response (its audit trail's entries)."""
        reads = disclosures = denials = 0
        for event in events:
            action = event.action
            if action == "read":
                reads += 1
            elif action == "deny":
                denials += 1
            elif action == "disclose":
                disclosures += 1
        if reads:
            self._decision_children["read"].inc(reads)
        if disclosures:
            self._decision_children["disclose"].inc(disclosures)
        if denials:
            self._decision_children["deny"].inc(denials)

    def shadow(self, outcome: str) -> None:
        """One shadow check of a planned request ended (``SHADOW_OUTCOMES``)."""
        self._shadow_children[outcome].inc()

    # --- the database pools ----------------------------------------------------------------

    def watch_pools(self, runtime: Runtime) -> None:
        """Report the pools of ``runtime``'s engines (the read engine only when it has a pool of its own)."""
        self._pools = [("primary", runtime.engine.pool)]
        if runtime.read_engine.pool is not runtime.engine.pool:
            self._pools.append(("read", runtime.read_engine.pool))

    def sample_pools(self) -> None:
        """Set the pool gauges from the pools as they are now."""
        gauges = self._pool_gauges
        for label, pool in self._pools:
            size = getattr(pool, "size", None)
            checked_out = getattr(pool, "checkedout", None)
            if size is None or checked_out is None:  # a pool without a queue (NullPool, StaticPool)
                continue
            gauges["size"].labels(label).set(size())
            gauges["checked_out"].labels(label).set(checked_out())
            gauges["idle"].labels(label).set(pool.checkedin())
            gauges["overflow"].labels(label).set(max(0, pool.overflow()))

    async def sample_pools_every(self, seconds: float) -> None:
        """With several workers: keep this worker's pool gauges current (another worker may be scraped)."""
        while True:
            try:
                self.sample_pools()
                _forget_dead_workers()
            except Exception:  # never let the sampler die of a bad moment
                log.exception("sampling the database pools failed")
            await asyncio.sleep(seconds)

    def registry_to_expose(self) -> CollectorRegistry:
        """This process's registry, or with several workers one that reads every worker's values."""
        if not self.multiprocess:
            return self.registry
        merged = CollectorRegistry()
        collector: Any = MultiProcessCollector  # untyped in prometheus-client
        collector(merged)
        return merged


def _multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def _forget_live_gauges(pid: int) -> None:
    """Remove the live gauges of worker ``pid`` (its pool use must no longer count)."""
    directory = _multiprocess_dir()
    if directory:
        for path in glob.glob(os.path.join(directory, f"gauge_live*_{pid}.db")):
            with suppress(FileNotFoundError):
                os.remove(path)


def _forget_dead_workers() -> None:
    """Remove the live gauges of workers that died without cleaning up (uvicorn restarts them)."""
    directory = _multiprocess_dir()
    if not directory:
        return
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        match = _LIVE_GAUGE_FILE.fullmatch(os.path.basename(path))
        if match is None:
            continue
        pid = int(match.group(1))
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            _forget_live_gauges(pid)
        except PermissionError:  # alive, as another user
            pass


Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def observed(lifespan: Lifespan, metrics: Metrics) -> Lifespan:
    """``lifespan``, with the pool gauges watching its runtime (sampled in the background with several workers)."""

    @asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        async with lifespan(app):
            metrics.watch_pools(app.state.runtime)
            sampler = None
            if metrics.multiprocess:
                sampler = asyncio.create_task(metrics.sample_pools_every(POOL_SAMPLE_SECONDS))
            try:
                yield
            finally:
                if sampler is not None:
                    sampler.cancel()
                    with suppress(asyncio.CancelledError):
                        await sampler
                    _forget_live_gauges(os.getpid())

    return run


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: the metrics above in the Prometheus text format (OpenMetrics if asked).

    No authentication, like ``/healthz`` and ``/readyz``: the figures name no customer and no
    principal, only operation names and counts. Route it to the scraper only (not through the
    public proxy), or turn it off with ``CREDITCARE_METRICS_ENABLED=false`` (then 404).

    Several workers (``creditcare serve --workers N``): the command gives them a shared
    ``PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary directory, or the one set, emptied of old
    values at start), and whichever worker answers sums every worker's counters and histograms,
    so the figures are the service's. The pool gauges are each worker's last sample (every 5
    seconds, and the answering worker's at the scrape), summed over the live workers. Process
    metrics (CPU, memory) are then left out: they would describe one worker only. Outside
    ``creditcare serve`` (e.g. ``uvicorn --workers``), set ``PROMETHEUS_MULTIPROC_DIR`` to an
    empty directory yourself, or each scrape sees one worker.
    """
    metrics: Metrics = request.app.state.metrics
    metrics.sample_pools()
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encoder(metrics.registry_to_expose()), headers={"Content-Type": content_type})
