"""How fast `creditcare import-repayments` and `creditcare reclassify` run on a large book (issue 15).

    python bench/credit.py [--borrowers 100000] [--rows 1000000] [--database-url URL] [--keep]

Creates a fresh database (a temporary SQLite file, or a new database on the PostgreSQL server of
--database-url), migrates it and bulk-loads (Core inserts, not the API: loading is not what is
measured) the borrowers of bench/regrade.py — figures, credit events and a previous assessment
each, so that re-grading a borrower whose category changed does the real work — with one credit
facility each: 1,200,000.00 CNY drawn a year ago, 24 monthly installments of 54,000.00. It writes a
CSV of --rows repayments over four in five facilities (the fifth receives none and falls overdue;
the others have paid from 8 to 24 installments' worth, so that arrears grow into every category),
then runs, as an operator would, the installed console script:

1. `creditcare import-repayments <csv>`: rows per second (wall time of the command, which also
   classifies the borrowers it touched in its transaction) and its peak memory;
2. `creditcare reclassify --as-of <today + 200 days>`: borrowers per second (wall time) and its
   peak memory; borrowers whose category changed are re-graded through the plugin host.

Rates are over each command's wall time, start-up included (about 2 s: imports, plugin workers);
the line each command prints (its own rate, without start-up) is kept beside them. Peak memory is
each command's maximum resident set size, from os.wait4 on that command alone (the largest of its
process and the children it waited for: plugin workers). On PostgreSQL the database is ANALYZEd
before each command, as autovacuum would have done on a book loaded long before. Writes
bench/results/credit-<backend>.json and drops the database it created (not with --keep).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from api.clock import business_today  # noqa: E402
from api.db import migrations  # noqa: E402
from api.db.models import CreditFacility, RepaymentInstallment  # noqa: E402
from api.db.session import create_engine  # noqa: E402
from api.settings import to_async_url  # noqa: E402
from bench.regrade import _table, create_postgres_database, drop_postgres_database  # noqa: E402
from bench.regrade import load as load_customers  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
CHUNK = 5000
DRAWN = Decimal("1200000.00")
PRINCIPAL, INTEREST = Decimal("50000.00"), Decimal("4000.00")
INSTALLMENTS = 24
AHEAD_DAYS = 200
# Installments' worth each paying facility has repaid, and how often. With the first one due 30
# days after the start and the start a year ago, 12 fall due by today and 18 by today + 200 days:
# 24 settles the facility, 18 and more stay normal, fewer fall into arrears at one horizon or both.
COVERAGE = (24, 19, 17, 15, 13, 11, 8)
COVERAGE_WEIGHTS = (3, 60, 12, 10, 7, 5, 3)
IMPORT_LINE = re.compile(r"read (\d+) rows in ([\d.]+) s \((\d+)/s\): (\d+) imported, (\d+) refused.*; "
                         r"(\d+) borrowers classified")
RECLASSIFY_LINE = re.compile(r"classified (\d+) borrowers \((\d+) running facilities\) in ([\d.]+) s \((\d+)/s\): "
                             r"(\d+) changed category, (\d+) changed credit status")


def load_average() -> float | None:
    """The 1-minute load average: how busy the machine was before a step (other work skews timings)."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return None


def paying(borrowers: int) -> list[int]:
    """The facilities (numbered as their borrowers) that receive repayments: all but every fifth."""
    return [n for n in range(1, borrowers + 1) if n % 5]


