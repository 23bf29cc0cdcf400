"""The customers page on the planned path, and every field of it that has a resolver.

A field without a resolver reads the attribute of its source: a customer row holds the same
names as the ``Customer`` type's plain fields. A field with one needs an entry in ``RESOLVED``;
what it loads per customer is part of the page's one query (``api.services.customer_page``).
A new read type joins the fast path by adding its entries here and its columns or subquery
there (the equivalence tests then check it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLEnumType
from strawberry import relay

from api.authz.policy import Action
from api.db.compiled import Reader
from api.db.models import Customer as CustomerRow
from api.db.models import ServiceRecord as ServiceRecordRow
from api.errors import DomainError
from api.services.customer_page import OPEN_COMPLAINTS, RECORDS, PageSpec, customer_page
from api.services.customer_query import count_customers, is_stale
from api.services.json_nodes import JsonField
from schema.customer.types import MAX_NESTED
from schema.grading import grade_of
from schema.ids import global_id, page_info
from schema.planned.run import Bound, BoundPlan, Fallback, Run
from schema.planned.shape import NotPlannable, Resolved
from schema.reference import industry_of

_CUSTOMER_COLUMNS = frozenset(CustomerRow.__table__.c.keys())
_SERVICE_RECORD_COLUMNS = frozenset(ServiceRecordRow.__table__.c.keys())


@dataclass(frozen=True, slots=True)
class PlannedConnection:
    """The source of a planned ``CustomerConnection``: the same attributes as the strawberry type."""

    edges: list[relay.Edge[Any]]
    page_info: relay.PageInfo


def _last(args: dict[str, Any]) -> int:
    last = args["last"]
    if not 1 <= last <= MAX_NESTED:
        raise Fallback("out of range: the regular path words the error")
    return int(last)


RESOLVED: dict[str, Resolved] = {
    "Query.customers": Resolved(value=lambda source, run, shape: run.root_value),
    "CustomerConnection.totalCount": Resolved(value=lambda source, run, shape: run.fetched[shape]),
    "Customer.id": Resolved(value=lambda row, run, shape: global_id("Customer", row.id), columns=("id",)),
    "Customer.industry": Resolved(value=lambda row, run, shape: industry_of(row.industry_code), columns=("industry_code",)),
    "Customer.grade": Resolved(value=lambda row, run, shape: grade_of(row), columns=("id", "grade", "grade_score", "graded_at")),
    "Customer.financialsStale": Resolved(
        value=lambda row, run, shape: is_stale(row, run.ctx.stale_cutoff), columns=("latest_statement_period_end",)
    ),
    "Customer.serviceRecords": Resolved(value=lambda row, run, shape: getattr(row, RECORDS)),
    "Customer.openComplaintCount": Resolved(value=lambda row, run, shape: getattr(row, OPEN_COMPLAINTS)),
}
ROOTS = frozenset({"customers"})


def page_spec(plan: BoundPlan) -> PageSpec:
    """What the page must read for this plan: columns, service records, complaints."""
    columns = ["id"]
    record_columns: tuple[str, ...] | None = None
    complaints = False
    for bound in plan.fields_of("Customer"):
        shape = bound.shape
        if shape.read is not None:
            if shape.python_name not in _CUSTOMER_COLUMNS:
                raise NotPlannable(f"{shape.coordinate} is not a column")
            columns.append(shape.python_name)
        elif shape.resolved is not None:
            columns.extend(shape.resolved.columns)
        if bound.action is Action.DENY:
            continue
        if shape.name == "serviceRecords":
            if record_columns is not None:
                raise NotPlannable("service records selected twice")
            names = [child.python_name for child in shape.children if child.read is not None]
            if not set(names) <= _SERVICE_RECORD_COLUMNS:
                raise NotPlannable("a service record field that is not a column")
            record_columns = tuple(dict.fromkeys(names))
        elif shape.name == "openComplaintCount":
            complaints = True
    nodes = [b for b in plan.fields_of("CustomerEdge") if b.shape.name == "node" and b.action is not Action.DENY]
    node = _json_node(nodes[0]) if len(nodes) == 1 else None
    return PageSpec(tuple(dict.fromkeys(columns)), record_columns, complaints, node)


def _json_leaf(key: str, leaf: Any, column: str) -> JsonField | None:
    """How the database writes a leaf as this schema serializes it; None if it cannot."""
    if isinstance(leaf, GraphQLEnumType):
        names = tuple((value.value, name) for name, value in leaf.values.items())
        return JsonField(key, "enum", column, names=names) if all(isinstance(v, str) for v, _ in names) else None
    kind = {"String": "column", "Int": "column", "Boolean": "column", "DateTime": "datetime", "Date": "date",
            "Decimal": "text"}.get(leaf.name)
    return None if kind is None else JsonField(key, kind, column)


def _json_children(bound: Bound, type_name: str, columns: dict[str, str]) -> tuple[JsonField, ...] | None:
    """A nested object's fields, each a leaf over one of ``columns`` (field name -> column)."""
    fields: list[JsonField] = []
    for child in bound.children:
        shape = child.shape
        if shape.definition is None:
            fields.append(JsonField(shape.key, "literal", literal=type_name))
            continue
        column = columns.get(shape.name)
        if child.action is not Action.PASS or column is None or shape.leaf is None or shape.is_list:
            return None
        leaf = _json_leaf(shape.key, shape.leaf, column)
        if leaf is None:
            return None
        fields.append(leaf)
    return tuple(fields)


