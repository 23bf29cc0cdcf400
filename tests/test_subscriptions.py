"""Live updates over WebSocket (graphql-transport-ws): two app instances share one Redis; a warning
raised through one reaches the subscribers of the other that may see the customer, and no one else.

Each test uses channels of its own on the shared Redis (127.0.0.1:6379, as CI runs it) and never
stops it. The instances run in starlette's TestClient (its own thread and event loop per app).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import factories as f
from api.asgi import create_app
from api.settings import Settings
from conftest import token
from test_policy_reload import POLICY_DIR, expect_what_it_decides, without_financial_grant

# A socket that waits for an event that never comes would stall the whole suite: fail instead.
pytestmark = pytest.mark.timeout(90)

WARNINGS = "subscription { earlyWarningRaised { ruleId severity customer { name } } }"
FOUND = "subscription { earlyWarningRaised { customer { name } message } }"
REVISITS = "subscription { revisitDue { name nextRevisitOn } }"


@contextmanager
def two_instances(settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    """Two instances of the service on one database and one Redis."""
    shared = settings.model_copy(update={"live_broker": "redis", "live_channel_prefix": f"/test/{uuid.uuid4().hex}/"})
    with TestClient(create_app(shared)) as one, TestClient(create_app(shared)) as two:
        yield one, two


@pytest.fixture
def instances(settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    with two_instances(settings) as both:
        yield both


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    """A copy of the shipped policy that a test may change."""
    shutil.copytree(POLICY_DIR, tmp_path / "policies")
    return tmp_path / "policies"


def ask(client: TestClient, query: str, variables: dict[str, Any] | None = None, bearer: str | None = None) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables or {}},
                           headers={"Authorization": f"Bearer {bearer or token()}"})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def customer(client: TestClient, name: str, branch: str, manager: str) -> dict[str, Any]:
    values = {"name": name, "creditCode": f.credit_code(), "industryCode": "C34", "branchCode": branch,
              "relationshipManagerUsername": manager}
    return ask(client, f.CREATE_CUSTOMER, {"input": values}, f.as_(manager))["createCustomer"]["customer"]


def falling_revenue(client: TestClient, c: dict[str, Any], bearer: str) -> None:
    """Two statements, revenue down 90 %: the revenue rule raises a warning."""
    first = ask(client, f.RECORD_STATEMENT, {"input": f.statement_input(
        c["id"], c["version"], periodEnd="2024-12-31", revenue="100000000.00")}, bearer)
    version = first["recordFinancialStatement"]["customer"]["version"]
    ask(client, f.RECORD_STATEMENT, {"input": f.statement_input(c["id"], version, revenue="10000000.00")}, bearer)


def organisation(client: TestClient) -> None:
    for code in ("HZ01", "SH01"):
        ask(client, f.CREATE_BRANCH, {"input": {"code": code, "name": code}}, f.ADMIN)
    for username, branch in (("alice", "HZ01"), ("bob", "SH01")):
        ask(client, f.CREATE_STAFF, {"input": {"username": username, "name": username, "branchCode": branch}}, f.ADMIN)
        ask(client, f.RECORD_AGREEMENT, {"input": {"username": username, "signedOn": "2024-01-01",
                                                   "reference": f"NDA-{username}"}}, f.ADMIN)


def subscribe(socket: Any, bearer: str, query: str) -> None:
    socket.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {bearer}"}})
    assert socket.receive_json() == {"type": "connection_ack"}
    socket.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})


def test_a_warning_raised_on_one_instance_reaches_the_subscribers_in_scope_on_another_and_no_one_else(instances):
    one, two = instances
    organisation(two)
    hangzhou = customer(two, "Hangzhou Machines", "HZ01", "alice")
    shanghai = customer(two, "Shanghai Machines", "SH01", "bob")
    with one.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as alices, \
            one.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as bobs:
        subscribe(alices, f.as_("alice"), WARNINGS)
        subscribe(bobs, f.as_("bob"), WARNINGS)
        falling_revenue(two, hangzhou, f.as_("alice"))  # through the other instance
        got = alices.receive_json()
        assert got["payload"]["data"]["earlyWarningRaised"] == {
            "ruleId": "REVENUE_DROP", "severity": "MEDIUM", "customer": {"name": "Hangzhou Machines"}}
        falling_revenue(two, shanghai, f.as_("bob"))
        # Bob's first event is his own customer's: Hangzhou's warning never reached him.
        assert bobs.receive_json()["payload"]["data"]["earlyWarningRaised"]["customer"] == {
            "name": "Shanghai Machines"}
        alices.send_json({"type": "ping"})
        assert alices.receive_json() == {"type": "pong"}  # and Alice never got Shanghai's


def test_a_high_warning_tells_revisit_subscribers_the_revisit_is_due_today(instances):
    one, two = instances
    organisation(two)
    c = customer(two, "Overdue Co", "HZ01", "alice")
    with one.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket:
        subscribe(socket, f.as_("alice"), REVISITS)
        events = [{"occurredOn": "2026-01-05", "kind": "OVERDUE", "description": "Late", "daysPastDue": 3}]
        ask(two, """mutation($input: CreditInformationInput!) { recordCreditInformation(input: $input) {
              __typename } }""", {"input": {"customerId": c["id"], "version": c["version"], "addEvents": events}})
        due = socket.receive_json()["payload"]["data"]["revisitDue"]
        assert due["name"] == "Overdue Co"


@pytest.mark.parametrize("payload", [{}, {"authorization": "Bearer not-a-token"},
                                     {"authorization": f"Bearer {token(sub='stranger')}"}])
def test_a_socket_without_a_valid_token_or_staff_record_is_closed_before_anything_runs(instances, payload):
    one, _ = instances
    with one.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket:
        socket.send_json({"type": "connection_init", "payload": payload})
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4403


def test_a_subscriber_without_the_right_to_read_warnings_is_refused(instances):
    one, two = instances
    organisation(two)
    nda_less = token(sub="alice", roles=("relationship_manager",), branch="HZ01", nda=False)
    with one.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket:
        subscribe(socket, nda_less, WARNINGS)
        refused = socket.receive_json()
    assert refused["type"] in ("error", "next")
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"



def test_a_policy_change_reaches_an_open_subscription_at_its_next_event(settings, policies):
    """Relationship managers lose financial information while Alice's subscription is open: the next
    warning she is sent withholds what the warning found (financial information), with FORBIDDEN."""
    with two_instances(settings.model_copy(update={"policy_dir": policies})) as (one, two):
        organisation(two)
        first, second = (customer(two, name, "HZ01", "alice") for name in ("Before Co", "After Co"))
        with one.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket:
            subscribe(socket, f.as_("alice"), FOUND)
            falling_revenue(two, first, f.as_("alice"))
            before = socket.receive_json()["payload"]
            assert "errors" not in before and before["data"]["earlyWarningRaised"]["message"]
            without_financial_grant(policies)
            expect_what_it_decides(policies)
            # The instance holding the socket takes the change at once (the other by its poll).
            reloaded = ask(one, "mutation { reloadPolicies { __typename ... on PolicyRejectedError { problems { "
                                "message } } } }", bearer=f.ADMIN)
            assert reloaded["reloadPolicies"]["__typename"] == "PolicyPayload", reloaded  # why, if refused
            # Recorded by a branch manager: relationship managers can no longer read what it returns.
            falling_revenue(two, second, f.as_("alice", "branch_manager"))
            after = socket.receive_json()["payload"]
    assert after["data"]["earlyWarningRaised"] == {"customer": {"name": "After Co"}, "message": None}
    assert [(e["extensions"]["code"], e["path"]) for e in after["errors"]] == [
        ("FORBIDDEN", ["earlyWarningRaised", "message"])]
