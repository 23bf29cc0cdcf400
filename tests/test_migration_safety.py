"""Migrations never lose rows they were not written to drop, and the application cannot change
the audit log (docs/database-roles.md).

Each test migrates a fresh database of its own (``create_empty``). ``migrations.upgrade`` and
``downgrade`` call ``asyncio.run`` themselves, so these tests are plain functions that run their
async parts with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection

import factories as f
from api.asgi import create_app
from api.cli import main
from api.db import migrations
from api.db.base import Base, table_of
from api.db.enums import (
    ApplicationStatus,
    CompensationStatus,
    ComplaintCategory,
    ComplaintCause,
    ComplaintChannel,
    ComplaintStatus,
    GuaranteeStatus,
    RiskCategory,
    TeamCapacity,
    TreatmentActionKind,
    TreatmentActionStatus,
)
from api.db.models import (
    AuditEntry,
    BorrowerClassification,
    CasbinRule,
    Complaint,
    ComplaintCompensation,
    ComplaintExtension,
    ComplaintFeedback,
    ComplaintInvestigation,
    ComplaintPlan,
    ComplaintTeamMember,
    ComplaintTransition,
    Consent,
    CreditApplication,
    CreditApplicationStep,
    CreditFacility,
    Customer,
    EarlyWarning,
    ExchangeRate,
    ExternalEvent,
    ExternalReview,
    FacilityClassification,
    GradeAssessment,
    GradeOverride,
    GradingFailure,
    Guarantee,
    MajorInvestment,
    PolicyVersion,
    RecallDecision,
    RegradeRun,
    Repayment,
    RepaymentInstallment,
    ServiceFollowUp,
    ServiceRecord,
    ServiceRecordVersion,
    TreatmentAction,
)
from api.db.session import create_engine, create_sessionmaker
from api.lifespan import plugin_host
from api.services.demo import load_demo_data
from api.settings import Settings, get_settings, to_async_url
from conftest import TEST_SECRET, Api, _admin, token

T = TypeVar("T")
AUDITOR = token(sub="audrey", roles=("compliance_auditor",), branch=None, nda=True)
# Written by revision 0003 and dropped by its downgrade; the tables below it referred to `customer`
# with ON DELETE CASCADE, and SQLite's batch mode recreates `customer` on that downgrade.
CUSTOMER_CHILDREN = {
    "basic_information", "credit_event", "credit_information", "customer_change", "financial_statement",
    "operating_information", "guarantee", "major_investment", "consent",
}


# --- helpers ---------------------------------------------------------------------------------


def _on(url: str, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    async def go() -> T:
        engine = create_engine(to_async_url(url))
        try:
            async with engine.connect() as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def counts(url: str) -> dict[str, int]:
    """Rows per application table present."""

    async def work(conn: AsyncConnection) -> dict[str, int]:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        return {
            name: (await conn.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one()
            for name in sorted(names) if name != "alembic_version"
        }

    return _on(url, work)


def revision(url: str) -> str | None:
    async def go() -> str | None:
        engine = create_engine(to_async_url(url))
        try:
            return await migrations.current_revision(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def schema(url: str) -> dict[str, Any]:
    """Columns, keys, constraints and indexes of every table: what a round trip must give back."""

    def describe(c: Connection) -> dict[str, Any]:
        i = inspect(c)
        out: dict[str, Any] = {}
        for table in sorted(i.get_table_names()):
            out[table] = {
                "columns": [(col["name"], str(col["type"]), col["nullable"]) for col in i.get_columns(table)],
                "pk": i.get_pk_constraint(table)["constrained_columns"],
                "fks": sorted((fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"],
                               fk.get("options", {}).get("ondelete")) for fk in i.get_foreign_keys(table)),
                "uniques": sorted((u["name"], tuple(u["column_names"])) for u in i.get_unique_constraints(table)),
                "checks": sorted(ck["name"] for ck in i.get_check_constraints(table)),
                "indexes": sorted((ix["name"], tuple(ix["column_names"])) for ix in i.get_indexes(table)),
            }
        return out

    return _on(url, lambda conn: conn.run_sync(describe))


def load(url: str, *, records: tuple[str, ...] = tuple(migrations.RECORDS)) -> dict[str, int]:
    """A small demo portfolio (graded), plus a row in each table the demo leaves empty, so that every
    table has rows to lose; ``records``: which append-only records get rows. Returns the counts."""

    async def go() -> None:
        engine = create_engine(to_async_url(url))
        try:
            async with create_sessionmaker(engine).begin() as session:
                await load_demo_data(session, customers_per_branch=1, host=plugin_host(Settings()))
                customer_id = await session.scalar(select(Customer.id).limit(1))
                branch_code = await session.scalar(select(Customer.branch_code).limit(1))
                assessment_id = await session.scalar(select(GradeAssessment.id).limit(1))
                record_id = await session.scalar(select(ServiceRecord.id).limit(1))
                now = datetime.now(UTC)
                rows: list[tuple[Any, dict[str, Any]]] = [
                    (Consent, {"customer_id": customer_id, "third_party": "acme-bank", "groups": ["basic"],
                               "document_reference": "C-1", "valid_from": now, "recorded_by": "demo"}),
                    (Guarantee, {"customer_id": customer_id, "beneficiary": "Supplier", "amount": Decimal("10.00"),
                                 "currency": "CNY", "starts_on": date(2025, 1, 1),
                                 "status": GuaranteeStatus.ACTIVE, "recorded_by": "demo"}),
                    (MajorInvestment, {"customer_id": customer_id, "description": "A plant",
                                       "amount": Decimal("99.00"), "currency": "CNY",
                                       "decided_on": date(2025, 1, 1), "recorded_by": "demo"}),
                    (GradeOverride, {"assessment_id": assessment_id, "customer_id": customer_id, "from_grade": "B",
                                     "to_grade": "A", "direction": "up", "reason_code": "X", "reason_text": "x",
                                     "status": "pending", "proposed_by": "demo"}),
                    (RegradeRun, {"started_by": "demo"}),
                    (ExchangeRate, {"currency": "USD", "cny_per_unit": Decimal("7.1"), "effective_on": date(2025, 1, 1),
                                    "source": "demo", "recorded_by": "demo", "recorded_at": now}),
                    (GradingFailure, {"customer_id": customer_id, "failed_at": now, "triggered_by": "demo",
                                      "trigger": "regrade", "strategy_id": "generic", "plugin_name": "builtin",
                                      "error": "took longer than 2 s"}),
                    (Complaint, {"id": 9001, "customer_id": customer_id, "branch_code": branch_code,
                                 "channel": ComplaintChannel.HOTLINE,
                                 "category": ComplaintCategory.OTHER, "status": ComplaintStatus.PLAN_AGREED,
                                 "matter": "Fee charged twice.", "received_at": now, "received_on": now.date(),
                                 "sla_policy": "cn_2020", "first_due_on": now.date(), "due_on": now.date(),
                                 "handler": "demo", "lender_at_fault": True}),
                    (ComplaintTransition, {"complaint_id": 9001, "to_status": ComplaintStatus.RECEIVED, "by": "demo"}),
                    (ComplaintTeamMember, {"complaint_id": 9001, "username": "demo", "capacity": TeamCapacity.RISK,
                                           "appointed_by": "demo"}),
                    (ComplaintInvestigation, {"complaint_id": 9001, "examined": [], "findings": "Twice.",
                                              "root_cause": ComplaintCause.SYSTEM_FAULT, "recorded_by": "demo"}),
                    (ComplaintPlan, {"complaint_id": 9001, "department": "Ops", "responsible": "demo",
                                     "measures": "Refund.", "deadline": date(2026, 1, 1), "lender_at_fault": True,
                                     "agreed_by": "demo"}),
                    (ComplaintFeedback, {"complaint_id": 9001, "explanation": "Refunded.", "satisfied": True,
                                         "given_by": "demo"}),
                    (ComplaintExtension, {"complaint_id": 9001, "stage": "EXTENDED", "from_due_on": now.date(),
                                          "due_on": now.date(), "reason": "Complex.", "requested_by": "demo"}),
                    (ComplaintCompensation, {"complaint_id": 9001, "amount": Decimal("12.00"), "currency": "CNY",
                                             "reason": "Fee.", "status": CompensationStatus.PROPOSED,
                                             "proposed_by": "demo"}),
                    (CreditApplication, {"id": 6001, "customer_id": customer_id, "product": "Loan",
                                         "amount": Decimal("100.00"), "currency": "CNY", "term_months": 12,
                                         "purpose": "Stock.", "collateral": [], "guarantees": [],
                                         "status": ApplicationStatus.APPROVED, "green_channel": False,
                                         "received_on": date(2026, 1, 1), "due_on": date(2026, 1, 1),
                                         "submitted_by": "demo"}),
                    (CreditApplicationStep, {"application_id": 6001, "to_status": ApplicationStatus.SUBMITTED,
                                             "by": "demo"}),
                    (CreditFacility, {"id": 7001, "application_id": 6001, "customer_id": customer_id,
                                      "reference": "F-1", "product": "Loan",
                                      "limit_amount": Decimal("100.00"), "currency": "CNY",
                                      "drawn_amount": Decimal("100.00"), "start_on": date(2026, 1, 1),
                                      "maturity_on": date(2027, 1, 1), "rate": Decimal("0.04"),
                                      "outstanding": Decimal("100.00"), "category_reasons": [],
                                      "classified_on": date(2026, 1, 1), "recorded_by": "demo"}),
                    (RepaymentInstallment, {"facility_id": 7001, "due_on": date(2026, 6, 30),
                                            "principal": Decimal("50.00"), "interest": Decimal("2.00")}),
                    (Repayment, {"facility_id": 7001, "paid_on": date(2026, 6, 30), "amount": Decimal("52.00"),
                                 "reference": "R-1", "recorded_by": "demo"}),
                    (FacilityClassification, {"facility_id": 7001, "customer_id": customer_id,
                                              "category": RiskCategory.NORMAL, "effective_on": date(2026, 1, 1),
                                              "days_past_due": 0, "overdue_amount": Decimal(0),
                                              "outstanding": Decimal("100.00"), "rules_version": "2023.1"}),
                    (BorrowerClassification, {"customer_id": customer_id, "category": RiskCategory.NORMAL,
                                              "effective_on": date(2026, 1, 1), "days_past_due": 0,
                                              "rules_version": "2023.1"}),
                    (TreatmentAction, {"id": 8001, "customer_id": customer_id, "kind": TreatmentActionKind.EARLY_RECALL,
                                       "title": "Recall", "grade": "D", "treatment_version": "2026.3",
                                       "raised_by": "grading:demo", "due_on": date(2026, 1, 1),
                                       "status": TreatmentActionStatus.OPEN}),
                    (RecallDecision, {"action_id": 8001, "facility_id": 7001, "recall": False, "reason": "Paying.",
                                      "decided_by": "demo"}),
                    (CasbinRule, {"ptype": "p", "v0": "admin", "v1": "*", "v2": "read"}),
                    (ServiceRecordVersion, {"service_record_id": record_id, "version": 1, "written_by": "demo",
                                            "content": {"summary": "Visited."}}),
                    (EarlyWarning, {"customer_id": customer_id, "rule_id": "LEVERAGE", "rule_version": "1.0",
                                    "plugin_name": "builtin", "key": "2025-12-31", "severity": "medium",
                                    "title": "Leverage", "message": "High", "evidence": {}, "trigger": "schedule",
                                    "status": "raised", "raised_at": now}),
                    (ExternalEvent, {"id": 1, "kind": "policy_change", "title": "Tariffs", "description": "Up.",
                                     "occurred_on": date(2026, 1, 1), "industry_prefixes": ["C"], "branch_codes": [],
                                     "customers_touched": 1, "recorded_by": "demo", "recorded_at": now}),
                    (ExternalReview, {"event_id": 1, "customer_id": customer_id, "created_at": now}),
                    (ServiceFollowUp, {"service_record_id": record_id, "customer_id": customer_id, "action": "Call",
                                       "owner": "demo", "due_on": date(2026, 1, 1)}),
                ]
                if "audit_entry" in records:
                    rows.append((AuditEntry, {"principal": "demo", "roles": "admin", "action": "write",
                                              "object": "Customer", "request_id": "r-1"}))
                if "policy_version" in records:
                    rows.append((PolicyVersion, {"digest": "d", "source": "file:policies", "rules": "p, a, b, c"}))
                for model, values in rows:
                    await session.execute(insert(table_of(model)).values(**values))
        finally:
            await engine.dispose()

    asyncio.run(go())
    loaded = counts(url)
    empty = {table for table, n in loaded.items() if n == 0} - (set(migrations.RECORDS) - set(records))
    assert not empty, f"the test data leaves tables empty, which proves nothing about them: {empty}"
    return loaded


def revisions_down_from_head() -> list[str]:
    """Every revision, newest first, then "base"."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    return [rev.revision for rev in script.walk_revisions()] + ["base"]


