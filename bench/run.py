"""``python -m bench``: creditcare and PostGraphile, side by side, on the same data.

Order of work: install the tools (.bench/), load the data, check that the systems answer the same
portfolio page with the same data, time each system with wrk; then the workload mix (thirteen
operations, each checked for equal data on both systems before any is timed, then timed on
creditcare and PostGraphile in turn); count SQL statements per request in separate untimed
phases, then regrade throughput and the authorization cost; print tables and write JSON. Every
server is stopped by its PID whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import loader, measure, mix, report, wrk
from bench.pages import Client, DataMismatch, PageError, check_pages, page_cursors, reference_pages, write_bodies
from bench.servers import Server, Tools, creditcare_server, install_tools, mint_token, postgraphile_server

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"
RESULTS = ROOT / "bench" / "results"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/creditcare_bench"

FULL: dict[str, Any] = {"customers": 100_000, "duration": 20.0, "warmup": 3.0, "pages": 200, "sql_requests": 20,
        "regrade_customers": 20_000, "authz_requests": 100}
QUICK: dict[str, Any] = {"customers": 2_000, "duration": 2.0, "warmup": 1.0, "pages": 20, "sql_requests": 5,
         "regrade_customers": 1_000, "authz_requests": 10}

# Idle backends flush their pg_stat_database counters about once a second.
STATS_FLUSH_SECONDS = 1.5
AUDITOR, RM, ANYONE = "auditor", "rm", "none"  # principals; PostGraphile has no authorization


@dataclass
class Options:
    """What to run; ``--quick`` changes the defaults, explicit options win."""

    database_url: str = DEFAULT_DATABASE_URL
    customers: int = FULL["customers"]
    duration: float = FULL["duration"]
    warmup: float = FULL["warmup"]
    workers: int = 2
    connections: int = 10
    pages: int = FULL["pages"]
    sql_requests: int = FULL["sql_requests"]
    regrade_customers: int = FULL["regrade_customers"]
    authz_requests: int = FULL["authz_requests"]
    soak: float = 0.0
    quick: bool = False
    resolvers: bool = True
    skip_postgraphile: bool = False
    skip_sqlite: bool = False
    skip_extras: bool = False
    drop_after: bool = False
    output: Path | None = None
    ops: list[str] = field(default_factory=lambda: list(mix.OPERATIONS))
    mix_only: bool = False


def parse_args(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=f"small and fast: {QUICK}".replace("%", "%%"))
    p.add_argument("--customers", type=int, help=f"customers to load (default {FULL['customers']:,})")
    p.add_argument("--duration", type=float, help=f"seconds of each timed wrk run (default {FULL['duration']:.0f})")
    p.add_argument("--warmup", type=float, help=f"seconds of wrk before each timed run (default {FULL['warmup']:.0f})")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers of the multi-worker server (default 2)")
    p.add_argument("--connections", type=int, default=10, help="wrk concurrency (default 10)")
    p.add_argument("--pages", type=int, help=f"page cursors to rotate through (default {FULL['pages']})")
    p.add_argument("--sql-requests", type=int, help="requests whose SQL statements are counted")
    p.add_argument("--regrade-customers", type=int, help="customers of the regrade measurement (0: skip)")
    p.add_argument("--authz-requests", type=int, help="requests per variant of the authorization cost (0: skip)")
    p.add_argument("--soak", type=float, default=0.0, help="also a long run of creditcare (1 worker) of S seconds, "
                   "sampling RSS every 5 s")
    p.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                   help="the benchmark's PostgreSQL database; dropped and re-created (default %(default)s)")
    p.add_argument("--no-resolvers", dest="resolvers", action="store_false",
                   help="leave out creditcare with CREDITCARE_PLANNED_READS=false")
    p.add_argument("--skip-postgraphile", action="store_true", help="debugging only: no PostGraphile")
    p.add_argument("--skip-sqlite", action="store_true", help="debugging only: no SQLite measurement")
    p.add_argument("--skip-extras", action="store_true", help="no regrade and no authorization measurement")
    p.add_argument("--drop-after", action="store_true", help="drop the benchmark database at the end")
    p.add_argument("--ops", default="all", metavar="OPS",
                   help=f"operations of the workload mix, comma-separated, 'all' (default) or 'none': "
                   f"{','.join(mix.OPERATIONS)}")
    p.add_argument("--mix-only", action="store_true",
                   help="only the workload mix (no per-system portfolio table, soak, regrade or authorization)")
    p.add_argument("--output", type=Path, help="JSON results path (default: bench/results/portfolio-<date>.json and "
                   "latest.json, with --mix-only mix-<date>.json and mix-latest.json; with --quick "
                   ".bench/results/quick.json or quick-mix.json, outside the repository's tracked files)")
    a = p.parse_args(argv)
    defaults = QUICK if a.quick else FULL
    try:
        ops = mix.parse_ops(a.ops)
    except ValueError as exc:
        p.error(str(exc))
    if a.mix_only and not ops:
        p.error("--mix-only with --ops none leaves nothing to run")

    def pick(name: str) -> Any:
        value = getattr(a, name)
        return defaults[name] if value is None else value

    return Options(
        database_url=a.database_url, customers=pick("customers"), duration=pick("duration"), warmup=pick("warmup"),
        workers=a.workers, connections=a.connections, pages=pick("pages"), sql_requests=pick("sql_requests"),
        regrade_customers=pick("regrade_customers"), authz_requests=pick("authz_requests"), soak=a.soak,
        quick=a.quick, resolvers=a.resolvers, skip_postgraphile=a.skip_postgraphile, skip_sqlite=a.skip_sqlite,
        skip_extras=a.skip_extras, drop_after=a.drop_after, output=a.output, ops=ops, mix_only=a.mix_only,
    )


# --------------------------------------------------------------------------------- helpers

_T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - _T0:6.1f}s] {message}", flush=True)


def creditcare_cli() -> Path:
    beside = Path(sys.executable).with_name("creditcare")
    found = beside if beside.exists() else shutil.which("creditcare")
    if found is None:
        raise RuntimeError("the creditcare command is not installed (pip install -e .)")
    return Path(found)


@dataclass
class Target:
    """A system under test: how to start it, what it runs on, which principals ask for the page."""

    name: str
    make: Callable[[], Server]
    kind: str  # creditcare | postgraphile
    database: str  # postgresql | sqlite
    workers: int
    principals: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    """What a run shares between its phases."""

    opts: Options
    creditcare: Path
    tools: Tools | None
    admin: measure.PgAdmin
    database: str
    tokens: dict[str, str]
    rm_row_id: int
    references: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    cursors: dict[tuple[str, str, str], list[str | None]] = field(default_factory=dict)  # (kind, db, principal)
    results: dict[str, Any] = field(default_factory=dict)

    def client(self, target: Target, server: Server, principal: str) -> Client:
        if target.kind == "postgraphile":
            return Client("postgraphile", server.port, rm_row_id=self.rm_row_id if principal == RM else None)
        return Client("creditcare", server.port, token=self.tokens[principal])

    def cursors_for(self, target: Target, client: Client, principal: str) -> list[str | None]:
        # Cursors depend only on the data and the system's cursor format: walk once per kind of store.
        key = (target.kind, target.database, principal)
        if key not in self.cursors:
            self.cursors[key] = page_cursors(client, self.opts.pages)
        return self.cursors[key]

    def fail(self, message: str) -> None:
        say(f"FAILED: {message}")
        self.results["errors"].append(message)


# ----------------------------------------------------------------------------------- phases


def targets(ctx: Context, log_dir: Path, sqlite_url: str | None) -> dict[str, Target]:
    o, cc, url = ctx.opts, ctx.creditcare, ctx.opts.database_url
    found: dict[str, Target] = {}
    if ctx.tools is not None:
        tools = ctx.tools
        found["pg5"] = Target("PostGraphile 5.1.5 (1 Node process)",
                              lambda: postgraphile_server("postgraphile", tools, url, log_dir),
                              "postgraphile", "postgresql", 1, (ANYONE,))
    found["cc1"] = Target("creditcare 1 worker", lambda: creditcare_server("creditcare-1w", cc, url, 1, log_dir),
                          "creditcare", "postgresql", 1, (AUDITOR, RM))
    found["ccN"] = Target(f"creditcare {o.workers} workers",
                          lambda: creditcare_server(f"creditcare-{o.workers}w", cc, url, o.workers, log_dir),
                          "creditcare", "postgresql", o.workers, (AUDITOR, RM))
    if o.resolvers:
        found["cc1-resolvers"] = Target(
            "creditcare 1 worker, resolvers",
            lambda: creditcare_server("creditcare-1w-resolvers", cc, url, 1, log_dir, planned_reads=False),
            "creditcare", "postgresql", 1, (AUDITOR, RM), {"CREDITCARE_PLANNED_READS": "false"})
    if sqlite_url is not None:
        found["cc1-sqlite"] = Target("creditcare 1 worker, SQLite",
                                     lambda: creditcare_server("creditcare-1w-sqlite", cc, sqlite_url, 1, log_dir),
                                     "creditcare", "sqlite", 1, (AUDITOR, RM))
    return found


def establish_reference(ctx: Context, all_targets: dict[str, Target]) -> Target:
    """The pages every system must match: PostGraphile's (unrestricted, and narrowed to the RM's rows)."""
    ref = all_targets.get("pg5") or all_targets["cc1"]
    say(f"reference pages from {ref.name}")
    with ref.make() as server:
        for principal in (AUDITOR, RM):
            # For PostGraphile the auditor's page is the unrestricted one, the RM's is narrowed by a condition.
            client = ctx.client(ref, server, principal)
            cursors = ctx.cursors_for(ref, client, principal)
            ctx.references[principal] = reference_pages(client, cursors)
            say(f"  {principal}: {len(cursors)} pages of 50")
    return ref


def check_target(ctx: Context, target: Target, server: Server, stage: str = "") -> dict[str, list[str | None]]:
    """Walk the target's cursors and compare its pages with the reference; raise on a difference."""
    walked = {}
    for principal in target.principals:
        compare_as = AUDITOR if principal == ANYONE else principal
        client = ctx.client(target, server, principal)
        cursors = ctx.cursors_for(target, client, compare_as)
        label = f"{target.name} ({principal}) = reference ({compare_as}){stage}"
        ctx.results["data_equality"].append(check_pages(client, cursors, ctx.references[compare_as], label))
        walked[principal] = cursors
    return walked


