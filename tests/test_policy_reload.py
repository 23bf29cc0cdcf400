"""Changing the policy of a running service: reload from files, or change stored rules and let
every instance follow through the Redis watcher. All through the GraphQL endpoint.

The database-store tests need Redis (``CREDITCARE_REDIS_URL``, default redis://127.0.0.1:6379/0):
unreachable, they fail — CI has Redis, so a missing one is an error, not a reason to skip.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

import factories as f
from api.asgi import create_app
from api.db.models import CasbinRule
from api.settings import PolicyStoreKind, Settings
from conftest import TEST_SECRET, Api

POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
FINANCIAL_GRANT = "p, relationship_manager, group:financial, read, allow"
FINANCIAL_RULE = ["relationship_manager", "group:financial", "read", "allow"]
ALICE = f.as_("alice")
REDIS_URL = os.environ.get("CREDITCARE_REDIS_URL", "redis://127.0.0.1:6379/0")
POLL_SECONDS, POLL_STEP = 5.0, 0.05

FINANCIALS = """query($id: ID!) { customer(id: $id) { name financialStatements { periodEnd revenue } } }"""
POLICY = """{ policy { version source rules { ptype values } } }"""
RELOAD = """mutation { reloadPolicies { policy { version source } } }"""
CHANGE = """mutation($input: ChangePolicyInput!) { changePolicyRules(input: $input) {
  __typename
  ... on PolicyPayload { policy { version rules { ptype values } } }
  ... on InvalidInputError { code message problems { field message } }
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
    async with running(file_settings) as (_, api):
        customer_id = await alice_customer(api)
        assert readable(await financials(api, customer_id))
        before = await policy_of(api)
        assert before["source"] == f"file:{policy_copy}"

        policy_csv = policy_copy / "policy.csv"
        text = policy_csv.read_text(encoding="utf-8")
        assert text.count(FINANCIAL_GRANT + "\n") == 1
        policy_csv.write_text(text.replace(FINANCIAL_GRANT + "\n", ""), encoding="utf-8")
        assert readable(await financials(api, customer_id)), "an edit alone changes nothing"

        reloaded = (await api.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]["policy"]
        assert reloaded["version"] > before["version"]
        assert not readable(await financials(api, customer_id))
        after = await policy_of(api)
        assert after["version"] == reloaded["version"]
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


async def test_a_change_on_one_instance_reaches_the_other(db_settings):
    lines = file_line_count(POLICY_DIR / "policy.csv")
    grant = ["p", *FINANCIAL_RULE]
    async with running(db_settings) as (app_a, a), running(db_settings) as (_, b):
        engine = app_a.state.runtime.engine
        # Seeded once, by A; B found the table filled and added nothing.
        policy_a, policy_b = await policy_of(a), await policy_of(b)
        assert policy_a["source"] == policy_b["source"] == "database"
        assert len(policy_a["rules"]) == len(policy_b["rules"]) == lines == await stored(engine)
        assert await stored(engine, grant) == 1

        customer_id = await alice_customer(a)
        assert readable(await financials(a, customer_id)) and readable(await financials(b, customer_id))

        result = (await a.ok(CHANGE, {"input": {"remove": [{"ptype": "p", "values": FINANCIAL_RULE}]}},
                             bearer=f.ADMIN))["changePolicyRules"]
        assert result["__typename"] == "PolicyPayload", result
        assert len(result["policy"]["rules"]) == lines - 1
        assert not readable(await financials(a, customer_id)), "the changing instance obeys at once"
        assert await stored(engine, grant) == 0 and await stored(engine) == lines - 1
        await eventually(lambda: readable_on(b, customer_id), False)
        assert len((await policy_of(b))["rules"]) == lines - 1

        result = (await b.ok(CHANGE, {"input": {"add": [{"ptype": "p", "values": FINANCIAL_RULE}]}},
                             bearer=f.ADMIN))["changePolicyRules"]
        assert result["__typename"] == "PolicyPayload", result
        assert readable(await financials(b, customer_id))
        assert await stored(engine, grant) == 1 and await stored(engine) == lines
        await eventually(lambda: readable_on(a, customer_id), True)
        assert len((await policy_of(a))["rules"]) == lines


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"ptype": "p", "values": ["relationship_manager", "group:financial", "read"]}, "input.add.0.values"),
        ({"ptype": "x", "values": FINANCIAL_RULE}, "input.add.0.ptype"),
        ({"ptype": "p", "values": ["relationship_manager", "group:financial", "read", "maybe"]}, "input.add.0.values"),
    ],
    ids=["three-values", "bad-ptype", "unknown-effect"],
)
async def test_invalid_rules_are_refused_and_nothing_changes(db_settings, rule, field):
    async with running(db_settings) as (app, api):
        engine = app.state.runtime.engine
        before, rows = await policy_of(api), await stored(engine)
        result = (await api.ok(CHANGE, {"input": {"add": [rule]}}, bearer=f.ADMIN))["changePolicyRules"]
        assert result["__typename"] == "InvalidInputError", result
        assert [p["field"] for p in result["problems"]] == [field]
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
