"""How fast `creditcare regrade --all` grades a large portfolio, and whether memory stays flat.

    python bench/regrade.py [--customers 100000] [--database-url URL] [--batch-size 1000]

Creates a fresh database (a temporary SQLite file, or a new database on the PostgreSQL server of
--database-url), migrates it, bulk-loads customers with three annual statements and a credit
event each, basic and operating information, and a previous assessment that answered the
strategy's questions (Core inserts, not the API: loading is not what is measured), then runs the same code
as `creditcare regrade --all` (api.services.regrade) and reports customers per second, the load
time, and peak memory (RSS) before and after grading. Writes bench/results/regrade-<backend>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Table, insert  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from api.db import migrations  # noqa: E402
from api.db.models import (  # noqa: E402
    BasicInformation,
    Branch,
    CreditEvent,
    Customer,
    FinancialStatement,
    GradeAssessment,
    OperatingInformation,
    StaffMember,
)
from api.db.session import create_engine, create_sessionmaker  # noqa: E402
from api.reference.identifiers import make_credit_code  # noqa: E402
from api.services import regrade as bulk  # noqa: E402
from api.settings import to_async_url  # noqa: E402
from plugins.manager import PluginHost  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
INDUSTRIES = ["C13", "C26", "C34", "C39", "F51", "F52", "K701", "I65", "H61", "G54", "L72", "M74"]


def rss_mb() -> float:
    """Resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def create_postgres_database(server_url: str) -> str:
    import asyncpg  # type: ignore[import-untyped]

    u = make_url(server_url)
    name = f"creditcare_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                                 database=u.database)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return u.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(server_url: str, name: str) -> None:
    import asyncpg

    u = make_url(server_url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                                 database=u.database)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


async def load(url: str, customers: int) -> float:
    rng = random.Random(7)
    engine = create_engine(to_async_url(url))
    now = datetime.now(UTC)
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(insert(_table(Branch)), [{"code": "HZ01", "name": "Hangzhou", "created_at": now}])
        await conn.execute(insert(_table(StaffMember)),
                           [{"username": "alice", "name": "Alice", "branch_code": "HZ01", "created_at": now}])
    # A portfolio graded before, as every lender's is: each customer's last assessment answered
    # its strategy's questions, so a regrade reuses the answers and puts the new grades in force.
    strategies = {code: PluginHost(isolation="none").strategy_for(code) for code in INDUSTRIES}
    chunk = 5000
    for start in range(0, customers, chunk):
        ids = range(start + 1, min(start + chunk, customers) + 1)
        rows, statements, events, assessments, basics, operations = [], [], [], [], [], []
        for cid in ids:
            q = rng.betavariate(2.4, 1.6)
            industry = rng.choice(INDUSTRIES)
            asked = strategies[industry].strategy.questions
            answers = {question.id: rng.choice(question.answers).id for question in asked}
            assessments.append({
                "customer_id": cid, "assessed_at": now, "assessed_by": "bench", "trigger": "assessment",
                "grade": "B", "score": Decimal("70.00"), "strategy_id": strategies[industry].id,
                "strategy_version": "bench",
                "plugin_name": "builtin", "plugin_distribution": "creditcare", "plugin_version": "bench",
                "factors": [], "reasons": [], "knock_outs": [], "answers": answers, "facts": {},
            })
            basics.append({"customer_id": cid, "established_on": date(1990 + cid % 30, 1 + cid % 12, 1),
                           "updated_at": now})
            operations.append({"customer_id": cid, "market_share_percent": Decimal(f"{q * 20:.4f}"),
                               "industry_position": rng.choice(["leader", "major", "average", "minor"]),
                               "main_products": ["product"], "sales_channels": ["direct"],
                               "upstream_partners": [], "downstream_partners": [], "updated_at": now})
            rows.append({
                "id": cid, "name": f"Bench Customer {cid}", "credit_code": make_credit_code(rng),
                "industry_code": industry, "branch_code": "HZ01", "relationship_manager_id": 1, "grade": "B",
                "credit_status": "general", "credit_status_basis": "bench", "credit_status_set_at": now,
                "credit_status_set_by": "bench", "version": 1, "created_at": now, "created_by": "bench",
                "updated_at": now, "latest_statement_period_end": date(now.year - 1, 12, 31),
            })
            revenue = rng.uniform(5e6, 5e8)
            for back in (3, 2, 1):
                assets = revenue * rng.uniform(0.8, 1.6)
                liabilities = assets * (0.88 - 0.5 * q)
                statements.append({
                    "customer_id": cid, "period_end": date(now.year - back, 12, 31), "period_kind": "annual",
                    "currency": "CNY", "total_assets": Decimal(f"{assets:.2f}"),
                    "total_liabilities": Decimal(f"{liabilities:.2f}"),
                    "current_assets": Decimal(f"{liabilities * 0.55 * (0.85 + 1.4 * q):.2f}"),
                    "current_liabilities": Decimal(f"{liabilities * 0.55:.2f}"),
                    "cash": Decimal(f"{liabilities * 0.1:.2f}"),
                    "short_term_debt": Decimal(f"{liabilities * 0.2:.2f}"),
                    "long_term_debt": Decimal(f"{liabilities * 0.2:.2f}"),
                    "equity": Decimal(f"{assets - liabilities:.2f}"), "revenue": Decimal(f"{revenue:.2f}"),
                    "net_profit": Decimal(f"{revenue * (-0.04 + 0.17 * q):.2f}"),
                    "operating_profit": Decimal(f"{revenue * (-0.02 + 0.2 * q):.2f}"),
                    "interest_expense": Decimal(f"{liabilities * 0.02:.2f}"),
                    "operating_cash_flow": Decimal(f"{revenue * 0.1 * q:.2f}"),
                    "accounts_receivable": Decimal(f"{revenue * 0.15:.2f}"), "employees": rng.randint(10, 3000),
                    "audit_opinion": "unqualified", "recorded_at": now, "recorded_by": "bench",
                })
            events.append({"customer_id": cid, "occurred_on": date(now.year - 1, 6, 1),
                           "kind": rng.choice(["loan_repaid"] * 9 + ["overdue"]), "days_past_due": None,
                           "description": "bench", "recorded_at": now, "recorded_by": "bench"})
        async with engine.begin() as conn:
            await conn.execute(insert(_table(Customer)), rows)
            await conn.execute(insert(_table(FinancialStatement)), statements)
            await conn.execute(insert(_table(CreditEvent)), events)
            await conn.execute(insert(_table(GradeAssessment)), assessments)
            await conn.execute(insert(_table(BasicInformation)), basics)
            await conn.execute(insert(_table(OperatingInformation)), operations)
    await engine.dispose()
    return time.perf_counter() - started


