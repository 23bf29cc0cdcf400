"""A bad policy never takes the service down, and every worker and instance applies the same policy
within the documented bound (issue 10, "safe policy changes").

Through the GraphQL endpoint and the probes, on SQLite and PostgreSQL. Two "workers" are two app
instances in this process: on one policy directory for the file store, on one database and one
Redis channel for the database store (which needs Redis, see ``test_policy_reload``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import factories as f
from api.asgi import create_app
from api.authz.store import PolicyRejected
from api.db.models import PolicyVersion
from api.settings import Settings
from conftest import TEST_SECRET, Api
from test_policy_reload import (
    ALICE,
    CHANGE,
    FINANCIAL_GRANT,
    FINANCIAL_RULE,
    POLICY_DIR,
    REDIS_URL,
    RELOAD,
    alice_customer,
    decision_input,
    decisions_changed_by,
    decisions_of_revoking,
    eventually,
    expect_what_it_decides,
    financials,
    policy_of,
    readable,
    readable_on,
    running,
    stored,
    without_financial_grant,
)

AUDIT = """query($w: AuditWhere) { auditLog(where: $w, first: 100) { edges { node { object detail } } } }"""
AUDITOR = f.as_("audrey", "compliance_auditor")
# Documents of several kinds, for "every request still answers 200".
DOCUMENTS = [
    ("""query($id: ID!) { customer(id: $id) { name financialStatements { revenue } } }""", ALICE),
    ("""{ customers(first: 5) { totalCount edges { node { name } } } }""", ALICE),
    ("""{ branches { code } }""", ALICE),
    ("""{ policy { digest } }""", f.ADMIN),
]


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, target)
    return target


@pytest.fixture
def file_settings(database_url: str, policy_copy: Path) -> Settings:
    # No polling during a test of reloadPolicies alone: the test decides when the files are read.
    return Settings(database_url=database_url, secret_key=TEST_SECRET, policy_dir=policy_copy,
                    policy_poll_interval_seconds=60)


@pytest.fixture
def db_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key=TEST_SECRET, policy_store="database",
                    redis_url=REDIS_URL, policy_channel=f"/creditcare/test/{uuid.uuid4().hex}")


def append_line(policy_dir: Path, text: str) -> int:
    """Add a line at the end of policy.csv; its line number."""
    policy_csv = policy_dir / "policy.csv"
    lines = [*policy_csv.read_text(encoding="utf-8").rstrip("\n").split("\n"), text]
    policy_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def replace_grant(policy_dir: Path, text: str) -> int:
    """Replace relationship managers' financial grant by ``text``; the line number."""
    policy_csv = policy_dir / "policy.csv"
    lines = policy_csv.read_text(encoding="utf-8").split("\n")
    number = lines.index(FINANCIAL_GRANT) + 1
    lines[number - 1] = text
    policy_csv.write_text("\n".join(lines), encoding="utf-8")
    return number


async def every_request_answers(api: Api, customer_id: str) -> list[dict[str, Any]]:
    """Ask each document once; each must answer 200 (the bodies, for comparing decisions)."""
    bodies = []
    for document, bearer in DOCUMENTS:
        response = await api.post(document, {"id": customer_id} if "$id" in document else None, bearer=bearer)
        assert response.status_code == 200, response.text
        bodies.append(response.json())
    return bodies


async def readiness(api: Api) -> tuple[int, dict[str, Any]]:
    response = await api.client.get("/readyz")
    return response.status_code, response.json()


async def versions_recorded(app: Any) -> list[PolicyVersion]:
    async with app.state.runtime.engine.connect() as conn:
        return list((await conn.execute(select(PolicyVersion).order_by(PolicyVersion.id))).all())


