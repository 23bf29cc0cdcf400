"""Changing the policy of a running service: reload from files, or change stored rules and let
every instance follow through the Redis watcher. All through the GraphQL endpoint.

The database-store tests need Redis (``CREDITCARE_REDIS_URL``, default redis://127.0.0.1:6379/0):
unreachable, they fail — CI has Redis, so a missing one is an error, not a reason to skip.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

import factories as f
from api.asgi import create_app
from api.authz.decision_table import DecisionRow, check, read_decision_table
from api.authz.validation import build_policy, read_rule_lines
from api.authz.vocabulary import Vocabulary
from api.db.models import CasbinRule
from api.settings import PolicyStoreKind, Settings
from conftest import TEST_SECRET, Api
from schema.root import build_schema
from schema.vocabulary import vocabulary_of

POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
FINANCIAL_GRANT = "p, relationship_manager, group:financial, read, allow"
FINANCIAL_RULE = ["relationship_manager", "group:financial", "read", "allow"]
ALICE = f.as_("alice")
REDIS_URL = os.environ.get("CREDITCARE_REDIS_URL", "redis://127.0.0.1:6379/0")
POLL_SECONDS, POLL_STEP = 5.0, 0.05

FINANCIALS = """query($id: ID!) { customer(id: $id) { name financialStatements { periodEnd revenue } } }"""
POLICY = """{ policy { version digest source rules { ptype values } } }"""
RELOAD = """mutation { reloadPolicies {
  __typename
  ... on PolicyPayload { policy { version digest source } added removed }
  ... on PolicyRejectedError { code message digest problems { location line message } }
} }"""
CHANGE = """mutation($input: ChangePolicyInput!) { changePolicyRules(input: $input) {
  __typename
  ... on PolicyPayload { policy { version digest rules { ptype values } } added removed }
  ... on InvalidInputError { code message problems { field message } }
  ... on PolicyRejectedError { code message digest problems { location line message } }
} }"""


def file_line_count(policy_csv: Path) -> int:
    """Rule lines of a policy CSV, counted independently of the application's reader."""
    return sum(1 for line in policy_csv.read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.lstrip().startswith("#"))


def require_redis(url: str) -> None:
    """Redis must answer: a test of the database store fails (never skips) without it."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {url} is unreachable ({exc}); the database policy store needs it")
    finally:
        client.close()


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[Any, Api]]:
    """An instance of the app with its lifespan, and a client of it; the watcher's thread must end."""
    if settings.policy_store is PolicyStoreKind.DATABASE:
        require_redis(settings.redis_url)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        on_change = app.state.runtime.policies.on_change
        watcher = getattr(on_change, "__self__", None)  # the RedisWatcher, when there is one
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            yield app, Api(client)
    if watcher is not None:
        thread: threading.Thread = watcher.subscribe_thread
        await asyncio.to_thread(thread.join, 3.0)
        assert not thread.is_alive(), "the Redis watcher's thread outlived the app's lifespan"


async def alice_customer(api: Api) -> str:
    """The test organisation and one customer of alice's with one statement; its ID."""
    await f.organisation(api)
    customer = await f.customer(api, bearer=ALICE)
    await f.statement(api, customer["id"], customer["version"], bearer=ALICE)
    return customer["id"]


async def financials(api: Api, customer_id: str) -> dict[str, Any]:
    return await api(FINANCIALS, {"id": customer_id}, bearer=ALICE)


def readable(body: dict[str, Any]) -> bool:
    """True when alice read the statements; False when they were FORBIDDEN (and null) at their path."""
    if "errors" not in body:
        assert body["data"]["customer"]["financialStatements"], body
        return True
    assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
        ("FORBIDDEN", ["customer", "financialStatements"])
    ], body["errors"]
    assert body["data"]["customer"]["name"] and body["data"]["customer"]["financialStatements"] is None, body
    return False


async def readable_on(api: Api, customer_id: str) -> bool:
    return readable(await financials(api, customer_id))


