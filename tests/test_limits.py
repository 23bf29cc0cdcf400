"""Limits, enforced through the HTTP endpoint before the work they bound: each refusal is fast,
coded, and names the setting that bounds it."""

from __future__ import annotations

import asyncio
import importlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

import factories as f
from api.asgi import create_app
from api.settings import RateLimitStorage, Settings
from conftest import token

ADMIN = {"Authorization": f"Bearer {f.ADMIN}"}


@asynccontextmanager
async def serving(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose settings differ from the suite's by ``changes``."""
    app = create_app(settings.model_copy(update=changes))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        yield client


async def post(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None,
               headers: dict[str, str] | None = None, **extra: Any) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables or {}, **extra},
                             headers=headers or ADMIN)


def refused(response: httpx.Response, code: str, status: int = 400) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["data"] is None and len(body["errors"]) == 1, body
    assert body["errors"][0]["extensions"]["code"] == code, body
    return str(body["errors"][0]["message"])


async def test_a_document_over_the_token_limit_is_refused_before_it_is_parsed_whole(client, settings):
    terms = ", ".join(f'{{name: {{_eq: "n{i}"}}}}' for i in range(1_000))  # ~19,000 tokens, as reported
    message = refused(await post(client, f"{{ customers(where: {{_or: [{terms}]}}) {{ totalCount }} }}"),
                      "QUERY_TOO_COMPLEX")
    assert f"more than {settings.max_tokens} tokens" in message and "CREDITCARE_MAX_TOKENS" in message


async def test_a_document_nested_too_deep_is_refused_naming_the_depth_limit(client, settings):
    assert (await post(client, "{ me { sub } }")).status_code == 200
    deep = "{ __schema { types { " + "fields { type { " * 8 + "name" + " } }" * 8 + " } } }"
    assert "CREDITCARE_MAX_DEPTH" in refused(await post(client, deep), "QUERY_TOO_COMPLEX")


async def test_sixty_directives_on_one_field_are_one_error_not_sixty(client):
    query = "{ branches " + "@include(if: true) " * 60 + "{ code } }"
    message = refused(await post(client, query), "QUERY_TOO_COMPLEX")
    assert "60 directives" in message and "CREDITCARE_MAX_DIRECTIVES" in message


async def test_aliased_full_pages_with_nested_lists_are_refused_by_cost(client, settings):
    page = "customers(first: 100) { edges { node { id name financialStatements { periodEnd totalAssets } } } }"
    heavy = "{ " + " ".join(f"a{i}: {page}" for i in range(45)) + " }"
    message = refused(await post(client, heavy), "QUERY_TOO_COMPLEX")
    assert "CREDITCARE_MAX_COST" in message and f"the {settings.max_cost} allowed" in message
    one = await post(client, "{ " + page + " }")
    assert one.status_code == 200 and "errors" not in one.json(), one.text


async def test_the_cost_counts_page_sizes_sent_as_variables(client):
    page = "customers(first: $n) { edges { node { id name financialStatements { periodEnd totalAssets } } } }"
    query = "query($n: Int) { " + " ".join(f"a{i}: {page}" for i in range(45)) + " }"
    assert (await post(client, query, {"n": 1})).status_code == 200
    refused(await post(client, query, {"n": 100}), "QUERY_TOO_COMPLEX")


async def test_an_answer_larger_than_the_result_limit_is_refused_not_sent(settings):
    async with serving(settings, max_result_bytes=2_000) as client:
        small = await post(client, '{ industries(section: "A") { code } }')
        assert small.status_code == 200, small.text
        message = refused(await post(client, "{ industries { code name } }"), "RESULT_TOO_LARGE")
        assert "CREDITCARE_MAX_RESULT_BYTES" in message


