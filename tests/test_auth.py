"""Every /graphql request is authenticated by a bearer JWT; only writer roles may change data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from click.testing import CliRunner

from api.auth import issue_token
from api.cli import main
from conftest import TEST_SECRET, token
from factories import CREATE_BRANCH, organisation

QUERY = {"query": "{ branches { code } }"}


async def _post(client, headers):
    return await client.post("/graphql", json=QUERY, headers=headers)


def _unauthenticated(response) -> str:
    assert response.status_code == 401
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    return body["errors"][0]["message"]


async def test_request_without_token_is_401_unauthenticated(client):
    assert "Missing" in _unauthenticated(await _post(client, {}))


async def test_token_signed_with_another_key_is_401(client):
    forged = issue_token("another-secret-key-of-sufficient-length!", sub="alice", roles=["admin"])
    assert "invalid" in _unauthenticated(await _post(client, {"Authorization": f"Bearer {forged}"}))


async def test_expired_token_is_401(client):
    old = issue_token(TEST_SECRET, sub="alice", roles=["admin"], now=datetime.now(UTC) - timedelta(days=2),
                      ttl=timedelta(hours=1))
    assert "expired" in _unauthenticated(await _post(client, {"Authorization": f"Bearer {old}"}))


async def test_non_bearer_scheme_is_401(client):
    _unauthenticated(await _post(client, {"Authorization": f"Basic {token()}"}))


async def test_token_with_malformed_roles_claim_is_401(client):
    bad = jwt.encode({"sub": "alice", "roles": "admin", "exp": datetime.now(UTC) + timedelta(hours=1)},
                     TEST_SECRET, algorithm="HS256")
    _unauthenticated(await _post(client, {"Authorization": f"Bearer {bad}"}))


async def test_valid_token_may_read(client):
    administrator = token(sub="root", roles=("admin",), branch=None, nda=False)  # needs no staff record
    response = await _post(client, {"Authorization": f"Bearer {administrator}"})
    assert response.status_code == 200
    assert response.json() == {"data": {"branches": []}}


async def test_role_not_named_in_settings_may_not_write_and_nothing_is_written(api):
    await organisation(api)
    reader = token(sub="carl", roles=("credit_approver",))
    body = await api(CREATE_BRANCH, {"input": {"code": "XX01", "name": "Nowhere"}}, bearer=reader)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "XX01" not in {b["code"] for b in (await api.ok("{ branches { code } }"))["branches"]}


def test_token_command_prints_a_token_with_the_given_claims(monkeypatch):
    monkeypatch.setenv("CREDITCARE_SECRET_KEY", TEST_SECRET)
    from api.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            main, ["token", "--sub", "alice", "--role", "relationship_manager", "--branch", "HZ01", "--nda"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip().splitlines()[-1], TEST_SECRET, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    assert claims["roles"] == ["relationship_manager"]
    assert claims["branch"] == "HZ01"
    assert claims["nda"] is True
    assert claims["exp"] > datetime.now(UTC).timestamp()