async def eventually(check, expected: bool) -> float:  # type: ignore[no-untyped-def]
    """Poll ``check()`` (bounded) until it gives ``expected``; the seconds it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        if await check() == expected:
            return loop.time() - start
        if loop.time() - start > POLL_SECONDS:
            pytest.fail(f"not {expected} within {POLL_SECONDS} s")
        await asyncio.sleep(POLL_STEP)


async def policy_of(api: Api) -> dict[str, Any]:
    return (await api.ok(POLICY, bearer=f.ADMIN))["policy"]


@cache
def vocabulary() -> Vocabulary:
    return vocabulary_of(build_schema())


def decisions_changed_by(policy_dir: Path) -> list[tuple[DecisionRow, str]]:
    """The rows of the decision table in ``policy_dir`` that its policy no longer satisfies, each
    with what the policy now decides: what compliance writes into the table with such a change."""
    policy = build_policy(policy_dir / "model.conf", read_rule_lines(policy_dir / "policy.csv"), "test", vocabulary())
    table = read_decision_table(policy_dir / "decisions.csv")
    return [(failure.row, failure.actual) for failure in check(policy, table)]


def expect_what_it_decides(policy_dir: Path) -> list[tuple[DecisionRow, str]]:
    """Rewrite the decision table beside an edited policy to expect what it now decides."""
    changed = decisions_changed_by(policy_dir)
    table = policy_dir / "decisions.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.strip() and not line.startswith("#")).split(",")
    for row, actual in changed:
        cells = next(csv.reader([lines[row.line - 1]]))
        cells[header.index("expected")] = actual
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(cells)
        lines[row.line - 1] = out.getvalue()
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


def without_financial_grant(policy_dir: Path) -> None:
    """Revoke relationship managers' financial information in ``policy_dir``."""
    policy_csv = policy_dir / "policy.csv"
    text = policy_csv.read_text(encoding="utf-8")
    assert text.count(FINANCIAL_GRANT + "\n") == 1
    policy_csv.write_text(text.replace(FINANCIAL_GRANT + "\n", ""), encoding="utf-8")


def decisions_of_revoking(tmp: Path) -> list[tuple[DecisionRow, str]]:
    """The decisions that revoking relationship managers' financial information changes in the
    shipped table, with their new outcome (what ``changePolicyRules`` must declare)."""
    shutil.copytree(POLICY_DIR, tmp)
    without_financial_grant(tmp)
    changed = decisions_changed_by(tmp)
    assert changed and all(row.roles >= {"relationship_manager"} and actual == "deny" for row, actual in changed)
    return changed


def decision_input(row: DecisionRow, expected: str) -> dict[str, Any]:
    return {"roles": sorted(row.roles), "agreement": row.agreement, "object": row.object, "action": row.action,
            "expected": expected}


# --- the file store: edit policies/, then reload ------------------------------------------------


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, target)
    return target


@pytest.fixture
def file_settings(database_url: str, policy_copy: Path) -> Settings:
    return Settings(database_url=database_url, secret_key=TEST_SECRET, policy_dir=policy_copy)


async def test_edited_file_takes_effect_on_reload_without_restart(file_settings, policy_copy):
    file_settings.policy_poll_interval_seconds = 60  # the reload, not the polling, is under test
    async with running(file_settings) as (_, api):
        customer_id = await alice_customer(api)
        assert readable(await financials(api, customer_id))
        before = await policy_of(api)
        assert before["source"] == f"file:{policy_copy}"

        policy_csv = policy_copy / "policy.csv"
        without_financial_grant(policy_copy)
        expect_what_it_decides(policy_copy)  # compliance records the decisions the edit changes
        assert readable(await financials(api, customer_id)), "an edit alone changes nothing until reloaded"

        result = (await api.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]
        assert result["__typename"] == "PolicyPayload", result
        assert result["removed"] == [FINANCIAL_GRANT] and result["added"] == []
        reloaded = result["policy"]
        assert reloaded["version"] > before["version"] and reloaded["digest"] != before["digest"]
        assert not readable(await financials(api, customer_id))
        after = await policy_of(api)
        assert after["version"] == reloaded["version"] and after["digest"] == reloaded["digest"]
        assert len(after["rules"]) == len(before["rules"]) - 1 == file_line_count(policy_csv)
        assert {"ptype": "p", "values": FINANCIAL_RULE} not in after["rules"]


async def test_only_administrators_reload(file_settings):
    async with running(file_settings) as (_, api):
        await f.organisation(api)
        version = (await policy_of(api))["version"]
        body = await api(RELOAD, bearer=ALICE)
        assert body["data"] is None
        assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [("FORBIDDEN", ["reloadPolicies"])]
        body = await api(POLICY, bearer=ALICE)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        assert (await policy_of(api))["version"] == version


async def test_file_store_refuses_rule_changes(file_settings):
    async with running(file_settings) as (_, api):
        before = await policy_of(api)
        result = (await api.ok(CHANGE, {"input": {"remove": [{"ptype": "p", "values": FINANCIAL_RULE}]}},
                               bearer=f.ADMIN))["changePolicyRules"]
        assert result["__typename"] == "InvalidInputError", result
        assert result["code"] == "BAD_USER_INPUT"
        [problem] = result["problems"]
        assert problem["field"] == "input" and "policies are files" in problem["message"]
        after = await policy_of(api)
        assert after["version"] == before["version"] and after["rules"] == before["rules"]


# --- the database store: two instances kept in step through Redis ------------------------------


@pytest.fixture
def db_settings(database_url: str) -> Settings:
    """Database store on the test's database, on a channel of this test's own."""
    return Settings(database_url=database_url, secret_key=TEST_SECRET, policy_store="database",
                    redis_url=REDIS_URL, policy_channel=f"/creditcare/test/{uuid.uuid4().hex}")


