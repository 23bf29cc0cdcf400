"""``GET /metrics`` (Prometheus) and the sampled shadow check of planned reads in production.

The metrics: requests by operation and outcome, latency by read path, the read path with the
fallback's reason, shadow outcomes, audited policy decisions, the database pool; with several
workers (``creditcare serve --workers 2``) one scrape sums them all. The shadow check: with
``planned_reads_verify`` off, a sampled planned request is answered again by the regular
resolvers after its response; a difference is counted and logged, never shown to the client,
and the shadow's own audit trail is never written.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from sqlalchemy import func, select, update

import factories as f
from api.asgi import create_app
from api.asgi.metrics import Metrics, fallback_reason, operation_name
from api.db.models import AuditEntry, Customer
from api.settings import Settings
from conftest import TEST_SECRET, token
from schema.planned import Fallback

# ``api.asgi`` re-exports the endpoint function under the module's own name.
endpoint = importlib.import_module("api.asgi.graphql_endpoint")
shadow = importlib.import_module("api.asgi.shadow")
REPO = Path(__file__).resolve().parent.parent

PORTFOLIO = "query Portfolio { customers(first: 5) { edges { node { id name } } } }"
PAGED = "query Paged($first: Int) { customers(first: $first) { edges { node { id } } } }"
BROKEN = "query Broken { noSuchField }"
GRADES = "query Grades { customers(first: 5) { edges { node { id name grade { level } } } } }"
STATEMENTS = "query Statements($id: ID!) { customer(id: $id) { name financialStatements { revenue } } }"
ACME = token(sub="acme-bank", roles=("third_party",), branch=None, nda=False)
RECORD_CONSENT = """mutation($input: RecordConsentInput!) { recordConsent(input: $input) { __typename } }"""


class Scrape:
    """One answer of ``/metrics``, parsed: ``scrape(name, label=value, ...)`` is a sample's value (0 if absent)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self.samples[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def __call__(self, name: str, **labels: str) -> float:
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """The sum over every sample of ``name`` whose labels include ``labels``."""
        wanted = set(labels.items())
        return sum(value for (sample, have), value in self.samples.items() if sample == name and wanted <= have)


async def scrape(client: httpx.AsyncClient) -> Scrape:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape(response.text)


async def _alices_customers(api: Any) -> list[dict[str, Any]]:
    await f.organisation(api)
    first = await f.customer(api, name="Metered Co., Ltd.")
    first = {**first, **await f.statement(api, first["id"], first["version"])}
    second = await f.customer(api, name="Counted Co., Ltd.")
    return [first, second]


async def _consented_to_acme(api: Any, customer_id: str) -> None:
    """acme-bank (a third party) may see ``customer_id``: its planned reads of grades are denials."""
    data = await api.ok(RECORD_CONSENT, {"input": {
        "customerId": customer_id, "thirdParty": "acme-bank", "groups": ["FINANCIAL"],
        "documentReference": "CONSENT-METRICS-1", "validFrom": "2020-01-01T00:00:00+00:00",
    }})
    assert data["recordConsent"]["__typename"] == "ConsentPayload", data


def _shadows_on(app: Any, rate: float = 1.0) -> None:
    """Production's setting: no synchronous verification; shadow checks at ``rate``."""
    runtime = app.state.runtime
    runtime.settings = runtime.settings.model_copy(
        update={"planned_reads_verify": False, "planned_reads_shadow_rate": rate}
    )


async def _audit_entries(app: Any) -> int:
    async with app.state.runtime.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(AuditEntry)) or 0)


# --- the metrics ------------------------------------------------------------------------------