def timed(ctx: Context, target: Target, server: Server, principal: str, cursors: list[str | None],
          bodies_dir: Path) -> dict[str, Any]:
    """Warm up, then one bounded wrk run while the server's CPU, memory and database CPU are measured."""
    o = ctx.opts
    client = ctx.client(target, server, principal)
    slug = f"{server.name}-{principal}"
    bodies = write_bodies(client, cursors, bodies_dir / f"{slug}.jsonl")
    warm, _ = wrk.run(server.port, bodies, o.warmup, token=client.token, connections=o.connections)
    on_postgres = target.database == "postgresql"
    if on_postgres:
        time.sleep(STATS_FLUSH_SECONDS)  # let the warm-up's statistics reach pg_stat_database first
    duration = o.duration
    while True:
        db_before = ctx.admin.database_stats() if on_postgres else {}
        pg_cpu_before = ctx.admin.server_cpu_seconds() if on_postgres else None
        cpu_before = measure.tree_cpu_seconds(server.pid)
        machine_before = measure.machine_cpu_ticks()
        with measure.RssSampler(server.pid, interval=0.5) as rss:
            result, raw = wrk.run(server.port, bodies, duration, token=client.token, connections=o.connections)
        machine_after = measure.machine_cpu_ticks()
        cpu_after = measure.tree_cpu_seconds(server.pid)
        pg_cpu_after = ctx.admin.server_cpu_seconds() if on_postgres else None
        if on_postgres:
            time.sleep(STATS_FLUSH_SECONDS)
        db_after = ctx.admin.database_stats() if on_postgres else {}
        # A short run (the suite's 1 s) on a busy machine may end before the slowest server's first
        # answers come back: measured once more over a longer run, not counted as a failure.
        if result.requests or result.failures or duration >= 4 * o.duration:
            break
        say(f"  {target.name} [{principal}]: no answer within {duration:g} s; measuring again over "
            f"{4 * duration:g} s")
        duration *= 4
    (bodies_dir / f"{slug}.wrk.txt").write_text(raw)
    requests = max(result.requests, 1)
    db = {k: db_after[k] - db_before[k] for k in db_after}
    pg_cpu = None if pg_cpu_before is None or pg_cpu_after is None else pg_cpu_after - pg_cpu_before
    row = {
        "name": target.name, "server": server.name, "kind": target.kind, "database": target.database,
        "workers": target.workers, "principal": principal, "pages": len(cursors), "env": target.env,
        "wrk": result.as_dict(), "warmup": {"requests": warm.requests, "failures": warm.failures},
        "cpu_ms_per_request": round((cpu_after - cpu_before) * 1000 / requests, 3),
        # SQLite runs inside the server process: its database work is in the server's CPU.
        "db_active_ms_per_request": round(db["active_time"] / requests, 3) if on_postgres else None,
        "db_sessions_opened": int(db["sessions"]) if on_postgres else None,
        "db_transactions_per_request": round((db["xact_commit"] + db["xact_rollback"]) / requests, 2)
        if on_postgres else None,
        "postgres_server_cpu_ms_per_request": round(pg_cpu * 1000 / requests, 3) if pg_cpu is not None else None,
        "peak_rss_mb": round(rss.peak_mb, 1),
        "rss_hwm_sum_mb": round(measure.tree_hwm_mb(server.pid), 1),
        "processes": len(measure.tree(server.pid)),
        # How busy the whole machine was (all cores, 1.0 = saturated): others' work shows up here.
        "machine_cpu_busy": round((machine_after[0] - machine_before[0])
                                  / max(1, machine_after[1] - machine_before[1]), 3),
        "load_average_after": round(os.getloadavg()[0], 2),
    }
    say(f"  {target.name} [{principal}]: {result.requests_per_second:.1f} req/s, p50 {result.p50_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms, {row['cpu_ms_per_request']} CPU ms/req, peak RSS {row['peak_rss_mb']} MB")
    if result.failures or warm.failures or result.requests == 0:
        ctx.fail(f"{target.name} [{principal}]: {result.graphql_errors} GraphQL errors, {result.non_200} non-200, "
                 f"socket errors {result.socket_errors}, {warm.failures} failures in the warm-up, "
                 f"{result.requests} requests (see {bodies_dir / (slug + '.wrk.txt')})")
    return row