def assert_kept(before: dict[str, int], after: dict[str, int], step: str) -> None:
    """Every table present after ``step`` that was there before has all its rows."""
    lost = {table: (before[table], after[table]) for table in after if table in before and after[table] < before[table]}
    assert not lost, f"{step} lost rows (table: before, after): {lost}"


# --- the round trip --------------------------------------------------------------------------


def test_a_round_trip_head_to_base_and_back_loses_no_row_a_downgrade_did_not_drop(db_server):
    url = db_server.create_empty()
    migrations.upgrade(url)
    fresh = schema(url)
    loaded = load(url)
    path = revisions_down_from_head()  # ["0006", ..., "0001", "base"]

    # Down to the first revision one step at a time, and back up: what 0001 holds survives whole.
    before = loaded
    for target in path[1:-1]:
        migrations.downgrade(url, target, discard_records=True)
        assert revision(url) == target
        after = counts(url)
        assert_kept(before, after, f"downgrade to {target}")
        before = after
    at_first = before
    for target in reversed(path[:-2]):
        migrations.upgrade(url, target)
        after = counts(url)
        assert_kept(before, after, f"upgrade to {target}")
        before = after
    assert {t: n for t, n in counts(url).items() if t in at_first} == at_first
    assert schema(url) == fresh, "a round trip must give back the schema a fresh upgrade gives"

    # All the way down and up again: the schema comes back, each step dropping only its own tables.
    for target in path[1:]:
        migrations.downgrade(url, target, discard_records=True)
        after = counts(url)
        assert_kept(before, after, f"downgrade to {target}")
        before = after
    assert counts(url) == {} and revision(url) is None
    migrations.upgrade(url)
    assert schema(url) == fresh