async def test_metrics_count_requests_by_operation_outcome_and_read_path(app: Any, api: Any, client: Any) -> None:
    await _alices_customers(api)  # mutations: the regular resolvers
    before = await scrape(client)
    assert before("creditcare_graphql_requests_total", operation="anonymous", outcome="ok") > 0
    regular_before = before("creditcare_graphql_read_path_total", path="regular", reason="")

    body = await api(PORTFOLIO)
    assert [e["node"]["name"] for e in body["data"]["customers"]["edges"]] == ["Metered Co., Ltd.", "Counted Co., Ltd."]
    await api(PORTFOLIO)
    # A planned shape whose variables do not coerce: the regular resolvers word the error.
    fallback = await api.post(PAGED, {"first": "many"})
    assert fallback.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    broken = await api(BROKEN)  # fails validation: never planned
    assert broken["errors"]
    unauthenticated = await client.post("/graphql", json={"query": PORTFOLIO})
    assert unauthenticated.status_code == 401

    after = await scrape(client)
    assert after("creditcare_graphql_requests_total", operation="Portfolio", outcome="ok") == 2
    assert after("creditcare_graphql_requests_total", operation="Paged", outcome="errors") == 1
    assert after("creditcare_graphql_requests_total", operation="Broken", outcome="errors") == 1
    assert after("creditcare_graphql_requests_total", operation="unknown", outcome="rejected") == 1
    assert after("creditcare_graphql_read_path_total", path="planned", reason="") == 2
    assert after("creditcare_graphql_read_path_total", path="fallback", reason="variables") == 1
    assert after("creditcare_graphql_read_path_total", path="regular", reason="") - regular_before == 1
    assert after("creditcare_graphql_read_path_total", path="failed", reason="") == 0
    # The four paths are disjoint; Runtime.read_paths counts every resolver answer as "regular".
    paths = app.state.runtime.read_paths
    assert after.total("creditcare_graphql_read_path_total", path="planned") == paths["planned"]
    assert after.total("creditcare_graphql_read_path_total", path="fallback") == paths["fallback"]
    assert after.total("creditcare_graphql_read_path_total") == paths["planned"] + paths["regular"]
    # The latency histogram, by read path (refusals included).
    assert after("creditcare_graphql_request_duration_seconds_count", path="planned") == 2
    assert after("creditcare_graphql_request_duration_seconds_count", path="fallback") == 1
    assert after("creditcare_graphql_request_duration_seconds_count", path="rejected") == 1
    assert after("creditcare_graphql_request_duration_seconds_sum", path="planned") > 0
    assert after("creditcare_graphql_request_duration_seconds_bucket", path="planned", le="+Inf") == 2
    # Every outcome of a shadow check is a series from the start, at 0 here (verify mode is on).
    assert 'creditcare_planned_read_shadows_total{outcome="mismatch"} 0.0' in after.text


async def test_metrics_report_the_database_pool(app: Any, api: Any, client: Any) -> None:
    await api(PORTFOLIO, bearer=ACME)
    metrics = await scrape(client)
    pool = app.state.runtime.engine.pool
    assert metrics("creditcare_db_pool_size", pool="primary") == pool.size() > 0
    assert metrics("creditcare_db_pool_checked_out", pool="primary") == 0  # nothing in flight
    assert metrics("creditcare_db_pool_idle", pool="primary") >= 1
    assert metrics("creditcare_db_pool_overflow", pool="primary") == 0
    # The read engine shares the primary pool: no second series.
    assert metrics("creditcare_db_pool_size", pool="read") == 0
    # A scraper that asks for OpenMetrics gets it.
    openmetrics = await client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert openmetrics.text.rstrip().endswith("# EOF")


async def test_metrics_count_audited_policy_decisions_by_outcome(app: Any, api: Any, client: Any) -> None:
    first, _ = await _alices_customers(api)
    await _consented_to_acme(api, first["id"])
    before = await scrape(client)
    denied = await api(GRADES, bearer=ACME)  # planned: grades are no third party's
    assert [e["extensions"]["code"] for e in denied["errors"]] == ["FORBIDDEN"]
    read = await api.ok(STATEMENTS, {"id": first["id"]})  # alice reads her customer's financials
    assert read["customer"]["financialStatements"]
    after = await scrape(client)

    def counted(outcome: str) -> float:
        return after("creditcare_policy_decisions_total", outcome=outcome) - before(
            "creditcare_policy_decisions_total", outcome=outcome
        )

    assert (counted("deny"), counted("read"), counted("disclose")) == (1, 1, 0)


def test_the_operation_label_is_bounded() -> None:
    metrics = Metrics(max_operation_names=2)
    assert metrics.operation_label("Portfolio") == "Portfolio"
    assert metrics.operation_label("Detail") == "Detail"
    assert metrics.operation_label("Third") == "other"  # over the cap
    assert metrics.operation_label("Portfolio") == "Portfolio"  # admitted names stay
    assert metrics.operation_label(None) == "anonymous"
    assert Metrics().operation_label("not a name!") == "other"
    assert Metrics().operation_label("N" * 65) == "other"
    assert operation_name(None, "  query Named($a: Int) { x }") == "Named"
    assert operation_name("Sent", "query Named { x }") == "Sent"
    assert operation_name(None, "{ customers { totalCount } }") is None