async def load_facilities(url: str, borrowers: int, start_on: date, maturity_on: date) -> None:
    """One facility a borrower (id = the borrower's id) with its 24-installment monthly schedule."""
    engine = create_engine(to_async_url(url))
    now = datetime.now(UTC)
    for first in range(1, borrowers + 1, CHUNK):
        ids = range(first, min(first + CHUNK, borrowers + 1))
        facilities = [{
            "id": n, "customer_id": n, "reference": f"F-{n:07d}", "product": "working capital loan",
            "limit_amount": DRAWN, "currency": "CNY", "drawn_amount": DRAWN, "start_on": start_on,
            "maturity_on": maturity_on, "rate": Decimal("0.0435"), "status": "active", "outstanding": DRAWN,
            "days_past_due": 0, "overdue_amount": Decimal(0), "category": "normal", "category_reasons": [],
            "classified_on": start_on, "recorded_at": now, "recorded_by": "bench", "version": 1,
        } for n in ids]
        installments = [{"facility_id": n, "due_on": start_on + timedelta(days=30 * k), "principal": PRINCIPAL,
                         "interest": INTEREST} for n in ids for k in range(1, INSTALLMENTS + 1)]
        async with engine.begin() as conn:
            await conn.execute(insert(_table(CreditFacility)), facilities)
            for at in range(0, len(installments), CHUNK):
                await conn.execute(insert(_table(RepaymentInstallment)), installments[at:at + CHUNK])
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            # The loads above set ids explicitly: a kept database must still take new rows.
            for table in ("customer", "credit_facility"):
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
    await engine.dispose()


async def analyze(url: str) -> None:
    """Fresh planner statistics, as autovacuum would have gathered on a book loaded long ago."""
    engine = create_engine(to_async_url(url))
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    await engine.dispose()