# --- one test per former finding ---------------------------------------------------------------


def test_downgrading_grading_keeps_the_rows_of_every_table_that_referred_to_customers(db_server):
    url = db_server.create_empty()
    migrations.upgrade(url)
    loaded = load(url)

    migrations.downgrade(url, "0002", discard_records=True)  # undoes 0006 … 0003 (grading)

    after = counts(url)
    assert set(after) >= CUSTOMER_CHILDREN | {"customer", "branch", "staff_member", "audit_entry"}
    assert after == {table: loaded[table] for table in after}


@pytest.mark.parametrize("record", sorted(migrations.RECORDS))
def test_a_downgrade_that_would_drop_an_append_only_record_refuses_and_changes_nothing(db_server, record):
    url = db_server.create_empty()
    migrations.upgrade(url)
    # Only `record` holds rows: the refusal comes from its own revision, after the revisions above
    # it have been undone within the run, and all of that must be rolled back.
    loaded = load(url, records=(record,))
    before = schema(url)

    for target in ("0001", "base"):
        with pytest.raises(migrations.DowngradeRefused) as refused:
            migrations.downgrade(url, target)
        message = str(refused.value)
        assert record in message and "row(s)" in message and "Nothing was changed" in message
        assert "--discard-records" in message
        assert revision(url) == migrations.head_revision()
        assert counts(url) == loaded
    assert schema(url) == before

    # Still append-only: the refusal did not leave its guard triggers dropped.
    async def try_update(conn: AsyncConnection) -> None:
        await conn.execute(text(f'UPDATE "{record}" SET id = id'))

    with pytest.raises(Exception, match="append-only"):
        _on(url, try_update)