# --- a bad file is refused; the policy in force stays ----------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("p, relationship_manager, group:financial", "a p line has 4 values"),
        ("p, relationship_manager, group:financial, read, allow, extra", "this one has 5"),
        ("g, relationship_manager", "a g line has 2 values"),
        ("x, relationship_manager, staff", "unknown line type 'x'"),
        ("p, relationship_manager, , read, allow", "value 2 is empty"),
    ],
    ids=["three-values", "five-values", "g-one-value", "unknown-ptype", "empty-value"],
)
async def test_a_malformed_file_is_refused_naming_its_line_and_every_request_still_answers(
    file_settings, policy_copy, text, reason
):
    async with running(file_settings) as (_, api):
        customer_id = await alice_customer(api)
        before, answers = await policy_of(api), await every_request_answers(api, customer_id)
        line = append_line(policy_copy, text)

        result = (await api.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]
        assert result["__typename"] == "PolicyRejectedError", result
        assert result["code"] == "POLICY_REJECTED" and result["digest"] == before["digest"]
        [problem] = result["problems"]
        assert (problem["location"], problem["line"]) == ("policy.csv", line) and reason in problem["message"]

        # The old policy is in force: the same requests answer 200 with the same decisions.
        assert await every_request_answers(api, customer_id) == answers
        after = await policy_of(api)
        assert (after["digest"], after["version"]) == (before["digest"], before["version"])

        # The administrator can still reload once the file is fixed.
        (policy_copy / "policy.csv").write_bytes((POLICY_DIR / "policy.csv").read_bytes())
        result = (await api.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]
        assert result["__typename"] == "PolicyPayload", result
        assert result["policy"]["digest"] == before["digest"] and result["added"] == result["removed"] == []


@pytest.mark.parametrize("content", ["", "# every rule removed\n\n"], ids=["empty", "comments-only"])
async def test_an_empty_file_is_refused_and_nobody_is_locked_out(file_settings, policy_copy, content):
    async with running(file_settings) as (_, api):
        customer_id = await alice_customer(api)
        before = await policy_of(api)
        (policy_copy / "policy.csv").write_text(content, encoding="utf-8")
        result = (await api.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]
        assert result["__typename"] == "PolicyRejectedError", result
        assert [(p["location"], p["line"]) for p in result["problems"]] == [("policy", None)]
        assert "no rules" in result["problems"][0]["message"]
        assert readable(await financials(api, customer_id))
        assert (await policy_of(api))["digest"] == before["digest"]  # the administrator too


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("p, relationship_manger, group:financial, read, allow", "unknown role 'relationship_manger'"),
        ("p, relationship_manager, group:financal, read, allow", "unknown group 'group:financal'"),
        ("p, relationship_manager, Customer.financialStatments, read, allow",
         "unknown coordinate 'Customer.financialStatments'"),
        ("p, relationship_manager, group:financial, raed, allow", "unknown action 'raed'"),
        ("p, relationship_manager, rows:Customer, mine, allow", "unknown action 'mine' for rows:Customer"),
    ],
    ids=["role", "group", "coordinate", "action", "row-kind"],
)
async def test_a_mistyped_name_is_refused_naming_its_line(file_settings, policy_copy, text, reason):
    async with running(file_settings) as (_, api):
        customer_id = await alice_customer(api)
        line = replace_grant(policy_copy, text)
        result = (await api.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]
        assert result["__typename"] == "PolicyRejectedError", result
        assert [(p["location"], p["line"]) for p in result["problems"]] == [("policy.csv", line)]
        assert reason in result["problems"][0]["message"]
        assert readable(await financials(api, customer_id)), "the grant the typo replaced is still in force"


async def test_a_change_of_decision_must_be_written_into_the_decision_table(file_settings, policy_copy):
    async with running(file_settings) as (_, api):
        customer_id = await alice_customer(api)
        without_financial_grant(policy_copy)
        changed = decisions_changed_by(policy_copy)
        result = (await api.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]
        assert result["__typename"] == "PolicyRejectedError", result
        assert sorted((p["location"], p["line"]) for p in result["problems"]) == sorted(
            ("decisions.csv", row.line) for row, _ in changed)
        assert all("expected allow, the policy decides deny" in p["message"] for p in result["problems"])
        assert readable(await financials(api, customer_id))

        expect_what_it_decides(policy_copy)  # compliance writes down the decisions the change alters
        result = (await api.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]
        assert result["__typename"] == "PolicyPayload", result
        assert not readable(await financials(api, customer_id))


async def test_an_invalid_policy_stops_the_start_naming_the_line(file_settings, policy_copy):
    line = append_line(policy_copy, "p, relationship_manager, group:financial")
    app = create_app(file_settings)
    with pytest.raises(PolicyRejected, match=f"policy.csv line {line}: a p line has 4 values"):
        async with app.router.lifespan_context(app):
            pass


async def test_an_invalid_policy_file_is_not_seeded_into_the_database(db_settings, policy_copy):
    line = append_line(policy_copy, "p, relationship_manger, group:financial, read, allow")
    db_settings.policy_dir = policy_copy
    app = create_app(db_settings)
    with pytest.raises(PolicyRejected, match=f"policy.csv line {line}: unknown role 'relationship_manger'"):
        async with app.router.lifespan_context(app):
            pass


