"""The benchmark portfolio: generated from a fixed seed, bulk-loaded into PostgreSQL (COPY) and SQLite.

The rows are generated once, chunk by chunk, and each chunk goes to both databases, so the two
hold byte-for-byte the same portfolio. Every table is written in the column types the models
declare (enum columns as their lowercase values, timestamps in UTC, money as Decimal), so the
servers read it as if it had been entered through the API.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url

from api.db import models  # noqa: F401  (registers the tables on Base.metadata)
from api.db.base import Base
from api.db.enums import ComplaintChannel, ComplaintStatus, InfoGroup, ServiceKind, ServiceStage
from api.reference.complaint_sla import read_policies
from api.reference.identifiers import make_credit_code
from api.reference.industries import IndustryCategory, all_industries

# Fixed instants rather than "now": the same seed gives the same rows on any day.
LOADED_AT = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
HISTORY_START = datetime(2024, 1, 1, tzinfo=UTC)
HISTORY_SECONDS = int((datetime(2026, 6, 30, tzinfo=UTC) - HISTORY_START).total_seconds())
STATEMENT_PERIOD_END = date(2025, 12, 31)
AGREEMENT_SIGNED_ON = date(2024, 1, 1)

BENCH_RM = "rm001"  # the relationship manager whose portfolio page is loaded
AUDITOR = "auditor01"  # a compliance auditor with a staff record (the server checks it, not the token)
BRANCH_OF_BENCH_RM = "BR01"

# Grade cut-offs of the built-in scorecards (plugins/builtin/cards: A ≥ 85, B ≥ 70, C ≥ 50).
GRADE_BANDS = {"A": (85, 100), "B": (70, 85), "C": (50, 70), "D": (20, 50)}
GRADE_WEIGHTS = (("A", 25), ("B", 40), ("C", 25), ("D", 10))
CREDIT_STATUS_OF_GRADE = {"A": "premium", "B": "general", "C": "general", "D": "watch"}
STRATEGY_OF_CATEGORY = {
    IndustryCategory.MANUFACTURING: "manufacturing",
    IndustryCategory.SERVICES: "services",
    IndustryCategory.WHOLESALE_RETAIL: "wholesale-retail",
    IndustryCategory.REAL_ESTATE: "real-estate",
    IndustryCategory.OTHER: "generic",
}
CITIES = ["Hangzhou", "Ningbo", "Wenzhou", "Shaoxing", "Jiaxing", "Huzhou", "Jinhua", "Taizhou", "Lishui",
          "Quzhou", "Zhoushan", "Shanghai", "Suzhou", "Wuxi", "Nanjing", "Hefei", "Fuzhou", "Xiamen",
          "Shenzhen", "Guangzhou"]
PREFIXES = ["Huaxin", "Dongfang", "Jinqiao", "Xinghai", "Tianrun", "Yongsheng", "Hengtai", "Ruifeng",
            "Baolong", "Minghua", "Kaiyuan", "Longteng", "Shengda", "Fuxing", "Hongyun", "Zhongda"]
STEMS = ["Trading", "Machinery", "Textiles", "Electronics", "Logistics", "Foods", "Chemicals", "Software",
         "Construction", "Packaging", "Hardware", "Garments", "Materials", "Technology", "Agriculture"]
SUFFIXES = ["Co., Ltd.", "Group Co., Ltd.", "Holdings Co., Ltd.", "Industrial Co., Ltd."]
SUMMARIES = {
    ServiceKind.NEEDS_ANALYSIS: "Discussed working-capital needs for the {q} season; {n} new orders expected.",
    ServiceKind.POLICY_EXPLANATION: "Explained the revised pricing policy and the collateral haircuts for {q}.",
    ServiceKind.PROFESSIONAL_GUIDANCE: "Walked the finance team through cash-flow forecasting; {n} actions agreed.",
    ServiceKind.APPROVAL_PROGRESS: "Told the client the facility is with credit approval; {n} documents pending.",
    ServiceKind.CONTRACT_SIGNING: "Facility agreement signed with the legal representative; {n} copies filed.",
    ServiceKind.REVISIT: "Revisited the site: production steady, inventory normal, {n} staff on shift in {q}.",
    ServiceKind.RISK_WARNING: "Warned of concentration on one buyer ({n}% of sales); asked for a {q} plan.",
    ServiceKind.VALUE_ADDED_SERVICE: "Introduced trade-finance and FX hedging products; {n} follow-ups booked.",
    ServiceKind.SITE_VISIT: "Visited the new plant before the {q} review; {n} production lines running.",
    ServiceKind.WARNING_FOLLOW_UP: "Followed up the leverage warning; {n} measures agreed for {q}.",
    ServiceKind.TRAINING: "Trained {n} finance staff on the online banking platform in {q}.",
    ServiceKind.MARKET_INFORMATION: "Shared the {q} steel price outlook; {n} questions answered.",
    ServiceKind.SUPPLY_CHAIN_FINANCE: "Set up supply-chain finance for {n} key buyers from {q}.",
}
QUARTERS = ["Q1", "Q2", "Q3", "Q4"]
MATTERS = ["Fee charged twice on a transfer", "Slow reply to a loan application", "Disputed overdue interest",
           "Branch staff unavailable", "Online banking token not delivered", "Wrong balance on a statement"]
# What the change history records (group, field as the schema names it, major, values): only fields
# every reader of the benchmark (the compliance auditor) reads in full, so no value is masked.
CHANGES: tuple[tuple[InfoGroup, str, bool, tuple[str, ...]], ...] = (
    (InfoGroup.CUSTOMER, "name", False, ()),
    (InfoGroup.BASIC, "legalRepresentativeName", True, ("Wang Wei", "Li Na", "Zhang Min", "Liu Yang", "Chen Jie")),
    (InfoGroup.BASIC, "businessScope", True, ("Manufacture and sale of machinery", "Wholesale of textiles",
                                              "Software development and IT services", "Freight forwarding")),
    (InfoGroup.BASIC, "registeredAddress", False, ("No. 1 Wenyi Road", "No. 88 Jiefang Road", "No. 9 Binjiang Ave")),
    (InfoGroup.FINANCIAL, "financialStatement", False, ()),
    (InfoGroup.CREDIT, "externalRating", False, ("AAA", "AA+", "AA", "AA-", "A+", "A")),
    (InfoGroup.OPERATING, "mainProducts", False, ('["pumps"]', '["valves", "pumps"]', '["yarn"]', '["apps"]')),
)

# Columns written per table, in COPY order. Nullable columns left out stay NULL.
COLUMNS: dict[str, tuple[str, ...]] = {
    "branch": ("code", "name", "created_at"),
    "staff_member": ("id", "username", "name", "branch_code", "agreement_signed_on", "agreement_expires_on",
                     "agreement_reference", "created_at"),
    "customer": ("id", "name", "credit_code", "industry_code", "branch_code", "relationship_manager_id",
                 "credit_status", "credit_status_basis", "credit_status_set_at", "credit_status_set_by", "grade",
                 "grade_score", "graded_at", "latest_statement_period_end", "last_major_change_at", "version",
                 "created_at", "created_by", "updated_at"),
    "grade_assessment": ("id", "customer_id", "assessed_at", "assessed_by", "trigger", "grade", "score",
                         "strategy_id", "strategy_version", "plugin_name", "plugin_distribution", "plugin_version",
                         "factors", "reasons", "knock_outs", "answers", "facts"),
    "financial_statement": ("id", "customer_id", "period_end", "period_kind", "currency", "total_assets",
                            "total_liabilities", "current_assets", "current_liabilities", "cash", "equity",
                            "revenue", "operating_profit", "net_profit", "employees", "audit_opinion",
                            "recorded_at", "recorded_by"),
    "service_record": ("id", "customer_id", "stage", "kind", "occurred_at", "recorded_by", "summary", "follow_up",
                       "created_at"),
    "complaint": ("id", "customer_id", "branch_code", "channel", "status", "matter", "received_at", "received_on",
                  "first_due_on", "due_on", "handler", "closed_at", "created_at"),
    "customer_change": ("id", "customer_id", "changed_at", "changed_by", "info_group", "field", "old_value",
                        "new_value", "major"),
}
# Complaints are promised their decision day as the service would (received in UTC here).
COMPLAINT_SLA = read_policies()["cn_2020"]
# JSON columns carry JSON text already: asyncpg's binary COPY wants text, and SQLite stores text.
JSON_COLUMNS = {("grade_assessment", c) for c in ("factors", "reasons", "knock_outs", "answers", "facts")}


@dataclass(frozen=True, slots=True)
class Portfolio:
    """What to generate: sizes and the seed."""

    customers: int
    branches: int = 20
    managers: int = 200
    seed: int = 20261128
    chunk: int = 5_000

    @property
    def bench_rm_customers(self) -> int:
        # ≥ 10 pages of 50 for the RM's page, ~1 % of the portfolio at full size.
        return min(1_000, max(1, self.customers // 4))


@dataclass(slots=True)
class LoadReport:
    """Row counts and where the load's time went.

    The rows phase overlaps three things: PostgreSQL's COPY of a chunk (on the event loop, the
    server working on the other core) with, in a thread, the SQLite insert of the same chunk and
    the generation of the next one. ``generate_seconds`` and ``sqlite_insert_seconds`` are that
    thread's shares; ``rows_seconds`` is the wall time of the whole phase.
    """

    rows: dict[str, int] = field(default_factory=dict)
    wall_seconds: float = 0.0
    rows_seconds: float = 0.0
    generate_seconds: float = 0.0
    sqlite_insert_seconds: float = 0.0
    postgres_create_seconds: float = 0.0
    postgres_migrate_seconds: float = 0.0
    postgres_analyze_seconds: float = 0.0
    sqlite_migrate_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "total_rows": sum(self.rows.values()),
            "wall_seconds": round(self.wall_seconds, 1),
            "rows_phase_seconds": round(self.rows_seconds, 1),
            "generate_seconds": round(self.generate_seconds, 1),
            "postgres": {"create_seconds": round(self.postgres_create_seconds, 1),
                         "migrate_seconds": round(self.postgres_migrate_seconds, 1),
                         "vacuum_analyze_seconds": round(self.postgres_analyze_seconds, 1)},
            "sqlite": {"migrate_seconds": round(self.sqlite_migrate_seconds, 1),
                       "insert_seconds": round(self.sqlite_insert_seconds, 1)},
        }


def _assignable_industries() -> list[str]:
    return [i.code for i in all_industries() if i.level != "section"]


def _strategy_for(code: str, categories: dict[str, IndustryCategory]) -> str:
    return STRATEGY_OF_CATEGORY[categories[code]]


def branch_codes(p: Portfolio) -> list[str]:
    """The branches' codes, BR01 … (the RM ``rm<m>`` works at branch ``(m - 1) % branches + 1``)."""
    return [f"BR{b:02d}" for b in range(1, p.branches + 1)]


