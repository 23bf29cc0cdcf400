"""What field-level authorization costs: one 50-customer page, with and without the Authorization extension.

    python bench/authz_overhead.py [--requests N] [--database-url URL]

Builds a temporary SQLite database (unless --database-url is given), migrates it, loads the demo
portfolio (15 customers per branch: 60), builds the app in-process and calls it as an ASGI
application directly (``AsgiClient``: the standard library only, no network, nothing beyond what
``pip install -e .`` installs). Requests alternate between (a) the schema as shipped and (b) the
same schema without the ``Authorization`` extension; everything else is identical (the endpoint
still computes the principal's decisions and row scope in both). Also timed: the decisions of a
freshly loaded policy (cold) against cached ones (warm), and one raw ``Enforcer.enforce`` call.
Prints a table and writes bench/results/authz_overhead.json.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select  # noqa: E402

from api.asgi import create_app  # noqa: E402
from api.auth import issue_token  # noqa: E402
from api.authz.policy import Subject  # noqa: E402
from api.db import migrations  # noqa: E402
from api.db.models import AuditEntry  # noqa: E402
from api.db.session import create_engine, create_sessionmaker  # noqa: E402
from api.services.demo import load_demo_data  # noqa: E402
from api.settings import Settings, to_async_url  # noqa: E402
from schema.authz import Authorization  # noqa: E402
from schema.root import Schema  # noqa: E402

SECRET = "bench-secret-key-that-is-long-enough-for-hs256"
RESULTS = Path(__file__).resolve().parent / "results" / "authz_overhead.json"
SUBJECT = Subject(roles=frozenset({"compliance_auditor"}), agreement=True)
PAGE = """query Page($first: Int!) { customers(first: $first) { edges { node {
  name
  industry { code name }
  size
  creditStatus
  branch { code name }
  relationshipManager { username name }
  basicInformation { legalRepresentativeName legalRepresentativeIdNumber }
  financialStatements(last: 3) { revenue netProfit }
  creditInformation { externalRating }
} } } }"""


class AsgiClient:
    """POSTs JSON to an ASGI application in-process, as an HTTP server would call it (no network)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        raw = json.dumps(body).encode()
        sent = {"content-type": "application/json", "content-length": str(len(raw)), "host": "bench", **headers}
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in sent.items()],
            "client": ("127.0.0.1", 50000), "server": ("bench", 80),
        }
        done = asyncio.Event()
        delivered = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": raw, "more_body": False}
            await done.wait()  # the client stays connected until the response is complete
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        await self.app(scope, receive, send)
        done.set()
        return status, json.loads(b"".join(chunks))


def unauthorized_schema(shipped: Schema) -> Schema:
    """The shipped schema less the Authorization extension.

    A second ``Schema(query=Query, ...)`` cannot be built in the same process (strawberry's relay
    ``node`` field is finalised on the first build: ``assert field.base_resolver is None``), so this
    is a shallow copy sharing the built GraphQL schema with its own extension list. Strawberry
    instantiates extensions from ``schema.extensions`` on every request, so the copy runs the
    resolvers exactly as shipped, only without ``Authorization.resolve`` (and its audit notes and
    masking).
    """
    bare = copy.copy(shipped)
    bare.extensions = tuple(ext for ext in shipped.extensions if ext is not Authorization)
    assert len(bare.extensions) == len(shipped.extensions) - 1, shipped.extensions
    return bare


def summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "n": len(ms),
        "mean_ms": statistics.fmean(ms),
        "p50_ms": statistics.median(ms),
        "p95_ms": ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))],
    }


async def load_demo(url: str) -> None:
    engine = create_engine(to_async_url(url))
    try:
        async with create_sessionmaker(engine).begin() as session:
            await load_demo_data(session, customers_per_branch=15)
    finally:
        await engine.dispose()