# --- readiness --------------------------------------------------------------------------------


async def test_readyz_shows_the_policy_version_and_digest(file_settings):
    async with running(file_settings) as (_, api):
        status, body = await readiness(api)
        policy = await policy_of(api)
        assert status == 200, body
        assert body["policy"]["version"] == policy["version"] and body["policy"]["digest"] == policy["digest"]
        assert body["policy"]["behindSeconds"] == 0 and body["policy"]["rejected"] is None


async def test_a_bad_file_found_by_polling_is_refused_and_readyz_reports_it_but_stays_ready(
    file_settings, policy_copy
):
    file_settings.policy_poll_interval_seconds = 0.1
    async with running(file_settings) as (_, api):
        customer_id = await alice_customer(api)
        before = await policy_of(api)
        line = append_line(policy_copy, "p, relationship_manager, group:financial")

        async def reported() -> bool:
            return (await readiness(api))[1]["policy"]["rejected"] is not None

        await eventually(reported, True)
        status, body = await readiness(api)
        assert status == 200, body
        assert body["policy"]["digest"] == before["digest"] and body["policy"]["rejections"] == 1
        assert body["policy"]["rejected"]["problems"] == [
            f"policy.csv line {line}: a p line has 4 values (role, object, action, allow|deny); this one has 2"]
        assert readable(await financials(api, customer_id))
        await asyncio.sleep(0.3)  # a few more polls: the same bad file is not examined again
        assert (await readiness(api))[1]["policy"]["rejections"] == 1


async def test_readyz_is_503_while_the_instance_is_behind_its_store(file_settings, policy_copy, monkeypatch):
    file_settings.policy_poll_interval_seconds = 0.1  # a bound of 1.1 s
    async with running(file_settings) as (app, api):
        store = app.state.runtime.policies.store
        read = store.read

        async def failing() -> None:
            raise OSError("the policy volume is gone")

        monkeypatch.setattr(store, "read", failing)
        append_line(policy_copy, "# a comment: new content, to be examined")

        async def unready() -> bool:
            return (await readiness(api))[0] == 503

        await eventually(unready, True)
        body = (await readiness(api))[1]
        assert body["reason"] == "policy behind its store" and body["policy"]["behindSeconds"] > 1.1
        monkeypatch.setattr(store, "read", read)

        async def ready() -> bool:
            return (await readiness(api))[0] == 200

        await eventually(ready, True)


# --- every worker and instance within the bound ------------------------------------------------


async def test_file_store_every_worker_follows_a_change_within_the_bound(database_url, policy_copy):
    # Default polling: what a deployment gets.
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET, policy_dir=policy_copy)
    bound = settings.policy_sync_bound_seconds
    original = {name: (policy_copy / name).read_bytes() for name in ("policy.csv", "decisions.csv")}
    async with running(settings) as (_, a), running(settings) as (_, b):
        customer_id = await alice_customer(a)
        assert readable(await financials(a, customer_id)) and readable(await financials(b, customer_id))

        # An edit, and no reload: each worker finds it on its own.
        without_financial_grant(policy_copy)
        expect_what_it_decides(policy_copy)
        took = await asyncio.gather(eventually(lambda: readable_on(a, customer_id), False),
                                    eventually(lambda: readable_on(b, customer_id), False))
        print(f"\nfile store, edit followed by polling: worker A {took[0]:.2f} s, B {took[1]:.2f} s (bound {bound} s)")
        assert max(took) <= bound
        assert (await policy_of(a))["digest"] == (await policy_of(b))["digest"]

        # reloadPolicies on A: in force there at once; B follows within the bound.
        for name, content in original.items():
            (policy_copy / name).write_bytes(content)
        result = (await a.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]
        assert result["__typename"] == "PolicyPayload" and result["added"] == [FINANCIAL_GRANT], result
        assert readable(await financials(a, customer_id)), "the reloading worker obeys at once"
        took_b = await eventually(lambda: readable_on(b, customer_id), True)
        print(f"file store, reloadPolicies on A: worker B followed in {took_b:.2f} s (bound {bound} s)")
        assert took_b <= bound
        assert (await policy_of(a))["digest"] == (await policy_of(b))["digest"] == result["policy"]["digest"]