def test_fallbacks_are_counted_under_the_reason_the_planner_names() -> None:
    from api.errors import Forbidden, InvalidInput, NotFound

    assert fallback_reason(Fallback("variables do not coerce", "variables")) == "variables"
    assert fallback_reason(Fallback("null for a non-null field", "null_in_non_null")) == "null_in_non_null"
    assert fallback_reason(Fallback.of(InvalidInput.one("after", "not a cursor"))) == "bad_input"
    assert fallback_reason(Fallback.of(Forbidden("Not authorized to filter on Customer.size"))) == "refused"
    assert fallback_reason(Fallback.of(NotFound("Customer"))) == "not_found"
    assert fallback_reason(Fallback("a reason with no category")) == "other"
    assert fallback_reason(Fallback("a label that is not a word", "Not A Word!")) == "other"


async def test_metrics_can_be_turned_off(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"metrics_enabled": False}))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.get("/healthz")).status_code == 200


# --- shadow verification -------------------------------------------------------------------------


def test_the_shadow_rate_is_a_share_between_0_and_1(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().planned_reads_shadow_rate == 0.001
    monkeypatch.setenv("CREDITCARE_PLANNED_READS_SHADOW_RATE", "0.25")
    assert Settings().planned_reads_shadow_rate == 0.25
    for wrong in (-0.1, 1.5):
        with pytest.raises(ValidationError):
            Settings(planned_reads_shadow_rate=wrong)


async def test_a_shadow_mismatch_is_counted_and_logged_and_never_shown_to_the_client(
    app: Any, api: Any, client: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await _alices_customers(api)
    _shadows_on(app)
    regular = endpoint._regular

    async def wrong_regular(*args: Any) -> dict[str, Any]:  # a planner bug, seen from the other side
        answer = await regular(*args)
        answer["data"]["customers"]["edges"][1]["node"]["name"] = "Tampered Co., Ltd."
        return answer

    monkeypatch.setattr(endpoint, "_regular", wrong_regular)
    with caplog.at_level(logging.WARNING, logger=shadow.__name__):
        response = await api.post(PORTFOLIO)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    assert [e["node"]["name"] for e in body["data"]["customers"]["edges"]] == ["Metered Co., Ltd.", "Counted Co., Ltd."]
    metrics = await scrape(client)
    assert metrics("creditcare_planned_read_shadows_total", outcome="mismatch") == 1
    assert metrics("creditcare_planned_read_shadows_total", outcome="same") == 0
    assert metrics("creditcare_graphql_requests_total", operation="Portfolio", outcome="ok") == 1
    [record] = [r for r in caplog.records if "differs from the regular resolvers" in r.getMessage()]
    message = record.getMessage()
    assert response.headers["x-request-id"] in message
    assert "Portfolio" in message
    assert "data.customers.edges[1].node.name: other value" in message
    assert "Counted Co." not in message and "Tampered" not in message  # where, never what


async def test_a_shadow_that_sees_the_data_change_is_not_a_mismatch(
    app: Any, api: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _alices_customers(api)
    _shadows_on(app)
    regular = endpoint._regular

    async def renamed_first(*args: Any) -> dict[str, Any]:  # someone writes between the two reads
        async with app.state.runtime.engine.begin() as connection:
            await connection.execute(update(Customer.__table__).where(Customer.__table__.c.name == "Counted Co., Ltd.")
                                     .values(name="Renamed Co., Ltd."))
        return await regular(*args)

    monkeypatch.setattr(endpoint, "_regular", renamed_first)
    data = await api.ok(PORTFOLIO)
    assert [e["node"]["name"] for e in data["customers"]["edges"]] == ["Metered Co., Ltd.", "Counted Co., Ltd."]
    metrics = await scrape(client)
    assert metrics("creditcare_planned_read_shadows_total", outcome="changed") == 1
    assert metrics("creditcare_planned_read_shadows_total", outcome="mismatch") == 0


async def test_the_shadow_writes_no_audit_entries(app: Any, api: Any, client: Any) -> None:
    first, _ = await _alices_customers(api)
    await _consented_to_acme(api, first["id"])
    _shadows_on(app)
    before = await _audit_entries(app)
    body = await api(GRADES, bearer=ACME)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # The request's own denial, once: the shadow's trail (the same denial) is compared and dropped.
    assert await _audit_entries(app) - before == 1
    metrics = await scrape(client)
    assert metrics("creditcare_planned_read_shadows_total", outcome="same") == 1
    assert metrics("creditcare_graphql_read_path_total", path="planned", reason="") == 1


async def test_a_shadow_rate_of_0_runs_no_shadow(
    app: Any, api: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _alices_customers(api)
    _shadows_on(app, rate=0.0)
    calls: list[Any] = []
    regular = endpoint._regular

    async def counted(*args: Any) -> dict[str, Any]:
        calls.append(args)
        return await regular(*args)

    monkeypatch.setattr(endpoint, "_regular", counted)
    for _ in range(5):
        await api.ok(PORTFOLIO)
    assert calls == []
    metrics = await scrape(client)
    assert metrics("creditcare_graphql_read_path_total", path="planned", reason="") == 5
    assert metrics.total("creditcare_planned_read_shadows_total") == 0


async def test_no_shadow_runs_while_every_planned_read_is_verified(app: Any, api: Any, client: Any) -> None:
    await _alices_customers(api)
    runtime = app.state.runtime
    runtime.settings = runtime.settings.model_copy(update={"planned_reads_shadow_rate": 1.0})
    assert runtime.settings.planned_reads_verify  # the suite's setting: checked before the response
    await api.ok(PORTFOLIO)
    metrics = await scrape(client)
    assert metrics("creditcare_graphql_read_path_total", path="planned", reason="") == 1
    assert metrics.total("creditcare_planned_read_shadows_total") == 0


async def test_shadows_beyond_the_per_process_cap_are_skipped(app: Any, api: Any, client: Any) -> None:
    await _alices_customers(api)
    _shadows_on(app)
    runtime = app.state.runtime
    runtime.shadows_running = shadow.MAX_SHADOWS  # as if that many were still running
    await api.ok(PORTFOLIO)
    assert runtime.shadows_running == shadow.MAX_SHADOWS
    metrics = await scrape(client)
    assert metrics("creditcare_planned_read_shadows_total", outcome="skipped") == 1
    assert metrics("creditcare_planned_read_shadows_total", outcome="same") == 0


# --- several workers ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _requests_by_worker(directory: Path) -> dict[int, float]:
    """The GraphQL requests each worker counted, from prometheus-client's per-process files."""
    counted: dict[int, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.split("_")[1])
        for key, value, _timestamp, _position in MmapedDict.read_all_values_from_file(str(path)):
            if json.loads(key)[0] == "creditcare_graphql_requests":
                counted[pid] = counted.get(pid, 0.0) + value
    return counted


async def _wait_until(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = await condition()
            if found:
                return found
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def test_with_several_workers_one_scrape_counts_every_worker(sqlite_server: Any, tmp_path: Path) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"left over by an earlier run")  # emptied at start
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ, "CREDITCARE_DATABASE_URL": sqlite_server.new_database(), "CREDITCARE_SECRET_KEY": TEST_SECRET,
        "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": str(REPO), "CREDITCARE_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "serve", "--workers", "2", "--port", str(port)],
        cwd=REPO, env=environment, start_new_session=True,
    )

    async def get(path: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=base, timeout=10) as fresh:  # a connection of its own
            return await fresh.get(path, **kwargs)

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(base_url=base, timeout=10) as fresh:
            return await fresh.post("/graphql", json={"query": PORTFOLIO},
                                    headers={"Authorization": f"Bearer {ACME}"})  # no staff in this database

    try:
        async def both_workers_sampled_their_pools() -> bool:
            # Each worker samples its pool at start: the gauges are summed over the live workers.
            metrics = Scrape((await get("/metrics")).text)
            return metrics("creditcare_db_pool_size", pool="primary") == 10  # 2 × SQLite's 5

        await _wait_until(both_workers_sampled_their_pools, 60, "both workers")
        assert not (directory / "counter_1.db").exists()
        sent = 0
        for _ in range(5):  # until both workers have answered some (the kernel picks the acceptor)
            responses = await asyncio.gather(*(post() for _ in range(12)))
            assert all(r.status_code == 200 for r in responses)
            sent += len(responses)
            if len(_requests_by_worker(directory)) == 2:
                break
        by_worker = _requests_by_worker(directory)
        assert len(by_worker) == 2 and all(by_worker.values()), by_worker
        for _ in range(6):  # whichever worker answers the scrape, it answers for both
            metrics = Scrape((await get("/metrics")).text)
            assert metrics("creditcare_graphql_requests_total", operation="Portfolio", outcome="ok") == sent
            assert metrics("creditcare_graphql_read_path_total", path="planned", reason="") == sent
            assert "process_cpu_seconds_total" not in metrics.text  # one worker's: left out
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert not list(directory.glob("gauge_live*.db"))  # stopped workers no longer count in the pool