def test_downgrades_to_the_first_revision_and_to_base_complete_when_told_to_discard_the_records(db_server):
    url = db_server.create_empty()
    migrations.upgrade(url)
    loaded = load(url)

    migrations.downgrade(url, "0001", discard_records=True)
    assert revision(url) == "0001"
    after = counts(url)
    assert {"customer", "financial_statement", "staff_member"} <= set(after)
    assert after == {table: loaded[table] for table in after}
    assert not set(after) & set(migrations.RECORDS)

    migrations.downgrade(url, "base", discard_records=True)
    assert revision(url) is None
    assert counts(url) == {}


# --- the command -----------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """The service's URL and the migration (owner's) URL point at two different SQLite files."""
    service, owner = tmp_path / "service.db", tmp_path / "owner.db"
    monkeypatch.setenv("CREDITCARE_DATABASE_URL", f"sqlite:///{service}")
    monkeypatch.setenv("CREDITCARE_MIGRATION_DATABASE_URL", f"sqlite:///{owner}")
    get_settings.cache_clear()
    yield service, owner
    get_settings.cache_clear()


def test_migrate_uses_the_migration_url_and_refuses_a_downgrade_that_would_drop_the_audit_log(cli_env):
    service, owner = cli_env
    runner = CliRunner()
    result = runner.invoke(main, ["migrate"])
    assert result.exit_code == 0, result.output
    assert owner.exists() and not service.exists()
    owner_url = f"sqlite:///{owner}"
    assert revision(owner_url) == migrations.head_revision()
    load(owner_url)

    refused = runner.invoke(main, ["migrate", "--downgrade", "--revision", "base"])
    assert refused.exit_code == 1
    assert "refusing to downgrade" in refused.output and "Nothing was changed" in refused.output
    assert revision(owner_url) == migrations.head_revision()

    done = runner.invoke(main, ["migrate", "--downgrade", "--revision", "base", "--discard-records"])
    assert done.exit_code == 0, done.output
    assert revision(owner_url) is None and counts(owner_url) == {}