async def grade_all(url: str, batch_size: int, isolation: str) -> dict[str, Any]:
    engine = create_engine(to_async_url(url))
    sessions = create_sessionmaker(engine)
    # As the service runs them (CREDITCARE_PLUGIN_ISOLATION): strategies in worker processes by default.
    host = PluginHost(isolation=isolation)
    async with sessions.begin() as session:
        run = await bulk.open_run(session, industry=None, resume=False, started_by="bench")
        run_id = run.id
    rss_before = rss_mb()
    started = time.perf_counter()
    processed = changed = failed = provisional = 0
    peaks = []
    async for result in bulk.regrade_batches(sessions, run_id=run_id, host=host, timeout=2.0, size=batch_size):
        processed, changed, failed = processed + result.processed, changed + result.changed, failed + result.failed
        provisional += result.provisional
        peaks.append(rss_mb())
    seconds = time.perf_counter() - started
    await engine.dispose()
    host.close()
    quarter = max(1, len(peaks) // 4)
    return {"customers": processed, "changed": changed, "failed": failed, "provisional": provisional,
            "seconds": round(seconds, 2),
            "customers_per_second": round(processed / seconds, 1), "rss_mb_before": round(rss_before, 1),
            "rss_mb_after_first_quarter": round(peaks[quarter - 1], 1), "rss_mb_at_end": round(peaks[-1], 1),
            "rss_mb_max_during": round(max(peaks), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL; default: temporary SQLite")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL benchmark database")
    parser.add_argument("--isolation", choices=("process", "none"), default="process",
                        help="where strategies run: worker processes (the service's default) or this process")
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the JSON (default: bench/results/regrade-<backend>.json)")
    args = parser.parse_args()
    if args.database_url:
        url, backend = asyncio.run(create_postgres_database(args.database_url)), "postgresql"
    else:
        url, backend = f"sqlite:///{tempfile.mkdtemp()}/regrade.db", "sqlite"
    try:
        migrations.upgrade(url)
        load_seconds = asyncio.run(load(url, args.customers))
        result = asyncio.run(grade_all(url, args.batch_size, args.isolation))
    finally:
        # Also when grading fails half-way: a run must not leave its database behind.
        if backend == "postgresql" and not args.keep:
            asyncio.run(drop_postgres_database(args.database_url, make_url(url).database or ""))
    result.update(backend=backend, isolation=args.isolation, load_seconds=round(load_seconds, 1),
                  batch_size=args.batch_size,
                  python=sys.version.split()[0], when=datetime.now(UTC).isoformat(timespec="seconds"))
    print(json.dumps(result, indent=2))
    output = args.output or RESULTS / f"regrade-{backend}{'' if args.isolation == 'process' else '-in-process'}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")

if __name__ == "__main__":
    main()
