"""How fast the early-warning rules evaluate a large portfolio after a bulk statement import.

    python bench/warnings.py [--customers 100000] [--database-url URL] [--batch-size 500]

Creates a fresh database (a temporary SQLite file, or a new database on the PostgreSQL server of
--database-url), migrates it and bulk-loads the portfolio of ``bench/regrade.py`` (three annual
statements, a credit event, basic and operating information per customer: the import), then runs
the same code as `creditcare warnings evaluate` (api.services.warning_runs, every built-in rule,
plugins in worker processes, a re-grade for each customer with a new HIGH warning) and reports
customers per second, warnings raised, and peak memory. A second pass over the same portfolio
(nothing new to raise) is timed too. Writes bench/results/warnings-<backend>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from api.db import migrations  # noqa: E402
from api.db.session import create_engine, create_sessionmaker  # noqa: E402
from api.principal import Principal  # noqa: E402
from api.services.grading import automatic_regrader  # noqa: E402
from api.services.warning_runs import WarningConfig, evaluate_portfolio  # noqa: E402
from api.settings import to_async_url  # noqa: E402
from bench.regrade import create_postgres_database, drop_postgres_database, load, rss_mb  # noqa: E402
from plugins.manager import PluginHost  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


async def evaluate_all(url: str, batch_size: int, isolation: str) -> dict[str, Any]:
    engine = create_engine(to_async_url(url))
    sessions = create_sessionmaker(engine)
    host = PluginHost(isolation=isolation)
    config = WarningConfig(host, {}, 2.0, "Asia/Shanghai")
    regrade = automatic_regrader(principal=Principal(sub="bench"), host=host, timeout=2.0, on_change=lambda _: None)
    rss_before = rss_mb()
    try:
        first = await evaluate_portfolio(sessions, config, regrade=regrade, batch=batch_size)
        rss_after = rss_mb()
        again = await evaluate_portfolio(sessions, config, regrade=regrade, batch=batch_size)
    finally:
        await engine.dispose()
        host.close()
    return {
        "customers": first.customers, "warnings_raised": first.raised, "customers_with_high": first.high,
        "seconds": round(first.seconds, 2), "customers_per_second": round(first.rate, 1),
        "second_pass_seconds": round(again.seconds, 2), "second_pass_customers_per_second": round(again.rate, 1),
        "second_pass_raised": again.raised, "rss_mb_before": round(rss_before, 1), "rss_mb_after": round(rss_after, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL; default: temporary SQLite")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--isolation", choices=("process", "none"), default="process")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    if args.database_url:
        url, backend = asyncio.run(create_postgres_database(args.database_url)), "postgresql"
    else:
        url, backend = f"sqlite:///{tempfile.mkdtemp()}/warnings.db", "sqlite"
    try:
        migrations.upgrade(url)
        load_seconds = asyncio.run(load(url, args.customers))
        result = asyncio.run(evaluate_all(url, args.batch_size, args.isolation))
    finally:
        if backend == "postgresql":
            asyncio.run(drop_postgres_database(args.database_url, make_url(url).database or ""))
    result.update(backend=backend, isolation=args.isolation, load_seconds=round(load_seconds, 1),
                  batch_size=args.batch_size, python=sys.version.split()[0],
                  when=datetime.now(UTC).isoformat(timespec="seconds"))
    print(json.dumps(result, indent=2))
    output = args.output or RESULTS / f"warnings-{backend}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