def time_targets(ctx: Context, all_targets: dict[str, Target], bodies_dir: Path) -> None:
    for key in ("cc1", "pg5", "ccN", "cc1-resolvers", "cc1-sqlite"):
        target = all_targets.get(key)
        if target is None:
            continue
        say(f"{target.name}: starting")
        with target.make() as server:
            walked = check_target(ctx, target, server)
            for principal in target.principals:
                ctx.results["systems"].append(timed(ctx, target, server, principal, walked[principal], bodies_dir))


def sql_log_problem(admin: measure.PgAdmin) -> str | None:
    """Why statements cannot be counted from the PostgreSQL log here, or None if they can."""
    if admin.log_path is None:
        return "no PostgreSQL log found (set BENCH_PG_LOG)"
    prefix = admin.log_line_prefix()
    if "%d" not in prefix or "%p" not in prefix:
        return f"log_line_prefix {prefix!r} does not name the database and process"
    return None


def counted_statements(ctx: Context, client: Client, bodies: list[dict[str, Any]], warm: int = 3
                       ) -> dict[str, Any]:
    """Statements the server behind ``client`` logs for ``sql_requests`` of ``bodies`` (in turn), after ``warm``."""
    admin, requests = ctx.admin, ctx.opts.sql_requests
    for i in range(warm):
        client.ask(bodies[i % len(bodies)])
    time.sleep(0.3)
    offset = admin.log_size()
    for i in range(requests):
        client.ask(bodies[(warm + i) % len(bodies)])
    time.sleep(0.5)  # the server writes the log asynchronously to us
    statements, transaction, samples = measure.count_logged_statements(admin.log_read(offset), ctx.database)
    return {**measure.StatementCount(requests, statements, transaction).as_dict(), "samples": samples}