def write_csv(path: Path, borrowers: int, rows: int, start_on: date, seed: int = 15) -> dict[int, int]:
    """The repayments file, and how many facilities were given each coverage (in installments)."""
    rng = random.Random(seed)
    payers = paying(borrowers)
    if not payers:
        raise SystemExit("--borrowers must be at least 1")
    coverage = rng.choices(COVERAGE, weights=COVERAGE_WEIGHTS, k=len(payers))
    counts = [rows // len(payers) + (1 if index < rows % len(payers) else 0) for index in range(len(payers))]
    cent = Decimal("0.01")
    usual: list[str] = []
    final: list[str] = []
    for covered, count in zip(coverage, counts, strict=True):
        total = covered * (PRINCIPAL + INTEREST)
        share = (total / max(count, 1)).quantize(cent, rounding=ROUND_DOWN)
        usual.append(f"{share:.2f}")
        final.append(f"{total - share * (count - 1):.2f}")  # the last row makes up the rounding
    # Payments spread over the year, from the day after the start to two days before today: never
    # before the start, never ahead of today wherever the lender's day begins.
    span = 363
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(("facility_reference", "paid_on", "amount", "reference"))
        # Round-robin over the paying facilities: a bank's file mixes every account in each chunk.
        for i in range(rows):
            index, nth = i % len(payers), i // len(payers)
            count = counts[index]
            paid_on = start_on + timedelta(days=1 + nth * span // count)
            amount = final[index] if nth == count - 1 else usual[index]
            writer.writerow((f"F-{payers[index]:07d}", paid_on.isoformat(), amount, f"P-{i:08d}"))
    given: dict[int, int] = {}
    for covered, count in zip(coverage, counts, strict=True):
        if count:
            given[covered] = given.get(covered, 0) + 1
    given[0] = borrowers - sum(given.values())
    return dict(sorted(given.items()))


async def categories(url: str) -> dict[str, int]:
    """How many facilities stand in each category (settled ones apart)."""
    engine = create_engine(to_async_url(url))
    table = _table(CreditFacility)
    async with engine.connect() as conn:
        rows = (await conn.execute(
            select(table.c.status, table.c.category, func.count()).group_by(table.c.status, table.c.category)
        )).all()
    await engine.dispose()
    found: dict[str, int] = {}
    for status, category, count in rows:
        key = "settled" if status == "settled" else str(category)
        found[key] = found.get(key, 0) + count
    return dict(sorted(found.items()))


def run_command(args: Sequence[str], url: str, workdir: Path, name: str) -> dict[str, Any]:
    """Run a creditcare command; its wall time, peak RSS (its own, by os.wait4) and last output line."""
    env = {**os.environ, "CREDITCARE_DATABASE_URL": url}
    stdout_path, stderr_path = workdir / f"{name}.out", workdir / f"{name}.err"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(list(args), stdout=stdout, stderr=stderr, env=env, cwd=ROOT)
        # wait4 rather than RUSAGE_CHILDREN: that is a maximum over every child waited for so far,
        # this is the command's own (and its plugin workers', which it waited for).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in stdout_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if process.returncode != 0:
        tail = stderr_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{' '.join(args)} exited with {process.returncode}:\n{tail}\n{chr(10).join(lines[-5:])}")
    # ru_maxrss is in kilobytes on Linux.
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "output": lines[-1] if lines else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--borrowers", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL; default: temporary SQLite")
    parser.add_argument("--keep", action="store_true",
                        help="keep the benchmark database (and the temporary directory with the CSV)")
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the JSON (default: bench/results/credit-<backend>.json)")
    args = parser.parse_args()
    if args.borrowers < 1 or args.rows < 0:
        parser.error("--borrowers must be at least 1 and --rows not negative")
    command = Path(sys.executable).parent / "creditcare"
    if not command.exists():
        raise SystemExit(f"{command} not found: install the project (pip install -e .) in this environment")
    workdir = Path(tempfile.mkdtemp(prefix="creditcare-credit-"))
    if args.database_url:
        url, backend = asyncio.run(create_postgres_database(args.database_url)), "postgresql"
    else:
        url, backend = f"sqlite:///{workdir}/credit.db", "sqlite"
    today = business_today()  # the lender's day, as the commands see it
    start_on = today - timedelta(days=365)
    as_of = today + timedelta(days=AHEAD_DAYS)
    machine: dict[str, Any] = {"cpus": os.cpu_count(), "load_average_before": {}}
    result: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "backend": backend,
                              "borrowers": args.borrowers, "rows": args.rows}
    try:
        machine["load_average_before"]["load"] = load_average()
        started = time.perf_counter()
        migrations.upgrade(url)
        asyncio.run(load_customers(url, args.borrowers))
        asyncio.run(load_facilities(url, args.borrowers, start_on, today + timedelta(days=365)))
        result["load_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        csv_path = workdir / "repayments.csv"
        result["facilities_by_installments_repaid"] = write_csv(csv_path, args.borrowers, args.rows, start_on)
        result["csv_seconds"] = round(time.perf_counter() - started, 1)
        result["csv_mb"] = round(csv_path.stat().st_size / 2**20, 1)
        if backend == "postgresql":
            asyncio.run(analyze(url))

        machine["load_average_before"]["import"] = load_average()
        imported = run_command([str(command), "import-repayments", str(csv_path)], url, workdir, "import")
        if match := IMPORT_LINE.search(imported["output"]):
            read, _, _, written, refused, classified = match.groups()
            imported.update(rows_read=int(read), imported=int(written), refused=int(refused),
                            borrowers_classified=int(classified))
        imported["rows_per_second"] = round(args.rows / imported["seconds"], 1) if imported["seconds"] else None
        result["import"] = imported
        result["categories_after_import"] = asyncio.run(categories(url))
        if backend == "postgresql":
            asyncio.run(analyze(url))

        machine["load_average_before"]["reclassify"] = load_average()
        reclassified = run_command([str(command), "reclassify", "--as-of", as_of.isoformat()], url, workdir,
                                   "reclassify")
        reclassified["as_of"] = as_of.isoformat()
        if match := RECLASSIFY_LINE.search(reclassified["output"]):
            borrowers, facilities, _, _, changed, status_changed = match.groups()
            reclassified.update(borrowers=int(borrowers), running_facilities=int(facilities), changed=int(changed),
                                status_changed=int(status_changed))
        reclassified["borrowers_per_second"] = (
            round(reclassified.get("borrowers", args.borrowers) / reclassified["seconds"], 1)
            if reclassified["seconds"] else None)
        result["reclassify"] = reclassified
        result["categories_after_reclassify"] = asyncio.run(categories(url))
    finally:
        # Also when a step fails half-way: a run must not leave its database behind.
        if args.keep:
            print(f"kept: {url} (and {workdir})", file=sys.stderr)
        else:
            if backend == "postgresql":
                asyncio.run(drop_postgres_database(args.database_url, make_url(url).database or ""))
            shutil.rmtree(workdir, ignore_errors=True)
    result.update(machine=machine, python=sys.version.split()[0])
    print(json.dumps(result, indent=2))
    output = args.output or RESULTS / f"credit-{backend}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
