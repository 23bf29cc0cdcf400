"""Generated documents over the declared fields answer on the planned path as on the resolvers.

Hypothesis draws documents from the declarations themselves: a root (``customers``,
``customer(id)``, ``node(id)``), a selection of ``Customer`` fields (nested objects and lists
with their sizes), a ``where`` tree over every declared filter with ``_and/_or/_not``, an
``orderBy`` over the sortable fields, a page size either way; and a subject of the decision
table. The suite's verify mode answers each planned request on the regular resolvers as well and
raises on any difference in data, errors or audit entries; the planned path must never fail.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.from_thread
import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLObjectType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import token
from planned_data import FIRST_GRADED, bearer_of, seed, table_subjects
from schema.customer.types import CUSTOMER_READS
from schema.root import build_schema

GRAPHQL = build_schema()._schema
# Roles that read customers' information (with an agreement on file).
READERS = {"relationship_manager", "credit_approver", "disbursement_officer", "post_loan_officer", "risk_expert",
           "complaint_handler", "branch_manager", "compliance_auditor"}
TEXTS = ["Planned", "Co. 1", "planned reads", "%", "_", "公司", "C", "HZ01", "alice", ""]
TIMES = ['"2020-01-01T00:00:00+08:00"', '"2026-11-01T08:30:15.123456+00:00"', '"2030-06-30T23:59:59-05:00"']
DATES = ['"2020-01-01"', '"2025-12-31"']
DECIMALS = ['"0"', '"55.25"', '"75"', '"100.00"']


def _named(gtype: Any) -> Any:
    while isinstance(gtype, (GraphQLNonNull, GraphQLList)):
        gtype = gtype.of_type
    return gtype


def _leaves(type_name: str) -> list[str]:
    """The fields of an object type that need no selection and no arguments."""
    gtype = GRAPHQL.get_type(type_name)
    assert isinstance(gtype, GraphQLObjectType)
    return [
        name for name, f in gtype.fields.items() if not isinstance(_named(f.type), GraphQLObjectType) and not f.args
    ]


def _selection(type_name: str, depth: int = 0) -> st.SearchStrategy[str]:
    """A selection set of ``type_name``: some leaves, and at the first levels some nested objects
    (each field once: the same field with other arguments would not merge)."""
    gtype = GRAPHQL.get_type(type_name)
    assert isinstance(gtype, GraphQLObjectType)
    parts: dict[str, st.SearchStrategy[str]] = {name: st.just(name) for name in [*_leaves(type_name), "__typename"]}
    for name, field in gtype.fields.items():
        inner = _named(field.type)
        if not isinstance(inner, GraphQLObjectType) or depth > 1:
            continue
        args = []
        if "first" in field.args:  # a nested connection: a page either way
            args.append(st.tuples(st.sampled_from(["first", "last"]), st.integers(0, 4)).map(
                lambda t: f"{t[0]}: {t[1]}"))
        for arg_name in field.args:
            if arg_name in ("last", "limit") and "first" not in field.args:
                args.append(st.integers(1, 4).map(lambda n, a=arg_name: f"{a}: {n}"))
            elif arg_name == "majorOnly":
                args.append(st.booleans().map(lambda b: f"majorOnly: {str(b).lower()}"))
        arguments = st.tuples(*args).map(lambda xs: f"({', '.join(xs)})" if xs else "")
        parts[name] = st.tuples(arguments, _selection(inner.name, depth + 1)).map(
            lambda t, n=name: f"{n}{t[0]} {{ {t[1]} }}"
        )
    names = st.lists(st.sampled_from(sorted(parts)), min_size=1, max_size=6, unique=True)
    return names.flatmap(lambda chosen: st.tuples(*(parts[n] for n in chosen))).map(" ".join)


def _condition(name: str) -> st.SearchStrategy[str]:
    """One declared filter with one or two of its comparison's operators and values."""
    where = GRAPHQL.get_type("CustomerWhere")
    assert isinstance(where, GraphQLInputObjectType)
    graphql_name = next(
        n for n, f in where.fields.items() if f.extensions["strawberry-definition"].python_name == name
    )
    comparison = _named(where.fields[graphql_name].type)
    operators: dict[str, st.SearchStrategy[str]] = {}
    for op, field in comparison.fields.items():
        value_type = _named(field.type)
        is_list = isinstance(field.type, GraphQLList) or isinstance(getattr(field.type, "of_type", None), GraphQLList)
        if isinstance(value_type, GraphQLEnumType):
            one = st.sampled_from(list(value_type.values))
        elif value_type.name == "Boolean":
            one = st.sampled_from(["true", "false"])
        elif value_type.name == "DateTime":
            one = st.sampled_from(TIMES)
        elif value_type.name == "Date":
            one = st.sampled_from(DATES)
        elif value_type.name == "Decimal":
            one = st.sampled_from(DECIMALS)
        else:
            one = st.sampled_from(TEXTS).map(json.dumps)
        value = st.lists(one, min_size=0, max_size=3).map(lambda xs: f"[{', '.join(xs)}]") if is_list else one
        operators[op] = value.map(lambda v, o=op: f"{o}: {v}")
    chosen = st.lists(st.sampled_from(sorted(operators)), min_size=1, max_size=2, unique=True)
    return chosen.flatmap(lambda ops: st.tuples(*(operators[o] for o in ops))).map(
        lambda xs: f"{graphql_name}: {{{', '.join(xs)}}}"
    )