def count_sql(ctx: Context, all_targets: dict[str, Target]) -> None:
    """SQL statements per request, from the PostgreSQL log, with log_statement on for this database only.

    Fresh servers, because the setting applies to sessions opened after it; a few untimed requests
    first (connections, type introspection, prepared statements), then ``sql_requests`` counted.
    """
    o, admin = ctx.opts, ctx.admin
    note = ctx.results["sql_statements"]
    problem = sql_log_problem(admin)
    if problem is not None:
        note["unavailable"] = problem
        return
    prefix = admin.log_line_prefix()
    note.update(method="log_statement=all on this database; statement/execute lines counted", log=str(admin.log_path),
                log_line_prefix=prefix, requests=o.sql_requests)
    counted: dict[tuple[str, str], dict[str, Any]] = {}
    admin.set_log_statement(True)
    try:
        for key in ("cc1", "cc1-resolvers", "pg5"):
            target = all_targets.get(key)
            if target is None:
                continue
            with target.make() as server:
                for principal in target.principals:
                    client = ctx.client(target, server, principal)
                    cursors = ctx.cursors[(target.kind, target.database, AUDITOR if principal == ANYONE else principal)]
                    count = counted_statements(ctx, client, [client.page_body(c) for c in cursors])
                    counted[(server.name, principal)] = count
                    say(f"  SQL {target.name} [{principal}]: {count['per_request']:.1f} statements per request "
                        f"({count['data_statements_per_request']:.1f} without BEGIN/COMMIT)")
    finally:
        admin.set_log_statement(False)
    for row in ctx.results["systems"]:
        # The N-worker server runs the same code as the 1-worker one: the same statements per request.
        source = "creditcare-1w" if row["server"] == f"creditcare-{o.workers}w" else row["server"]
        if (source, row["principal"]) in counted:
            row["sql"] = {**counted[(source, row["principal"])], "counted_on": source}
    note["counts"] = [{"server": s, "principal": p, **c} for (s, p), c in counted.items()]