async def test_database_store_every_instance_follows_a_change_within_the_bound(db_settings, tmp_path):
    bound = db_settings.policy_sync_bound_seconds
    changed = decisions_of_revoking(tmp_path / "policies")
    revoke = {"remove": [{"ptype": "p", "values": FINANCIAL_RULE}],
              "decisions": [decision_input(row, actual) for row, actual in changed]}
    grant = {"add": [{"ptype": "p", "values": FINANCIAL_RULE}],
             "decisions": [decision_input(row, row.expected) for row, _ in changed]}
    async with running(db_settings) as (app_a, a), running(db_settings) as (_, b):
        customer_id = await alice_customer(a)
        assert readable(await financials(b, customer_id))

        result = (await a.ok(CHANGE, {"input": revoke}, bearer=f.ADMIN))["changePolicyRules"]
        assert result["__typename"] == "PolicyPayload", result
        took = await eventually(lambda: readable_on(b, customer_id), False)
        print(f"\ndatabase store, announced change: instance B followed in {took:.3f} s (bound {bound} s)")
        assert took <= bound

        # An announcement B never hears (A does not publish this one): the digest check catches up.
        app_a.state.runtime.policies.on_change = None
        result = (await a.ok(CHANGE, {"input": grant}, bearer=f.ADMIN))["changePolicyRules"]
        assert result["__typename"] == "PolicyPayload", result
        assert readable(await financials(a, customer_id))
        took = await eventually(lambda: readable_on(b, customer_id), True)
        print(f"database store, missed announcement: instance B followed in {took:.2f} s (bound {bound} s)")
        assert took <= bound
        assert (await policy_of(a))["digest"] == (await policy_of(b))["digest"] == result["policy"]["digest"]


# --- the database store: changes are checked like files ---------------------------------------


async def test_database_store_refuses_an_undeclared_change_of_decision_and_writes_nothing(db_settings, tmp_path):
    changed = decisions_of_revoking(tmp_path / "policies")
    async with running(db_settings) as (app, api):
        engine = app.state.runtime.engine
        customer_id = await alice_customer(api)
        rows, before = await stored(engine), await policy_of(api)
        remove = [{"ptype": "p", "values": FINANCIAL_RULE}]

        result = (await api.ok(CHANGE, {"input": {"remove": remove}}, bearer=f.ADMIN))["changePolicyRules"]
        assert result["__typename"] == "PolicyRejectedError", result
        assert sorted((p["location"], p["line"]) for p in result["problems"]) == sorted(
            ("decisions.csv", row.line) for row, _ in changed)

        wrong = [decision_input(row, "masked" if row.action == "read" else "allow") for row, _ in changed]
        result = (await api.ok(CHANGE, {"input": {"remove": remove, "decisions": wrong}},
                               bearer=f.ADMIN))["changePolicyRules"]
        assert result["__typename"] == "PolicyRejectedError", result
        assert {p["location"] for p in result["problems"]} == {"input.decisions"}

        missing = [{"ptype": "p", "values": ["risk_expert", "group:financial", "write", "allow"]}]
        result = (await api.ok(CHANGE, {"input": {"remove": missing}}, bearer=f.ADMIN))["changePolicyRules"]
        assert [(p["location"], p["line"]) for p in result["problems"]] == [("input.remove", 0)]

        mistyped = [{"ptype": "p", "values": ["relationship_manager", "Customer.financialStatments", "read", "allow"]}]
        result = (await api.ok(CHANGE, {"input": {"add": mistyped}}, bearer=f.ADMIN))["changePolicyRules"]
        assert [(p["location"], p["line"]) for p in result["problems"]] == [("input.add", 0)]
        assert "unknown coordinate" in result["problems"][0]["message"]

        assert await stored(engine) == rows and (await policy_of(api))["digest"] == before["digest"]
        assert readable(await financials(api, customer_id))


async def test_an_upgrade_whose_decision_table_the_stored_rules_fail_starts_on_the_rules_in_force(
    db_settings, policy_copy, caplog
):
    async with running(db_settings) as (_, api):  # the rules are seeded and come into force
        customer_id = await alice_customer(api)
    # The next release's decision table expects what compliance's stored rules do not decide.
    table = policy_copy / "decisions.csv"
    table.write_text(table.read_text(encoding="utf-8")
                     + "relationship_manager,yes,Customer.financialStatements,read,deny,a new release's default\n",
                     encoding="utf-8")
    db_settings.policy_dir = policy_copy
    async with running(db_settings) as (_, api):
        assert readable(await financials(api, customer_id))  # the stored rules stay in force
    assert "differs from the shipped decision table" in caplog.text