FILTERS = [f.name for _, f in CUSTOMER_READS.filters()]
def _combined(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``inner``, or ``_and``/``_or`` of some of it, or ``_not`` of it."""
    return st.one_of(
        inner,
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: f"{{_and: [{', '.join(xs)}]}}"),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: f"{{_or: [{', '.join(xs)}]}}"),
        inner.map(lambda x: f"{{_not: {x}}}"),
    )


# Two levels of _and/_or/_not over single conditions.
WHERE = _combined(_combined(st.sampled_from(FILTERS).flatmap(_condition).map(lambda c: f"{{{c}}}")))
SORTS = [name for name, _, _, _ in CUSTOMER_READS.sorts()]
ORDER = st.lists(st.sampled_from([s for s in SORTS if s != "id"]), max_size=3, unique=True).flatmap(
    lambda names: st.tuples(*(st.sampled_from(["ASC", "DESC"]) for _ in names)).map(
        lambda ds: "[" + ", ".join(
            f"{{{''.join(p if i == 0 else p.title() for i, p in enumerate(n.split('_')))}: {d}}}"
            for n, d in zip(names, ds, strict=True)
        ) + "]"
    )
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    root = draw(st.sampled_from(["customers", "customer", "node"]))
    fields = draw(_selection("Customer"))
    if root == "customer":
        return f"query($id: ID!) {{ customer(id: $id) {{ {fields} }} }}"
    if root == "node":
        return f"query($id: ID!) {{ node(id: $id) {{ id ... on Customer {{ {fields} }} }} }}"
    arguments = [f"{draw(st.sampled_from(['first', 'last']))}: {draw(st.integers(0, 8))}"]
    if draw(st.booleans()):
        arguments.append(f"where: {draw(WHERE)}")
    if draw(st.booleans()):
        arguments.append(f"orderBy: {draw(ORDER)}")
    count = "totalCount" if draw(st.booleans()) else ""
    return (f"query {{ customers({', '.join(arguments)}) {{ {count} "
            "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
            f"edges {{ cursor node {{ {fields} }} }} }} }}")

@pytest.fixture
async def seeded(app: Any, api: Any) -> Any:
    await seed(app, api)
    return app


async def test_generated_documents_answer_on_the_planned_path_as_on_the_resolvers(seeded: Any, api: Any) -> None:
    paths = seeded.state.runtime.read_paths
    auditor = token(sub="alice", roles=("compliance_auditor",), branch="HZ01")
    some = await api.ok(FIRST_GRADED,
                        bearer=auditor)
    some_id = some["customers"]["edges"][0]["node"]["id"]
    subjects = table_subjects()
    seen: list[str] = []
    by_readers: list[bool] = []  # per document a member of staff with an agreement asked: planned?

    async def ask(document: str, subject: tuple[str, bool]) -> None:
        failed, planned = paths["failed"], paths["planned"]
        body = await api(document, {"id": some_id}, bearer=bearer_of(*subject))
        roles, agreement = subject
        if agreement and set(roles.split()) & READERS:
            by_readers.append(paths["planned"] > planned)
        codes = {error["extensions"]["code"] for error in body.get("errors", [])}
        # Generated documents are valid and their values in range: the only errors are refusals
        # (and a customer out of the subject's reach, which is not found).
        assert codes <= {"FORBIDDEN", "NOT_FOUND"}, (document, body["errors"])
        assert paths["failed"] == failed, document
        seen.append(document)

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(document=documents(), subject=st.sampled_from(subjects))
    def check(document: str, subject: tuple[str, bool]) -> None:
        anyio.from_thread.run(ask, document, subject)

    await anyio.to_thread.run_sync(check)
    assert len(seen) >= 40
    # What staff with an agreement ask must mostly really have been planned (the others' documents
    # are refused or fall back, as they should; which subjects are drawn varies with the schema).
    assert by_readers and sum(by_readers) >= len(by_readers) // 2, (by_readers, dict(paths))