def soak(ctx: Context, all_targets: dict[str, Target], bodies_dir: Path) -> None:
    """One long run of creditcare with 1 worker (the RM's page), RSS sampled every 5 s."""
    target = all_targets["cc1"]
    say(f"soak: {target.name} for {ctx.opts.soak:.0f} s")
    with target.make() as server:
        client = ctx.client(target, server, RM)
        cursors = ctx.cursors[(target.kind, target.database, RM)]
        bodies = write_bodies(client, cursors, bodies_dir / "soak.jsonl")
        with measure.RssSampler(server.pid, interval=5.0) as rss:
            result, _ = wrk.run(server.port, bodies, ctx.opts.soak, token=client.token,
                                connections=ctx.opts.connections)
    first = [mb for t, mb in rss.samples if t <= 60] or [0.0]
    last = [mb for t, mb in rss.samples if t >= rss.samples[-1][0] - 60] or [0.0]
    ctx.results["soak"] = {"name": target.name, "principal": RM, "seconds": ctx.opts.soak, "wrk": result.as_dict(),
                           "rss_mb_samples": [(round(t, 1), round(mb, 1)) for t, mb in rss.samples],
                           "rss_mb_first_minute_max": round(max(first), 1),
                           "rss_mb_last_minute_max": round(max(last), 1)}
    if result.failures:
        ctx.fail(f"soak: {result.failures} failed requests")


# --------------------------------------------------------------------------- the workload mix


def mix_phase(ctx: Context, all_targets: dict[str, Target], bodies_dir: Path) -> dict[str, dict[str, list[Any]]]:
    """The workload mix: creditcare 1 worker as the auditor beside PostGraphile, on the same data.

    Both servers run for the whole phase (the idle one costs nothing measurable). Every selected
    operation is checked for equal data on both before any is timed; then each is timed on
    creditcare and on PostGraphile in turn. The request bodies are returned for counting statements.
    """
    o = ctx.opts
    cc_target, pg_target = all_targets["cc1"], all_targets.get("pg5")
    if pg_target is None:
        ctx.results["mix"] = {"skipped": "--skip-postgraphile: the mix is measured against PostGraphile"}
        say("workload mix skipped: it is measured against PostGraphile (--skip-postgraphile)")
        return {}
    section: dict[str, Any] = {"system": cc_target.name, "principal": AUDITOR, "reference": pg_target.name,
                               "operations": [], "geometric_mean_ratio": None}
    ctx.results["mix"] = section
    say(f"workload mix: {len(o.ops)} operations, {cc_target.name} ({AUDITOR}) beside {pg_target.name}")
    bodies: dict[str, dict[str, list[Any]]] = {}
    with cc_target.make() as cc_server, pg_target.make() as pg_server:
        servers = {mix.CREDITCARE: cc_server, mix.POSTGRAPHILE: pg_server}
        clients = {mix.CREDITCARE: ctx.client(cc_target, cc_server, AUDITOR),
                   mix.POSTGRAPHILE: ctx.client(pg_target, pg_server, ANYONE)}
        rotations = mix.Rotations(clients, o.pages, o.customers, loader.branch_codes(loader.Portfolio(o.customers)))
        checks = {}
        for key in o.ops:  # every operation's data first, before anything is timed
            op = mix.OPERATIONS[key]
            try:
                per_side = {side: op.bodies(rotations, side) for side in mix.SIDES}
                checks[key] = mix.check(op, per_side, clients)
            except (DataMismatch, PageError) as exc:
                # Not timed; the others still are (the run fails all the same).
                ctx.fail(f"mix {key}: {exc}")
                section["operations"].append({"operation": key, "title": op.title, "check": {
                    "operation": key, "equal": False, "error": str(exc)[:4000]}})
                continue
            bodies[key] = per_side
            say(f"  equal data: {key}: {len(per_side[mix.CREDITCARE])} request bodies, "
                f"{checks[key]['rows_compared']} customers and {checks[key]['nested_items_compared']} nested "
                f"items compared at {len(checks[key]['positions'])} of them")
        metrics = mix.fetch_read_paths(cc_server.port, clients[mix.CREDITCARE].token) is not None
        section["read_paths_source"] = "GET /metrics (creditcare_graphql_read_path_total)" if metrics else "n/a"
        if not metrics:
            say("  read paths: n/a (creditcare serves no /metrics with a read-path counter)")
        for key in bodies:
            op = mix.OPERATIONS[key]
            row: dict[str, Any] = {"operation": key, "title": op.title, "postgraphile_document": op.postgraphile,
                                   "bodies": len(bodies[key][mix.CREDITCARE]), "check": checks[key]}
            for side in mix.SIDES:
                path = mix.write_bodies(bodies[key][side], bodies_dir / f"mix-{key}-{side}.jsonl")
                row[side] = time_mix(ctx, f"{key} [{side}]", servers[side], clients[side], path,
                                     read_paths=metrics and side == mix.CREDITCARE)
            pg_rps = row[mix.POSTGRAPHILE]["wrk"]["requests_per_second"]
            row["ratio_to_postgraphile"] = (round(row[mix.CREDITCARE]["wrk"]["requests_per_second"] / pg_rps, 3)
                                            if pg_rps > 0 else None)
            row["read_path"] = row[mix.CREDITCARE]["read_path"]
            say(f"  {key}: ÷ PostGraphile {row['ratio_to_postgraphile']}, read path {row['read_path']}")
            section["operations"].append(row)
    order = {key: i for i, key in enumerate(o.ops)}
    section["operations"].sort(key=lambda r: order[r["operation"]])
    ratios = [r["ratio_to_postgraphile"] for r in section["operations"] if r.get("ratio_to_postgraphile")]
    mean = mix.geometric_mean(ratios)
    section["geometric_mean_ratio"] = None if mean is None else round(mean, 3)
    return bodies