# --- the record: audit entries and every version in force --------------------------------------


async def test_every_change_is_audited_with_its_diff_and_digest(file_settings, policy_copy):
    async with running(file_settings) as (_, api):
        await f.organisation(api)
        before = await policy_of(api)
        append_line(policy_copy, "p, relationship_manager, group:financial")
        refused = (await api.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]
        (policy_copy / "policy.csv").write_bytes((POLICY_DIR / "policy.csv").read_bytes())
        without_financial_grant(policy_copy)
        expect_what_it_decides(policy_copy)
        reloaded = (await api.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]

        entries = (await api.ok(AUDIT, {"w": {"principal": "root"}}, bearer=AUDITOR))["auditLog"]["edges"]
        details = [json.loads(e["node"]["detail"]) for e in entries if e["node"]["object"] == "Mutation.reloadPolicies"]
        by_outcome = {detail["outcome"]: detail for detail in details}
        assert by_outcome["rejected"]["digest"] == before["digest"]
        assert by_outcome["rejected"]["problems"] == [f"policy.csv line {refused['problems'][0]['line']}: "
                                                      + refused["problems"][0]["message"]]
        changed = by_outcome["changed"]
        assert changed["removed"] == [FINANCIAL_GRANT] and changed["added"] == []
        assert changed["digest"] == reloaded["policy"]["digest"] and changed["previousDigest"] == before["digest"]


async def test_every_version_that_comes_into_force_is_kept_with_its_rules(file_settings, policy_copy):
    original = {name: (policy_copy / name).read_bytes() for name in ("policy.csv", "decisions.csv")}
    async with running(file_settings) as (app, api):
        first = await policy_of(api)
        async with running(file_settings) as (_, other):  # a second worker on the same files adds nothing
            assert (await policy_of(other))["digest"] == first["digest"]
        without_financial_grant(policy_copy)
        expect_what_it_decides(policy_copy)
        second = (await api.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]["policy"]
        for name, content in original.items():
            (policy_copy / name).write_bytes(content)
        third = (await api.ok(RELOAD, bearer=f.ADMIN))["reloadPolicies"]["policy"]
        await api.ok(RELOAD, bearer=f.ADMIN)  # nothing changed: nothing recorded

        recorded = await versions_recorded(app)
        assert [v.digest for v in recorded] == [first["digest"], second["digest"], third["digest"]]
        assert third["digest"] == first["digest"], "back to the first policy: in force again from now"
        assert all(v.source == f"file:{policy_copy}" for v in recorded)
        assert [v.in_force_from for v in recorded] == sorted(v.in_force_from for v in recorded)
        for version in recorded:  # the rules of each, whose hash is its digest
            assert hashlib.sha256(version.rules.encode()).hexdigest()[:16] == version.digest
        assert len(recorded[0].rules.splitlines()) == len(first["rules"])
        assert "p,relationship_manager,group:financial,read,allow" in recorded[0].rules.splitlines()
        assert "p,relationship_manager,group:financial,read,allow" not in recorded[1].rules.splitlines()


async def test_database_store_keeps_each_version_with_the_decisions_it_declared(db_settings, tmp_path):
    changed = decisions_of_revoking(tmp_path / "policies")
    revoke = {"remove": [{"ptype": "p", "values": FINANCIAL_RULE}],
              "decisions": [decision_input(row, actual) for row, actual in changed]}
    async with running(db_settings) as (app, api):
        seeded = await policy_of(api)
        result = (await api.ok(CHANGE, {"input": revoke}, bearer=f.ADMIN))["changePolicyRules"]
        recorded = await versions_recorded(app)
        assert [v.digest for v in recorded] == [seeded["digest"], result["policy"]["digest"]]
        assert [v.source for v in recorded] == ["database", "database"]
        assert recorded[0].expectations == []
        assert sorted((e["object"], e["expected"]) for e in recorded[1].expectations) == sorted(
            (row.object, actual) for row, actual in changed)
    # A later start checks the stored rules against the table with the declared decisions: it starts.
    async with running(db_settings) as (_, api):
        assert (await policy_of(api))["digest"] == result["policy"]["digest"]