def organisation(p: Portfolio) -> dict[str, list[tuple[Any, ...]]]:
    """Branches, relationship managers (each with a confidentiality agreement) and the auditor."""
    branches = [(code, f"{CITIES[b % len(CITIES)]} Branch {b + 1:02d}", LOADED_AT)
                for b, code in enumerate(branch_codes(p))]
    staff = []
    for m in range(1, p.managers + 1):
        branch = f"BR{(m - 1) % p.branches + 1:02d}"
        staff.append((m, f"rm{m:03d}", f"Manager {m:03d}", branch, AGREEMENT_SIGNED_ON, None, f"NDA-2024-{m:04d}",
                      LOADED_AT))
    staff.append((p.managers + 1, AUDITOR, "Compliance Auditor", BRANCH_OF_BENCH_RM, AGREEMENT_SIGNED_ON, None,
                  "NDA-2024-AUD1", LOADED_AT))
    return {"branch": branches, "staff_member": staff}


def generate(p: Portfolio) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """The customers and their rows, ``p.chunk`` customers at a time, deterministically from ``p.seed``.

    Two random streams: ``rng`` draws what the portfolio page reads (customers, the grade in force,
    the newest statement, service records, complaints), ``extra`` (seed + 1) the older statements
    and assessments and the change history the workload mix reads, so the page's rows are the
    same whether or not the mix's rows exist.
    """
    rng = random.Random(p.seed)
    extra = random.Random(p.seed + 1)
    industries = _assignable_industries()
    categories = {i.code: i.category for i in all_industries()}
    # The bench RM's customers are scattered over the whole id range, so his page is a filtered
    # scan like a real portfolio's, not a contiguous block.
    own = set(rng.sample(range(1, p.customers + 1), p.bench_rm_customers))
    other_managers = list(range(2, p.managers + 1)) or [1]
    branch_of = {m: f"BR{(m - 1) % p.branches + 1:02d}" for m in range(1, p.managers + 1)}
    codes: set[str] = set()
    grades = [g for g, w in GRADE_WEIGHTS for _ in range(w)]
    kinds, stages = list(ServiceKind), list(ServiceStage)
    channels, statuses = list(ComplaintChannel), list(ComplaintStatus)
    service_id = complaint_id = assessment_id = statement_id = change_id = 0
    for start in range(1, p.customers + 1, p.chunk):
        out: dict[str, list[tuple[Any, ...]]] = {t: [] for t in
                                                 ("customer", "grade_assessment", "financial_statement",
                                                  "service_record", "complaint", "customer_change")}
        for cid in range(start, min(start + p.chunk, p.customers + 1)):
            manager = 1 if cid in own else rng.choice(other_managers)
            manager_name = f"rm{manager:03d}"
            industry = rng.choice(industries)
            code = make_credit_code(rng)
            while code in codes:  # unique in the table, as the API guarantees
                code = make_credit_code(rng)
            codes.add(code)
            grade = rng.choice(grades)
            low, high = GRADE_BANDS[grade]
            score = Decimal(rng.randrange(low * 100, high * 100)) / 100
            graded_at = LOADED_AT - timedelta(days=rng.randrange(1, 180), seconds=rng.randrange(86_400))
            name = f"{rng.choice(CITIES)} {rng.choice(PREFIXES)} {rng.choice(STEMS)} {rng.choice(SUFFIXES)}"
            changes = _changes(extra, manager_name, graded_at)
            majors = [change[0] for change in changes if change[-1]]
            out["customer"].append((
                cid, name, code, industry, branch_of[manager], manager, CREDIT_STATUS_OF_GRADE[grade],
                f"bench load: grade {grade}", graded_at, "bench", grade, score, graded_at, STATEMENT_PERIOD_END,
                max(majors) if majors else None, 1, LOADED_AT, "bench", graded_at,
            ))
            for change in changes:  # oldest first: the newest change has the highest id
                change_id += 1
                out["customer_change"].append((change_id, cid, *change))
            strategy = _strategy_for(industry, categories)
            # Earlier assessments first (lower ids, earlier times): the newest is the grade in force.
            assessed = graded_at
            earlier = []
            for _ in range(extra.randint(0, 3)):
                assessed -= timedelta(days=extra.randrange(30, 200), seconds=extra.randrange(86_400))
                old_grade = extra.choice(grades)
                old_low, old_high = GRADE_BANDS[old_grade]
                old_score = Decimal(extra.randrange(old_low * 100, old_high * 100)) / 100
                earlier.append((assessed, old_grade, old_score, extra.choice(("assessment", "financial_statement"))))
            for when, old_grade, old_score, trigger in reversed(earlier):
                assessment_id += 1
                out["grade_assessment"].append(_assessment(assessment_id, cid, when, trigger, old_grade, old_score,
                                                           strategy, round(extra.uniform(0.3, 0.9), 4)))
            assessment_id += 1
            out["grade_assessment"].append(_assessment(assessment_id, cid, graded_at, "assessment", grade, score,
                                                       strategy, round(rng.uniform(0.3, 0.9), 4)))
            revenue = rng.randrange(5_000_000, 500_000_000)
            assets = revenue * rng.uniform(0.8, 1.6)
            liabilities = assets * rng.uniform(0.3, 0.85)
            statement_id += 1
            out["financial_statement"].append(_statement(statement_id, cid, STATEMENT_PERIOD_END, revenue, assets,
                                                         liabilities, rng.randrange(10, 3_000)))
            for years_back in range(1, extra.randint(0, 3) + 1):  # older annual statements
                shrink = extra.uniform(0.75, 1.05) ** years_back
                statement_id += 1
                out["financial_statement"].append(_statement(
                    statement_id, cid, STATEMENT_PERIOD_END.replace(year=STATEMENT_PERIOD_END.year - years_back),
                    round(revenue * shrink), assets * shrink, liabilities * shrink, extra.randrange(10, 3_000)))
            at = None
            for _ in range(rng.randint(0, 20)):  # 10 on average; some customers have none
                service_id += 1
                # One in twenty shares the previous one's instant: the id must settle the order.
                if at is None or rng.random() >= 0.05:
                    at = HISTORY_START + timedelta(seconds=rng.randrange(HISTORY_SECONDS))
                kind = rng.choice(kinds)
                summary = SUMMARIES[kind].format(q=rng.choice(QUARTERS), n=rng.randrange(2, 60))
                follow_up = None if rng.random() < 0.5 else f"Call back within {rng.randrange(3, 30)} days."
                out["service_record"].append((service_id, cid, rng.choice(stages).value, kind.value, at,
                                              manager_name, summary, follow_up, at))
            for _ in range(rng.choice((0, 0, 0, 0, 1, 1, 1, 2, 2, 3))):  # 1 on average
                complaint_id += 1
                received = HISTORY_START + timedelta(seconds=rng.randrange(HISTORY_SECONDS))
                status = rng.choice(statuses) if rng.random() < 0.5 else ComplaintStatus.CLOSED
                # closed_at is set exactly when the status is closed: both "open" tests must agree.
                closed = received + timedelta(days=rng.randrange(1, 30)) if status is ComplaintStatus.CLOSED else None
                received_on = received.date()
                due_on = COMPLAINT_SLA.due_on(received_on)
                out["complaint"].append((complaint_id, cid, branch_of[manager], rng.choice(channels).value,
                                         status.value, rng.choice(MATTERS), received, received_on, due_on, due_on,
                                         manager_name, closed, received))
        yield out