@pytest.fixture
def slow_caller_lookup(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Every request waits on the returned event while it looks its caller up (as a stuck
    database would make it wait); set the event to let them go on."""
    endpoint = importlib.import_module("api.asgi.graphql_endpoint")  # the package exports a function by that name
    release = asyncio.Event()
    real = endpoint.find_staff_record

    async def waiting(connection: Any, username: str) -> Any:
        await release.wait()
        return await real(connection, username)

    monkeypatch.setattr(endpoint, "find_staff_record", waiting)
    return release


async def test_a_request_over_the_execution_time_limit_is_stopped_with_a_timeout(settings, slow_caller_lookup):
    async with serving(settings, max_execution_seconds=0.2) as client:
        message = refused(await post(client, "{ branches { code } }"), "TIMEOUT", status=503)
        assert "CREDITCARE_MAX_EXECUTION_SECONDS" in message


async def test_requests_over_a_workers_concurrency_limit_get_a_fast_503_while_health_answers(
    settings, slow_caller_lookup
):
    async with serving(settings, max_concurrent_requests=2) as client:
        stuck = [asyncio.create_task(post(client, "{ branches { code } }")) for _ in range(2)]
        await asyncio.sleep(0.05)  # both admitted and waiting on the "database"
        excess = await post(client, "{ branches { code } }")
        assert refused(excess, "SERVICE_OVERLOADED", status=503)
        assert excess.headers["Retry-After"] == "1"
        assert (await client.get("/healthz")).status_code == 200
        slow_caller_lookup.set()
        assert [r.status_code for r in await asyncio.gather(*stuck)] == [200, 200]
        assert (await post(client, "{ branches { code } }")).status_code == 200  # the slots are free again


def _third_party() -> dict[str, str]:
    # A principal of its own (no staff record needed), so that no other test shares its count.
    sub = f"bank-{uuid.uuid4().hex[:8]}"
    return {"Authorization": f"Bearer {token(sub=sub, roles=('third_party',), branch=None, nda=False)}"}


async def test_a_principal_over_its_rate_gets_429_with_retry_after_and_others_go_on(settings):
    async with serving(settings, rate_limit="3/minute") as client:
        one, other = _third_party(), _third_party()
        for _ in range(3):
            assert (await post(client, "{ me { sub } }", headers=one)).status_code == 200
        over = await post(client, "{ me { sub } }", headers=one)
        assert "CREDITCARE_RATE_LIMIT" in refused(over, "RATE_LIMITED", status=429)
        assert 1 <= int(over.headers["Retry-After"]) <= 60
        assert (await post(client, "{ me { sub } }", headers=other)).status_code == 200


async def test_instances_sharing_redis_share_one_rate_per_principal(settings):
    caller = _third_party()
    shared = {"rate_limit": "4/minute", "rate_limit_storage": RateLimitStorage.REDIS}
    async with serving(settings, **shared) as first, serving(settings, **shared) as second:
        statuses = [(await post(c, "{ me { sub } }", headers=caller)).status_code
                    for c in (first, second, first, second, first, second)]
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_an_unreachable_rate_counter_lets_requests_through(settings):
    async with serving(settings, rate_limit="1/minute", rate_limit_storage=RateLimitStorage.REDIS,
                       redis_url="redis://127.0.0.1:1/0") as client:
        caller = _third_party()
        assert [(await post(client, "{ me { sub } }", headers=caller)).status_code for _ in range(3)] == [200] * 3


async def test_an_unknown_operation_name_is_a_400_in_json(client):
    response = await post(client, "query A { branches { code } }", operationName="B")
    assert "no operation named 'B'" in refused(response, "BAD_USER_INPUT")


async def test_several_operations_without_an_operation_name_run_none(client):
    response = await post(client, "query A { branches { code } } mutation B { reloadPolicies { __typename } }")
    assert "operationName" in refused(response, "BAD_USER_INPUT")


async def test_a_nul_character_in_a_string_filter_is_bad_input_on_every_database(client):
    query = "query($n: String) { customers(where: {name: {_startsWith: $n}}) { totalCount } }"
    refused(await post(client, query, {"n": "ab\x00c"}), "BAD_USER_INPUT")
    literal = '{ customers(where: {name: {_startsWith: "ab\\u0000c"}}) { totalCount } }'
    refused(await post(client, literal), "BAD_USER_INPUT")


async def test_a_filter_of_three_thousand_terms_is_refused_before_it_is_converted(client, settings):
    where = {"_or": [{"name": {"_eq": f"n{i}"}} for i in range(3_000)]}
    response = await post(client, "query($w: CustomerWhere) { customers(where: $w) { totalCount } }", {"w": where})
    assert "CREDITCARE_MAX_VARIABLE_VALUES" in refused(response, "BAD_USER_INPUT")


async def test_a_literal_filter_over_the_filter_term_limit_is_bad_input_naming_it(client, api, settings):
    await f.organisation(api)  # the caller, a relationship manager, may list customers
    assert settings.max_filter_terms == 200
    terms = ", ".join(f'{{name: {{_eq: "n{i}"}}}}' for i in range(201))  # within the token limit
    response = await post(client, f"{{ customers(where: {{_or: [{terms}]}}) {{ totalCount }} }}",
                          headers={"Authorization": f"Bearer {api.bearer}"})
    assert response.status_code == 200, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "_in" in error["message"]
    assert "CREDITCARE_MAX_FILTER_TERMS" in error["message"]


async def test_the_filter_term_limit_is_a_setting(api, settings):
    await f.organisation(api)
    terms = ", ".join(f'{{name: {{_eq: "n{i}"}}}}' for i in range(6))
    query = f"{{ customers(where: {{_or: [{terms}]}}) {{ totalCount }} }}"
    headers = {"Authorization": f"Bearer {api.bearer}"}
    async with serving(settings, max_filter_terms=5) as tight:
        error = (await post(tight, query, headers=headers)).json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and "more than the 5 allowed" in error["message"]
    async with serving(settings, max_filter_terms=6) as roomy:
        assert (await post(roomy, query, headers=headers)).json()["data"]["customers"]["totalCount"] == 0


async def test_variables_nested_beyond_reason_are_bad_input(client):
    where: dict[str, Any] = {"name": {"_eq": "x"}}
    for _ in range(40):
        where = {"_not": where}
    response = await post(client, "query($w: CustomerWhere) { customers(where: $w) { totalCount } }", {"w": where})
    assert "nest" in refused(response, "BAD_USER_INPUT")


@pytest.mark.parametrize("content_type", [
    "text/plain; x=application/json", "application/jsonp", "application/json; charset=latin-1", "",
])
async def test_only_json_in_utf8_is_accepted(client, content_type):
    response = await client.post("/graphql", content=b'{"query": "{ branches { code } }"}',
                                 headers={**ADMIN, "Content-Type": content_type})
    refused(response, "BAD_USER_INPUT", status=415)


async def test_json_with_a_charset_parameter_is_accepted(client):
    response = await client.post("/graphql", content=b'{"query": "{ branches { code } }"}',
                                 headers={**ADMIN, "Content-Type": "Application/JSON; charset=UTF-8"})
    assert response.status_code == 200, response.text