def time_mix(ctx: Context, label: str, server: Server, client: Client, bodies: Path, *, read_paths: bool
             ) -> dict[str, Any]:
    """A warm-up, then one bounded wrk run of one operation on one server: throughput, latency, CPU, read paths."""
    o = ctx.opts
    warm, _ = wrk.run(server.port, bodies, o.warmup, token=client.token, connections=o.connections)
    before = mix.fetch_read_paths(server.port, client.token) if read_paths else None
    cpu_before = measure.tree_cpu_seconds(server.pid)
    result, raw = wrk.run(server.port, bodies, o.duration, token=client.token, connections=o.connections)
    cpu_after = measure.tree_cpu_seconds(server.pid)
    after = mix.fetch_read_paths(server.port, client.token) if read_paths else None
    bodies.with_suffix(".wrk.txt").write_text(raw)
    counters, path = mix.read_path_summary(before, after, result.requests)
    row = {"server": server.name, "wrk": result.as_dict(),
           "warmup": {"requests": warm.requests, "failures": warm.failures},
           "cpu_ms_per_request": round((cpu_after - cpu_before) * 1000 / max(result.requests, 1), 3),
           "read_paths": counters, "read_path": path if server.kind == "creditcare" else None}
    say(f"  {label}: {result.requests_per_second:.1f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms,"
        f" {row['cpu_ms_per_request']} CPU ms/req")
    if result.failures or warm.failures or result.requests == 0:
        ctx.fail(f"mix {label}: {result.graphql_errors} GraphQL errors, {result.non_200} non-200, socket errors "
                 f"{result.socket_errors}, {warm.failures} failures in the warm-up, {result.requests} requests "
                 f"(see {bodies.with_suffix('.wrk.txt')})")
    return row


def count_mix_sql(ctx: Context, all_targets: dict[str, Target], bodies: dict[str, dict[str, list[Any]]]) -> None:
    """SQL statements per request of each mix operation on both systems, from the PostgreSQL log (untimed)."""
    section = ctx.results["mix"]
    problem = sql_log_problem(ctx.admin)
    if problem is not None:
        section["sql_unavailable"] = problem
        return
    cc_target, pg_target = all_targets["cc1"], all_targets["pg5"]
    rows = {row["operation"]: row for row in section["operations"] if "creditcare" in row}
    ctx.admin.set_log_statement(True)
    try:
        with cc_target.make() as cc_server, pg_target.make() as pg_server:
            clients = {mix.CREDITCARE: ctx.client(cc_target, cc_server, AUDITOR),
                       mix.POSTGRAPHILE: ctx.client(pg_target, pg_server, ANYONE)}
            for key, per_side in bodies.items():
                for side in mix.SIDES:
                    counted = counted_statements(ctx, clients[side], per_side[side])
                    rows[key][side]["sql"] = counted
                say(f"  SQL {key}: creditcare {rows[key][mix.CREDITCARE]['sql']['data_statements_per_request']}"
                    f" (+BEGIN… {rows[key][mix.CREDITCARE]['sql']['per_request']}), PostGraphile "
                    f"{rows[key][mix.POSTGRAPHILE]['sql']['data_statements_per_request']} per request")
    finally:
        ctx.admin.set_log_statement(False)