async def stored(engine: Any, line: list[str] | None = None) -> int:
    """Rows of casbin_rule (matching ``[ptype, v0, …]`` when given)."""
    query = select(func.count()).select_from(CasbinRule)
    if line is not None:
        ptype, *values = line
        query = query.where(CasbinRule.ptype == ptype,
                            *(getattr(CasbinRule, f"v{i}") == v for i, v in enumerate(values)))
    async with engine.connect() as conn:
        return int(await conn.scalar(query))


async def test_a_change_on_one_instance_reaches_the_other(db_settings, tmp_path):
    lines = file_line_count(POLICY_DIR / "policy.csv")
    grant = ["p", *FINANCIAL_RULE]
    changed = decisions_of_revoking(tmp_path / "policies")
    async with running(db_settings) as (app_a, a), running(db_settings) as (_, b):
        engine = app_a.state.runtime.engine
        # Seeded once, by A; B found the table filled and added nothing.
        policy_a, policy_b = await policy_of(a), await policy_of(b)
        assert policy_a["source"] == policy_b["source"] == "database"
        assert policy_a["digest"] == policy_b["digest"]
        assert len(policy_a["rules"]) == len(policy_b["rules"]) == lines == await stored(engine)
        assert await stored(engine, grant) == 1

        customer_id = await alice_customer(a)
        assert readable(await financials(a, customer_id)) and readable(await financials(b, customer_id))

        revoke = {"remove": [{"ptype": "p", "values": FINANCIAL_RULE}],
                  "decisions": [decision_input(row, actual) for row, actual in changed]}
        result = (await a.ok(CHANGE, {"input": revoke}, bearer=f.ADMIN))["changePolicyRules"]
        assert result["__typename"] == "PolicyPayload", result
        assert result["removed"] == [FINANCIAL_GRANT] and result["added"] == []
        assert len(result["policy"]["rules"]) == lines - 1
        assert not readable(await financials(a, customer_id)), "the changing instance obeys at once"
        assert await stored(engine, grant) == 0 and await stored(engine) == lines - 1
        await eventually(lambda: readable_on(b, customer_id), False)
        assert len((await policy_of(b))["rules"]) == lines - 1
        assert (await policy_of(b))["digest"] == result["policy"]["digest"] == (await policy_of(a))["digest"]

        grant_again = {"add": [{"ptype": "p", "values": FINANCIAL_RULE}],
                       "decisions": [decision_input(row, row.expected) for row, _ in changed]}
        result = (await b.ok(CHANGE, {"input": grant_again}, bearer=f.ADMIN))["changePolicyRules"]
        assert result["__typename"] == "PolicyPayload", result
        assert readable(await financials(b, customer_id))
        assert await stored(engine, grant) == 1 and await stored(engine) == lines
        await eventually(lambda: readable_on(a, customer_id), True)
        assert len((await policy_of(a))["rules"]) == lines


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ({"ptype": "p", "values": ["relationship_manager", "group:financial", "read"]}, "has 4 values"),
        ({"ptype": "x", "values": FINANCIAL_RULE}, "unknown line type 'x'"),
        ({"ptype": "p", "values": ["relationship_manager", "group:financial", "read", "maybe"]}, "allow or deny"),
    ],
    ids=["three-values", "bad-ptype", "unknown-effect"],
)
async def test_invalid_rules_are_refused_and_nothing_changes(db_settings, rule, reason):
    async with running(db_settings) as (app, api):
        engine = app.state.runtime.engine
        before, rows = await policy_of(api), await stored(engine)
        result = (await api.ok(CHANGE, {"input": {"add": [rule]}}, bearer=f.ADMIN))["changePolicyRules"]
        assert result["__typename"] == "PolicyRejectedError", result
        assert result["code"] == "POLICY_REJECTED" and result["digest"] == before["digest"]
        [problem] = result["problems"]
        assert (problem["location"], problem["line"]) == ("input.add", 0) and reason in problem["message"], problem
        after = await policy_of(api)
        assert after["version"] == before["version"] and after["rules"] == before["rules"]
        assert await stored(engine) == rows


async def test_an_instance_whose_watcher_stops_listening_is_unready_and_reconnects(db_settings):
    db_settings.policy_watch_interval_seconds = 0.05
    async with running(db_settings) as (app, api):
        assert (await api.client.get("/readyz")).status_code == 200
        watcher = app.state.runtime.policies.on_change.__self__
        first_thread = watcher.subscribe_thread
        watcher.sub_client.unsubscribe()  # as a Redis error would: the listening thread ends
        await asyncio.to_thread(first_thread.join, 3.0)
        response = await api.client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["reason"] == "policy watcher not listening"
        # The supervisor starts a new listener and the instance is ready again.
        async def ready() -> bool:
            return (await api.client.get("/readyz")).status_code == 200

        await eventually(ready, True)
        assert watcher.subscribe_thread is not first_thread