# --- the two roles (PostgreSQL) --------------------------------------------------------------

CUSTOMERS = "{ customers(first: 10) { totalCount edges { node { name } } } }"
AUDIT_LOG = "{ auditLog(first: 100) { totalCount edges { node { principal action object } } } }"


def test_the_application_role_reads_and_writes_but_cannot_change_or_unguard_the_records(postgresql_server):
    import asyncpg

    suffix = uuid.uuid4().hex[:10]
    role, owner = f"creditcare_test_app_{suffix}", f"creditcare_test_owner_{suffix}"
    server = postgresql_server.server_url
    url = None
    try:
        # Roles are cluster-wide: uniquely named, dropped at the end whatever happens.
        for name in (role, owner):
            asyncio.run(_admin(server, f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'))
        url = postgresql_server.create_empty()
        # The setup of docs/database-roles.md: the owner of the database runs the migrations.
        asyncio.run(_admin(server, f'ALTER DATABASE "{make_url(url).database}" OWNER TO "{owner}"'))
        owner_url = make_url(url).set(username=owner).render_as_string(hide_password=False)
        # Two runs: the tables a later run adds are granted by that run (policy_version, 0006).
        migrations.upgrade(owner_url, "0005", app_role=role)
        migrations.upgrade(owner_url, app_role=role)
        app_url = make_url(url).set(username=role, password=None).render_as_string(hide_password=False)

        async def through_graphql() -> None:
            application = create_app(Settings(database_url=app_url, secret_key=TEST_SECRET))
            async with (
                application.router.lifespan_context(application),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://test") as c,
            ):
                api = Api(c)
                assert (await c.get("/readyz")).status_code == 200
                await f.organisation(api)
                created = await f.customer(api, bearer=f.as_("alice"))
                assert created["name"]
                listed = await api.ok(CUSTOMERS, bearer=AUDITOR)
                assert listed["customers"]["totalCount"] == 1
                log = await api.ok(AUDIT_LOG, bearer=AUDITOR)
                assert {(e["principal"], e["action"]) for e in (edge["node"] for edge in log["auditLog"]["edges"])} \
                    >= {("alice", "WRITE"), ("root", "WRITE")}

        asyncio.run(through_graphql())

        async def as_app_role() -> None:
            u = make_url(app_url)
            conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=role, database=u.database)
            try:
                assert not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                for table in Base.metadata.tables:  # every table is readable: none was left out
                    await conn.fetchval(f'SELECT count(*) FROM "{table}"')
                for record in migrations.RECORDS:
                    await conn.execute(f'SELECT * FROM "{record}" LIMIT 1')
                    for statement in (
                        f'UPDATE "{record}" SET id = id',
                        f'DELETE FROM "{record}"',
                        f'TRUNCATE "{record}"',
                        f'ALTER TABLE "{record}" DISABLE TRIGGER ALL',
                        f'ALTER TABLE "{record}" DISABLE TRIGGER USER',
                        f'DROP TRIGGER IF EXISTS {record}_append_only ON "{record}"',
                        f'ALTER TABLE "{record}" OWNER TO "{role}"',
                        f'DROP TABLE "{record}"',
                        "SET session_replication_role = replica",  # would skip the triggers
                    ):
                        with pytest.raises(asyncpg.InsufficientPrivilegeError):
                            await conn.execute(statement)
                # Nor can it give itself what it lacks (PostgreSQL only warns that nothing was granted).
                await conn.execute(f'GRANT UPDATE, DELETE, TRUNCATE ON audit_entry TO "{role}"')
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute("UPDATE audit_entry SET id = id")
            finally:
                await conn.close()

        asyncio.run(as_app_role())
        assert counts(url)["audit_entry"] > 0
    finally:
        if url is not None:
            asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        for name in (role, owner):
            asyncio.run(_admin(server, f'DROP ROLE IF EXISTS "{name}"'))


def test_migrations_refuse_to_grant_to_the_owner_itself(postgresql_server):
    url = postgresql_server.create_empty()
    with pytest.raises(RuntimeError, match="is the owner running the migrations"):
        migrations.upgrade(url, app_role=make_url(url).username)
    assert revision(url) is None  # the run was rolled back: no table without its grants


def test_every_append_only_table_is_a_record_the_application_role_may_only_read_and_append(postgresql_server):
    url = postgresql_server.create_empty()
    migrations.upgrade(url)

    async def guarded(conn: AsyncConnection) -> set[str]:
        rows = await conn.execute(text(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname LIKE '%append_only%'"
        ))
        return set(rows.scalars())

    assert _on(url, guarded) == set(migrations.RECORDS)