def run_script(ctx: Context, name: str, argv: list[str], out: Path, log_dir: Path) -> dict[str, Any] | None:
    """One of the older single-purpose benchmarks in a process of its own; its JSON."""
    started = time.monotonic()
    with (log_dir / f"{name}.log").open("w") as log:
        done = subprocess.run([sys.executable, *argv, "--output", str(out)], cwd=ROOT, stdout=log,
                              stderr=subprocess.STDOUT)
    if done.returncode != 0:
        ctx.fail(f"{name} exited with {done.returncode} (see {log_dir / (name + '.log')})")
        return None
    result = json.loads(out.read_text())
    result["harness_wall_seconds"] = round(time.monotonic() - started, 1)
    return result


def extras(ctx: Context, log_dir: Path) -> None:
    o = ctx.opts
    server_url, _ = loader.server_and_database(o.database_url)
    if o.regrade_customers > 0:
        say(f"regrade: {o.regrade_customers:,} customers on a database of its own (bench/regrade.py)")
        ctx.results["regrade"] = run_script(ctx, "regrade", [
            "bench/regrade.py", "--database-url", server_url, "--customers", str(o.regrade_customers)],
            log_dir / "regrade.json", log_dir)
    if o.authz_requests > 0:
        say(f"authorization cost: {o.authz_requests} requests per variant (bench/authz_overhead.py)")
        ctx.results["authz"] = run_script(ctx, "authz_overhead", [
            "bench/authz_overhead.py", "--requests", str(o.authz_requests)], log_dir / "authz_overhead.json", log_dir)


def environment(tools: Tools | None) -> dict[str, Any]:
    def out(argv: list[str]) -> str | None:
        try:
            return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=30).stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            return None

    try:
        from api.settings import Settings

        planned_known = "planned_reads" in Settings.model_fields
    except Exception:  # the record of the environment must not fail the run
        planned_known = None
    return {
        "python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine(),
        "kernel": platform.release(), "node": out([str(tools.node), "--version"]) if tools else None,
        "wrk": (out(["wrk", "--version"]) or "").split("\n")[0] or None,
        "git_commit": out(["git", "rev-parse", "HEAD"]),
        "git_dirty": bool(out(["git", "status", "--porcelain", "--untracked-files=no"])),
        "planned_reads_setting_known": planned_known,
    }


# -------------------------------------------------------------------------------------- main