async def run(requests: int, url: str) -> dict[str, Any]:
    await load_demo(url)
    app = create_app(Settings(database_url=url, secret_key=SECRET))
    bearer = issue_token(SECRET, sub="alice", roles=["compliance_auditor"], branch="HZ01", nda=True)
    headers = {"Authorization": f"Bearer {bearer}"}
    body = {"query": PAGE, "variables": {"first": 50}}

    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        schemas = {"a": runtime.schema, "b": unauthorized_schema(runtime.schema)}
        counts = {"statements": 0, "audit_inserts": 0, "audit_rows": 0}

        @event.listens_for(runtime.engine.sync_engine, "before_cursor_execute")
        def _count(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
            counts["statements"] += 1
            if statement.lstrip().upper().startswith("INSERT INTO AUDIT"):
                counts["audit_inserts"] += 1
                counts["audit_rows"] += len(parameters) if executemany else 1

        client = AsgiClient(app)

        async def page(mode: str) -> tuple[float, dict[str, int]]:
            runtime.schema = schemas[mode]
            before = dict(counts)
            start = time.perf_counter()
            status, payload = await client.post("/graphql", body, headers)
            elapsed = time.perf_counter() - start
            assert status == 200 and "errors" not in payload, payload
            assert len(payload["data"]["customers"]["edges"]) == 50, payload
            return elapsed, {k: counts[k] - before[k] for k in counts}

        for _ in range(10):  # warm up both: parser/validation caches, decisions, connections
            await page("a")
            await page("b")

        times: dict[str, list[float]] = {"a": [], "b": []}
        per_request: dict[str, dict[str, int]] = {}
        for _ in range(requests):
            for mode in ("a", "b"):
                elapsed, delta = await page(mode)
                times[mode].append(elapsed)
                per_request[mode] = delta  # identical every time for a fixed page

        # A whole page on a freshly loaded policy (every decision computed) against a warm one.
        cold_page, warm_page = [], []
        for _ in range(10):
            await runtime.policies.reload()
            cold_page.append((await page("a"))[0])
            warm_page.append((await page("a"))[0])
        coordinates = sorted(runtime.policies.current.decisions(SUBJECT)._fields)

        async with runtime.engine.connect() as conn:
            audit_rows_total = int(await conn.scalar(select(func.count()).select_from(AuditEntry)))

        # The decisions this page needs, alone: fresh Policy (cold) and cached (warm).
        store = runtime.policies.store
        cold, warm = [], []
        for _ in range(20):
            policy = await store.load()
            start = time.perf_counter()
            decisions = policy.decisions(SUBJECT)
            _ = decisions.row_kinds
            for coordinate in coordinates:
                decisions.field(coordinate)
            cold.append(time.perf_counter() - start)
            start = time.perf_counter()
            decisions = policy.decisions(SUBJECT)
            _ = decisions.row_kinds
            for coordinate in coordinates:
                decisions.field(coordinate)
            warm.append(time.perf_counter() - start)

        enforcer, sub = runtime.policies.current.enforcer, SUBJECT.casbin_sub
        assert enforcer.enforce(sub, "Customer.financialStatements", "read")
        start = time.perf_counter()
        for _ in range(1000):
            enforcer.enforce(sub, "Customer.financialStatements", "read")
        enforce_ms = (time.perf_counter() - start) / 1000 * 1000

    a, b = summary(times["a"]), summary(times["b"])
    return {
        "page": {"customers": 50, "principal": "alice (compliance_auditor, agreement)", "query": PAGE},
        "requests_each": requests,
        "database": url.split("://")[0],
        "python": platform.python_version(),
        "with_authorization": a,
        "without_authorization": b,
        "overhead_pct_of_a": (a["mean_ms"] - b["mean_ms"]) / a["mean_ms"] * 100,
        "overhead_ms": a["mean_ms"] - b["mean_ms"],
        "overhead_p50_pct_of_a": (a["p50_ms"] - b["p50_ms"]) / a["p50_ms"] * 100,
        "overhead_p50_ms": a["p50_ms"] - b["p50_ms"],
        "per_request": {
            "with_authorization": per_request["a"],
            "without_authorization": per_request["b"],
        },
        "audit_rows_in_log_after_run": audit_rows_total,
        "page_cold_policy": summary(cold_page),
        "page_warm_policy": summary(warm_page),
        "decisions": {
            "coordinates_on_page": len(coordinates),
            "cold": summary(cold),
            "warm": summary(warm),
        },
        "enforce_call_ms": enforce_ms,
    }


def table(r: dict[str, Any]) -> str:
    a, b = r["with_authorization"], r["without_authorization"]
    pa, pb = r["per_request"]["with_authorization"], r["per_request"]["without_authorization"]
    d = r["decisions"]
    rows = [
        f"50-customer page, {r['requests_each']} requests each, interleaved ({r['database']}, Python {r['python']})",
        "",
        f"{'':34} {'mean ms':>9} {'p50 ms':>9} {'p95 ms':>9} {'SQL/req':>8} {'audit rows/req':>15}",
        f"{'(a) authorization as shipped':34} {a['mean_ms']:9.2f} {a['p50_ms']:9.2f} {a['p95_ms']:9.2f}"
        f" {pa['statements']:8d} {pa['audit_rows']:8d} in {pa['audit_inserts']} INSERT",
        f"{'(b) no Authorization extension':34} {b['mean_ms']:9.2f} {b['p50_ms']:9.2f} {b['p95_ms']:9.2f}"
        f" {pb['statements']:8d} {pb['audit_rows']:8d} in {pb['audit_inserts']} INSERT",
        "",
        f"overhead (a-b)/a: mean {r['overhead_pct_of_a']:.1f} % ({r['overhead_ms']:.2f} ms),"
        f" p50 {r['overhead_p50_pct_of_a']:.1f} % ({r['overhead_p50_ms']:.2f} ms) per request",
        f"page on a freshly loaded policy: {r['page_cold_policy']['mean_ms']:.2f} ms mean"
        f" vs {r['page_warm_policy']['mean_ms']:.2f} ms warm (10 each)",
        f"decisions for the page ({d['coordinates_on_page']} coordinates + row scope):"
        f" cold {d['cold']['mean_ms']:.3f} ms, warm {d['warm']['mean_ms'] * 1000:.1f} µs",
        f"Enforcer.enforce, one call (mean of 1,000): {r['enforce_call_ms'] * 1000:.1f} µs",
    ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per variant (default 200)")
    parser.add_argument("--database-url", help="a database to use (migrated, demo data loaded if empty); "
                        "default: a temporary SQLite file")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help=f"where to write the JSON (default: {RESULTS.relative_to(ROOT)})")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="creditcare-bench-") as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
        migrations.upgrade(url)  # outside the event loop: alembic's env runs one of its own
        result = asyncio.run(run(args.requests, url))
    result["wall_seconds"] = time.perf_counter() - started
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(result))
    print(f"\nwrote {args.output} ({result['wall_seconds']:.1f} s)")


if __name__ == "__main__":
    main()
