"""The printed table and the JSON results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(results: dict[str, Any]) -> str:
    """One line per system and principal: throughput, latency, CPU, memory, SQL, ratio.

    CPU ms/req is the server's process tree; DB ms/req the benchmark database's statement time
    (pg_stat_database.active_time); PG CPU ms/req the whole PostgreSQL server's CPU; DB conns the
    sessions opened during the timed run. SQL/req counts data statements; "+BEGIN…" also counts
    BEGIN/COMMIT/ROLLBACK (round trips too).
    """
    header = (f"{'system':36} {'principal':9} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10} "
              f"{'DB ms/req':>9} {'PG CPU ms/req':>13} {'DB conns':>8} {'peak RSS MB':>11} {'SQL/req':>7} "
              f"{'+BEGIN…':>7} {'÷ PG':>6}")
    lines = [header, "-" * len(header)]
    for s in results.get("systems", []):
        w = s.get("wrk") or {}
        sql = s.get("sql") or {}
        lines.append(
            f"{s['name']:36} {s['principal']:9} {_num(w.get('requests_per_second')):>7} "
            f"{_num(w.get('p50_ms')):>7} {_num(w.get('p99_ms')):>7} {_num(s.get('cpu_ms_per_request'), 2):>10} "
            f"{_num(s.get('db_active_ms_per_request'), 2):>9} "
            f"{_num(s.get('postgres_server_cpu_ms_per_request'), 2):>13} "
            f"{_num(s.get('db_sessions_opened'), 0):>8} {_num(s.get('peak_rss_mb'), 0):>11} "
            f"{_num(sql.get('data_statements_per_request'), 1):>7} {_num(sql.get('per_request'), 1):>7} "
            f"{_num(s.get('ratio_to_postgraphile'), 3):>6}"
        )
    return "\n".join(lines)


def _sql(side: dict[str, Any]) -> str:
    sql = side.get("sql")
    if not sql:
        return "-"
    return f"{_num(sql.get('data_statements_per_request'), 1)} ({_num(sql.get('per_request'), 1)})"


def mix_table(results: dict[str, Any]) -> str:
    """The workload mix as a markdown table: one line per operation, creditcare beside PostGraphile.

    SQL/req counts data statements, in brackets with BEGIN/COMMIT/ROLLBACK; the read path is
    creditcare's (from its /metrics counters; n/a when it has none).
    """
    section = results.get("mix")
    if not section:
        return ""
    if "skipped" in section:
        return f"workload mix skipped: {section['skipped']}"
    lines = [
        f"workload mix: {section['system']} ({section['principal']}) beside {section['reference']}",
        "",
        "| operation | req/s | p50 ms | p99 ms | CPU ms/req | PG req/s | PG p50 ms | PG p99 ms | PG CPU ms/req "
        "| ÷ PG | read path | SQL/req (+BEGIN…) | PG SQL/req |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for row in section.get("operations", []):
        cc, pg = row.get("creditcare") or {}, row.get("postgraphile") or {}
        cw, pw = cc.get("wrk") or {}, pg.get("wrk") or {}
        lines.append(
            f"| {row['operation']} | {_num(cw.get('requests_per_second'))} | {_num(cw.get('p50_ms'))} "
            f"| {_num(cw.get('p99_ms'))} | {_num(cc.get('cpu_ms_per_request'), 2)} "
            f"| {_num(pw.get('requests_per_second'))} | {_num(pw.get('p50_ms'))} | {_num(pw.get('p99_ms'))} "
            f"| {_num(pg.get('cpu_ms_per_request'), 2)} | {_num(row.get('ratio_to_postgraphile'), 3)} "
            f"| {row.get('read_path') or ('n/a' if row['check'].get('equal') else 'not timed: data differ')} "
            f"| {_sql(cc)} | {_sql(pg)} |"
        )
    timed = [row for row in section.get("operations", []) if row.get("ratio_to_postgraphile")]
    lines.append("")
    lines.append(f"geometric mean of ÷ PG over {len(timed)} operations: "
                 f"{_num(section.get('geometric_mean_ratio'), 3)}")
    if section.get("sql_unavailable"):
        lines.append(f"SQL statements not counted: {section['sql_unavailable']}")
    return "\n".join(lines)


def summary(results: dict[str, Any]) -> str:
    """The tables plus load, equality, regrade, authorization and soak lines."""
    out = [table(results), ""] if results.get("systems") else []
    if results.get("mix"):
        out += [mix_table(results), ""]
    load = results.get("load")
    if load:
        rows = ", ".join(f"{k} {v:,}" for k, v in load["rows"].items())
        pg, lite = load["postgres"], load["sqlite"]
        out.append(f"load: {load['total_rows']:,} rows ({rows}) in {load['wall_seconds']} s: create "
                   f"{pg['create_seconds']} s, migrate {pg['migrate_seconds']} s + {lite['migrate_seconds']} s "
                   "(SQLite), "
                   f"rows {load['rows_phase_seconds']} s (COPY ∥ generation {load['generate_seconds']} s + SQLite "
                   f"{lite['insert_seconds']} s), VACUUM ANALYZE {pg['vacuum_analyze_seconds']} s")
    for check in results.get("data_equality", []):
        out.append(f"equal data: {check['label']}: pages {check['positions']}, {check['rows_compared']} rows")
    for row in (results.get("mix") or {}).get("operations", []):
        check = row["check"]
        if not check.get("equal"):
            out.append(f"NOT EQUAL (mix): {row['operation']}: not timed (see the errors)")
            continue
        out.append(f"equal data (mix): {row['operation']}: {len(check['positions'])} of {row['bodies']} requests, "
                   f"{check['rows_compared']} customers, {check['nested_items_compared']} nested items")
    regrade = results.get("regrade")
    if regrade and "customers_per_second" in regrade:
        out.append(f"regrade --all (PostgreSQL, {regrade['customers']:,} customers): "
                   f"{regrade['customers_per_second']:,} "
                   f"customers/s; RSS {regrade['rss_mb_before']} → {regrade['rss_mb_after_first_quarter']} → "
                   f"{regrade['rss_mb_at_end']} MB")
    authz = results.get("authz")
    if authz and "overhead_ms" in authz:
        d = authz["decisions"]
        out.append(f"authorization per page: {authz['overhead_ms']:.2f} ms ({authz['overhead_pct_of_a']:.1f} % of "
                   f"{authz['with_authorization']['mean_ms']:.1f} ms); decisions cold {d['cold']['mean_ms']:.2f} ms, "
                   f"warm {d['warm']['mean_ms'] * 1000:.1f} µs per request")
    soak = results.get("soak")
    if soak:
        out.append(f"soak ({soak['seconds']} s, {soak['name']}): RSS first {soak['rss_mb_first_minute_max']} MB, "
                   f"last {soak['rss_mb_last_minute_max']} MB (max over each minute), "
                   f"{soak['wrk']['requests_per_second']} req/s")
    for error in results.get("errors", []):
        out.append(f"ERROR: {error}")
    return "\n".join(out)


def write(results: dict[str, Any], paths: list[Path]) -> None:
    text = json.dumps(results, indent=2, default=str) + "\n"
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
