"""The HTTP edge: bounded bodies, clear errors for malformed requests, GraphiQL in development."""

from __future__ import annotations

from conftest import token

# An administrator: the one staff role served without a staff record (these tests create none).
AUTH = {"Authorization": f"Bearer {token(sub='root', roles=('admin',), branch=None, nda=False)}"}


async def test_body_over_the_limit_is_413_without_being_parsed(client, settings):
    body = b'{"query": "' + b" " * settings.max_body_bytes + b'{ branches { code } }"}'
    response = await client.post("/graphql", content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_deeply_nested_json_is_a_400_not_a_crash(client):
    body = b'{"query": "{ branches { code } }", "variables": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = await client.post("/graphql", content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_invalid_json_is_400(client):
    response = await client.post("/graphql", content=b"{nope", headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400


async def test_query_must_be_a_string(client):
    response = await client.post("/graphql", json={"query": 42}, headers=AUTH)
    assert response.status_code == 400
    assert "query" in response.json()["errors"][0]["message"]


async def test_syntax_error_carries_bad_user_input(client):
    response = await client.post("/graphql", json={"query": "{ customers { "}, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_graphiql_is_served_on_get_in_development(client):
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_every_response_carries_a_request_id_of_the_service_and_the_clients_beside_it(client):
    first = await client.post("/graphql", json={"query": "{ branches { code } }"},
                              headers={**AUTH, "X-Request-ID": "abc-123"})
    second = await client.post("/graphql", json={"query": "{ branches { code } }"},
                               headers={**AUTH, "X-Request-ID": "abc-123"})
    ids = {first.headers["X-Request-ID"], second.headers["X-Request-ID"]}
    assert len(ids) == 2 and "abc-123" not in ids  # a client cannot choose the id the audit log files under
    assert first.headers["X-Client-Request-ID"] == "abc-123"


async def test_a_document_selecting_too_many_fields_is_refused_before_execution(client, settings):
    many = " ".join(f"a{i}: industries {{ code name }}" for i in range(settings.max_aliases + 1))
    response = await client.post("/graphql", json={"query": "{ " + many + " }"}, headers=AUTH)
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "aliases" in body["errors"][0]["message"]


async def test_a_fragment_bomb_is_counted_once_per_fragment_and_refused_quickly(client):
    import time

    fragments = ["fragment F0 on Industry { code name }"]
    for i in range(1, 40):  # each fragment spreads the previous twice: 2^40 fields if expanded naively
        fragments.append(f"fragment F{i} on Industry {{ ...F{i - 1} ...F{i - 1} }}")
    query = "{ industries { ...F39 } } " + " ".join(fragments)
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": query}, headers=AUTH)
    # Expanded naively, 2^40 selections would take days: any bound catches it; a busy machine needs slack.
    assert time.perf_counter() - started < 20
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_selection_count_expands_fragments(settings):
    from api.asgi.graphql_endpoint import document_limits
    from schema.complexity import admit
    from schema.root import build_schema

    admitted = admit(build_schema()._schema,
                     "query { a: customers { totalCount } ...F } fragment F on Query { b: branches { code } }",
                     None, None, document_limits(settings))
    assert (admitted.measure.selections, admitted.measure.aliases) == (4, 2)