def _assessment(row_id: int, cid: int, at: datetime, trigger: str, grade: str, score: Decimal, strategy: str,
                leverage: float) -> tuple[Any, ...]:
    return (row_id, cid, at, "bench", trigger, grade, score, strategy, "2026.1", "creditcare-builtin", "creditcare",
            "0.1.0", json.dumps([{"code": "LEVERAGE", "value": str(leverage), "points": 10}]),
            json.dumps([f"score {score} is grade {grade}"]), "[]", "{}",
            json.dumps({"period_end": STATEMENT_PERIOD_END.isoformat()}))


def _statement(row_id: int, cid: int, period_end: date, revenue: int, assets: float, liabilities: float,
               employees: int) -> tuple[Any, ...]:
    return (row_id, cid, period_end, "annual", "CNY", _money(assets), _money(liabilities), _money(liabilities * 0.6),
            _money(liabilities * 0.5), _money(liabilities * 0.1), _money(assets - liabilities), _money(revenue),
            _money(revenue * 0.08), _money(revenue * 0.05), employees, "unqualified", LOADED_AT, "bench")


def _changes(extra: random.Random, manager_name: str, until: datetime) -> list[tuple[Any, ...]]:
    """0–6 history entries (changed_at … major), oldest first; one in ten shares the previous one's instant."""
    span = max(1, int((until - HISTORY_START).total_seconds()))
    out: list[tuple[Any, ...]] = []
    at = None
    for offset in sorted(extra.randrange(span) for _ in range(extra.randint(0, 6))):
        if at is None or extra.random() >= 0.1:
            at = HISTORY_START + timedelta(seconds=offset)
        group, name, major, values = extra.choice(CHANGES)
        if group is InfoGroup.FINANCIAL:
            old, new = None, f"annual {STATEMENT_PERIOD_END.replace(year=extra.randrange(2019, 2026)).isoformat()}"
        elif not values:  # the registered name
            old, new = (f"{extra.choice(CITIES)} {extra.choice(PREFIXES)} {extra.choice(STEMS)} "
                        f"{extra.choice(SUFFIXES)}" for _ in range(2))
        else:
            old, new = extra.sample(values, 2)
            if extra.random() < 0.2:
                old = None  # filled in for the first time: never major
        out.append((at, manager_name, group.value, name, old, new, major and old is not None))
    return out


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