def execute(opts: Options, results: dict[str, Any]) -> None:
    # One directory per benchmark database: the test's quick run and a full run can overlap.
    run_dir = WORK / "run" / loader.server_and_database(opts.database_url)[1]
    log_dir, bodies_dir = run_dir / "logs", run_dir / "bodies"
    for directory in (log_dir, bodies_dir):
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
    cc = creditcare_cli()
    tools = None
    if not opts.skip_postgraphile:
        say("tools: Node.js 22 and PostGraphile 5.1.5 under .bench/")
        started = time.monotonic()
        tools = install_tools(WORK, log_dir / "install.log")
        results["install_seconds"] = round(time.monotonic() - started, 1)
    results["environment"] = environment(tools)

    portfolio = loader.Portfolio(customers=opts.customers)
    sqlite_path = None if opts.skip_sqlite or opts.mix_only else run_dir / "bench.db"
    say(f"loading {opts.customers:,} customers into {opts.database_url}"
        + ("" if sqlite_path is None else " and SQLite"))
    load = asyncio.run(loader.load(portfolio, opts.database_url, sqlite_path, cc))
    results["load"] = load.as_dict()
    say(f"  loaded {sum(load.rows.values()):,} rows in {load.wall_seconds:.1f} s")

    server_url, database = loader.server_and_database(opts.database_url)
    results["portfolio"] = {"customers": opts.customers, "branches": portfolio.branches,
                            "relationship_managers": portfolio.managers, "bench_rm": loader.BENCH_RM,
                            "bench_rm_customers": portfolio.bench_rm_customers, "auditor": loader.AUDITOR,
                            "seed": portfolio.seed}
    ctx = Context(opts=opts, creditcare=cc, tools=tools, admin=measure.PgAdmin(server_url, database),
                  database=database, results=results, rm_row_id=1, tokens={
                      AUDITOR: mint_token(cc, loader.AUDITOR, "compliance_auditor", loader.BRANCH_OF_BENCH_RM),
                      RM: mint_token(cc, loader.BENCH_RM, "relationship_manager", loader.BRANCH_OF_BENCH_RM),
                  })
    sqlite_url = None if sqlite_path is None else f"sqlite:///{sqlite_path}"
    all_targets = targets(ctx, log_dir, sqlite_url)

    if not opts.mix_only:
        ref = establish_reference(ctx, all_targets)
        rm_pages = len(ctx.cursors[(ref.kind, ref.database, RM)])
        if rm_pages < min(10, opts.pages) and opts.customers >= 2_000:
            raise RuntimeError(f"the RM's portfolio has only {rm_pages} pages; it should have at least 10")
        # Before anything is timed: creditcare must answer the reference's data.
        say("checking creditcare against the reference before timing")
        with all_targets["cc1"].make() as server:
            check_target(ctx, all_targets["cc1"], server, stage=", before any timed run")

        time_targets(ctx, all_targets, bodies_dir)
        pg = next((s for s in results["systems"] if s["kind"] == "postgraphile"), None)
        for row in results["systems"]:
            if pg is not None:
                row["ratio_to_postgraphile"] = round(row["wrk"]["requests_per_second"]
                                                     / pg["wrk"]["requests_per_second"], 3)

    mix_bodies = mix_phase(ctx, all_targets, bodies_dir) if opts.ops else {}

    say("SQL statements per request (untimed, fresh servers)")
    if not opts.mix_only:
        sql_or_gap(lambda: count_sql(ctx, all_targets), results["sql_statements"], "unavailable")
    if mix_bodies:
        sql_or_gap(lambda: count_mix_sql(ctx, all_targets, mix_bodies), results["mix"], "sql_unavailable")

    if opts.soak > 0 and not opts.mix_only:
        soak(ctx, all_targets, bodies_dir)
    if not opts.skip_extras and not opts.mix_only:
        extras(ctx, log_dir)
    if opts.drop_after:
        asyncio.run(drop_database(opts.database_url))
        if sqlite_path is not None:
            sqlite_path.unlink(missing_ok=True)


def sql_or_gap(count: Callable[[], None], note: dict[str, Any], key: str) -> None:
    """Count statements; a log this user may not read is a gap in the report (``note[key]``), not a failure."""
    try:
        count()
    except (PageError, DataMismatch):
        raise
    except Exception as exc:  # see the docstring
        note[key] = f"{type(exc).__name__}: {exc}"
        say(f"  SQL statements not counted: {exc}")


async def drop_database(url: str) -> None:
    server, name = loader.server_and_database(url)
    conn = await loader._admin(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def output_paths(opts: Options, when: datetime) -> list[Path]:
    if opts.output is not None:
        return [opts.output]
    if opts.quick:
        return [WORK / "results" / ("quick-mix.json" if opts.mix_only else "quick.json")]
    if opts.mix_only:  # a mix alone never replaces the full run's latest.json
        return [RESULTS / f"mix-{when:%Y-%m-%d}.json", RESULTS / "mix-latest.json"]
    return [RESULTS / f"portfolio-{when:%Y-%m-%d}.json", RESULTS / "latest.json"]


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    when = datetime.now(UTC)
    options = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(opts).items()}
    results: dict[str, Any] = {"ok": False, "when": when.isoformat(timespec="seconds"), "quick": opts.quick,
                               "options": options, "errors": [], "data_equality": [], "systems": [],
                               "sql_statements": {}}
    started = time.monotonic()
    try:
        execute(opts, results)
    except Exception as exc:  # recorded, written and turned into the exit status below
        results["errors"].append(f"{type(exc).__name__}: {exc}")
    finally:
        results["wall_seconds"] = round(time.monotonic() - started, 1)
        results["ok"] = not results["errors"]
        paths = output_paths(opts, when)
        report.write(results, paths)
        print()
        print(report.summary(results))
        print(f"\nresults: {', '.join(str(p) for p in paths)} ({results['wall_seconds']} s)"
              + ("" if results["ok"] else "  — FAILED"))
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