def _json_node(node: Bound) -> tuple[JsonField, ...] | None:
    """The customer node as the database builds it, or None when a field needs Python.

    Denied fields are null in the JSON and noted on ``node.json_denied`` (their errors and audit
    entries are made per row); audited and masked fields, and any field without a SQL form,
    keep the node in Python.
    """
    fields: list[JsonField] = []
    denied: list[Bound] = []
    for child in node.children:
        shape = child.shape
        if shape.definition is None:
            fields.append(JsonField(shape.key, "literal", literal="Customer"))
            continue
        if child.action is Action.DENY:
            fields.append(JsonField(shape.key, "null"))
            denied.append(child)
            continue
        if child.action is not Action.PASS:
            return None
        found: JsonField | tuple[JsonField, ...] | None
        if shape.name == "id":
            found = JsonField(shape.key, "global_id", literal="Customer")
        elif shape.read is not None:
            found = None if shape.is_list or shape.leaf is None else _json_leaf(shape.key, shape.leaf, shape.python_name)
        elif shape.name == "industry":
            inner = _json_children(child, "Industry", {"code": "industry_code"})
            found = None if inner is None else JsonField(shape.key, "object", children=inner)
        elif shape.name == "grade":
            inner = _json_children(child, "CustomerGrade", {"level": "grade", "score": "grade_score", "gradedAt": "graded_at"})
            found = None if inner is None else JsonField(shape.key, "object_if", "grade", children=inner)
        elif shape.name == "serviceRecords":
            names = {
                c.shape.name: c.shape.python_name for c in child.children
                if c.shape.python_name in _SERVICE_RECORD_COLUMNS
            }
            inner = _json_children(child, "ServiceRecord", names)
            found = None if inner is None else JsonField(shape.key, "records", children=inner)
        elif shape.name == "openComplaintCount":
            found = JsonField(shape.key, "complaints")
        else:
            found = None
        if found is None:
            return None
        fields.append(found)
    node.json_denied = denied
    return tuple(fields)


async def run_customers(run: Run, plan: BoundPlan, spec: PageSpec, session: Reader) -> None:
    """Fetch the page and everything its customers show, in a constant number of statements
    (on ``session``, the request's reading session)."""
    root = plan.root.shape
    args = run.args(root)
    if any(args.get(name) is not None for name in ("where", "orderBy", "last", "before")):
        raise Fallback("filters, sorting and backward pages run on the regular resolvers")
    limit = run.ctx.settings.max_page_size
    first = args.get("first")
    if first is None:
        first = min(20, limit)
    if not 0 <= first <= limit:
        raise Fallback("out of range: the regular path words the error")
    records_limit = 1
    for bound in plan.fields_of("Customer"):
        if bound.shape.name == "serviceRecords" and bound.action is not Action.DENY:
            records_limit = _last(run.args(bound.shape))
    ctx = run.ctx
    try:
        page = await customer_page(
            session, spec, first=first, after=args.get("after"), records_limit=records_limit,
            ctx=ctx.query_context, scope=ctx.scope,
        )
        for bound in plan.fields_of("CustomerConnection"):
            if bound.shape.name == "totalCount" and bound.action is not Action.DENY:
                run.fetched[bound.shape] = await count_customers(
                    session, where=None, ctx=ctx.query_context, scope=ctx.scope
                )
    except DomainError as error:  # a bad cursor: the regular path reports it in its words
        raise Fallback(str(error)) from error
    run.root_value = PlannedConnection(
        edges=[relay.Edge(node=row, cursor=cursor) for row, cursor in zip(page.items, page.cursors, strict=True)],
        page_info=page_info(page.cursors, page.has_next_page, page.has_previous_page),
    )