# ------------------------------------------------------------------------------------ PostgreSQL


def server_and_database(url: str) -> tuple[str, str]:
    """Split ``postgresql://…/db`` into the server URL (its ``postgres`` database) and the name."""
    u = make_url(url)
    return u.set(database="postgres").render_as_string(hide_password=False), u.database or "creditcare_bench"


async def _admin(url: str) -> asyncpg.Connection:
    u = make_url(url)
    return await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                                 database=u.database)


async def recreate_postgres(url: str) -> None:
    """Drop the benchmark database if it exists and create it empty."""
    server, name = server_and_database(url)
    conn = await _admin(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def migrate(url: str, creditcare: Path) -> float:
    """Run the project's own migrations (``creditcare migrate``) on ``url``; return the seconds."""
    started = time.perf_counter()
    env = {**os.environ, "CREDITCARE_DATABASE_URL": url, "CREDITCARE_MIGRATION_DATABASE_URL": url}
    subprocess.run([str(creditcare), "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


class SqliteSink:
    """Writes chunks into a migrated SQLite file with the column conversions SQLAlchemy applies."""

    def __init__(self, path: Path) -> None:
        # Written from a worker thread, one call at a time (see ``load``).
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("BEGIN")
        dialect = sqlite_dialect.dialect()
        # The app reads what SQLAlchemy wrote: let SQLAlchemy's own bind processors format each value.
        self.processors: dict[str, list[Any]] = {}
        for table, columns in COLUMNS.items():
            sa_table = Base.metadata.tables[table]
            self.processors[table] = [
                None if (table, c) in JSON_COLUMNS else sa_table.c[c].type.dialect_impl(dialect).bind_processor(dialect)
                for c in columns
            ]
        self.seconds = 0.0

    def write(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        started = time.perf_counter()
        columns, procs = COLUMNS[table], self.processors[table]
        converted = [tuple(v if v is None or p is None else p(v) for v, p in zip(row, procs, strict=True))
                     for row in rows]
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        self.conn.executemany(sql, converted)
        self.seconds += time.perf_counter() - started

    def close(self) -> None:
        started = time.perf_counter()
        self.conn.execute("COMMIT")
        self.conn.execute("ANALYZE")
        self.conn.close()
        self.seconds += time.perf_counter() - started


async def _copy_chunk(conn: asyncpg.Connection, chunk: dict[str, list[tuple[Any, ...]]]) -> None:
    for table, rows in chunk.items():
        if rows:
            await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table])


def _sqlite_then_next(sink: SqliteSink | None, chunk: dict[str, list[tuple[Any, ...]]],
                      generator: Iterator[dict[str, list[tuple[Any, ...]]]], report: LoadReport
                      ) -> dict[str, list[tuple[Any, ...]]] | None:
    if sink is not None:
        for table, rows in chunk.items():
            if rows:
                sink.write(table, rows)
    started = time.perf_counter()
    following = next(generator, None)
    report.generate_seconds += time.perf_counter() - started
    return following


async def load(p: Portfolio, pg_url: str, sqlite_path: Path | None, creditcare: Path) -> LoadReport:
    """Create, migrate and fill the PostgreSQL database (and the SQLite file when given)."""
    report = LoadReport()
    load_started = time.perf_counter()
    await recreate_postgres(pg_url)
    report.postgres_create_seconds = time.perf_counter() - load_started
    report.postgres_migrate_seconds = migrate(pg_url, creditcare)
    sink = None
    if sqlite_path is not None:
        sqlite_path.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        report.sqlite_migrate_seconds = migrate(f"sqlite:///{sqlite_path}", creditcare)
        sink = SqliteSink(sqlite_path)
    conn = await _admin(pg_url)
    try:
        async with conn.transaction():
            generator = generate(p)
            chunk: dict[str, list[tuple[Any, ...]]] | None = organisation(p)
            rows_started = time.perf_counter()
            while chunk is not None:
                for table, rows in chunk.items():
                    report.rows[table] = report.rows.get(table, 0) + len(rows)
                # While PostgreSQL takes this chunk, a thread writes it to SQLite and makes the next
                # one: the database server works on the other core meanwhile.
                copying = asyncio.create_task(_copy_chunk(conn, chunk))
                try:
                    chunk = await asyncio.to_thread(_sqlite_then_next, sink, chunk, generator, report)
                finally:
                    await copying  # never leave the transaction with a COPY in flight
            report.rows_seconds = time.perf_counter() - rows_started
            # Ids were given explicitly: move the sequences past them for rows the servers add.
            for table in ("staff_member", "customer", "grade_assessment", "financial_statement",
                          "service_record", "complaint", "customer_change"):
                await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT coalesce(max(id), 1) FROM {table}))")
        started = time.perf_counter()
        # VACUUM as well as ANALYZE: the steady state of a loaded table (visibility map set), for both servers.
        await conn.execute("VACUUM ANALYZE")
        report.postgres_analyze_seconds = time.perf_counter() - started
    finally:
        await conn.close()
    if sink is not None:
        sink.close()
        report.sqlite_insert_seconds = sink.seconds
    report.wall_seconds = time.perf_counter() - load_started
    return report
