"""A bounded schemathesis pass: documents generated from the schema itself, for every root field,
sent through the HTTP endpoint as two roles on each database. Whatever they ask, the answer is
JSON and never a 5xx, and no error is an internal one.

The documents are drawn once per run with a fixed seed (``derandomize``): CI sees the same ones
each time, so a failure is reproducible; widen ``EXAMPLES`` locally to search harder.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import schemathesis
from graphql import (
    GraphQLScalarType,
    IntValueNode,
    StringValueNode,
    get_introspection_query,
    graphql_sync,
    is_specified_scalar_type,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import factories as f
from schema.root import build_schema

EXAMPLES = 4  # per root field and role: about 250 requests per role and database
ROLES = {"relationship manager": None, "administrator": f.ADMIN}


def _text(values: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """String literals: well-formed values and, as often, arbitrary text."""
    return st.one_of(values, st.text(max_size=20)).map(lambda v: StringValueNode(value=v))


# The custom scalars, drawn well-formed and malformed (a JSON number for a Decimal, year 1, no zone…).
SCALARS = {
    "Decimal": st.one_of(_text(st.decimals(allow_nan=False, places=2).map(str)),
                         st.integers().map(lambda n: IntValueNode(value=str(n)))),
    "Date": _text(st.dates().map(lambda d: d.isoformat())),
    "DateTime": _text(st.datetimes().map(lambda d: d.isoformat() + "+08:00")),
    "JSON": _text(st.just("{}")),
}


def _draw(strategy: st.SearchStrategy[Any], count: int) -> list[str]:
    drawn: list[str] = []

    @settings(max_examples=count, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(strategy)
    def collect(case: Any) -> None:
        drawn.append(case.body)

    collect()
    return drawn


@pytest.fixture(scope="module")
def documents() -> list[tuple[str, str]]:
    """(root field, document) pairs generated from the live schema."""
    graphql_schema = build_schema()._schema
    for name, kind in graphql_schema.type_map.items():
        if isinstance(kind, GraphQLScalarType) and not is_specified_scalar_type(kind):
            # A scalar without its own strategy gets arbitrary text (codes, ids…), which it must refuse cleanly.
            schemathesis.graphql.scalar(name, SCALARS.get(name, _text(st.sampled_from(["CNY", "USD", "XXQ"]))))
    introspection = graphql_sync(graphql_schema, get_introspection_query()).data
    generated = schemathesis.graphql.from_dict(introspection)
    found: list[tuple[str, str]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hypothesis' notes on drawing outside a test
        for result in generated.get_all_operations():
            operation = result.ok()
            found.extend((operation.label, body) for body in _draw(operation.as_strategy(), EXAMPLES))
    assert len({label for label, _ in found}) > 20  # every root field, not a handful
    return found


@pytest.mark.parametrize("role", ROLES)
async def test_generated_documents_never_get_a_server_error(api, documents, role):
    await f.organisation(api)
    await f.customer(api)
    bearer = ROLES[role] or api.bearer
    failures = []
    for label, document in documents:
        response = await api.client.post("/graphql", json={"query": document},
                                         headers={"Authorization": f"Bearer {bearer}"})
        body = response.json()  # always JSON, whatever the status
        internal = [e for e in body.get("errors") or [] if e.get("extensions", {}).get("code") in
                    (None, "INTERNAL_SERVER_ERROR")]
        if response.status_code >= 500 or internal:
            failures.append((label, response.status_code, internal[:1] or body, document))
    assert failures == [], failures[:3]
