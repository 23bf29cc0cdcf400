"""The planned root fields: ``customers`` (a page, filtered, sorted, either way), ``customer(id)``
and ``node(id)``; each fetched in one statement, the fields below them by ``schema.planned.batch``.

Bad input (a cursor, a size out of range, a filter on a field the caller may not read) is left to
the regular resolvers (``Fallback``): they word the error, so both paths answer alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from strawberry import relay

from api.db.compiled import Reader
from api.errors import DomainError, InvalidInput
from api.services import (
    application_reads,
    complaint_reads,
    external,
    facility_reads,
    servicing_reads,
    treatment_reads,
    warning_reads,
)
from api.services.customer_page import PageSpec, customer_node, customer_page
from api.services.customer_query import count_customers
from api.services.customer_rows import CustomerRows
from api.services.filtering import Searchable
from schema.comparisons import order_list, where_dict
from schema.complaints.queries import COMPLAINT_COORDINATES, COMPLAINT_SEARCH
from schema.credit.applications import APPLICATION_COORDINATES, APPLICATION_SEARCH
from schema.credit.treatment import ACTION_COORDINATES, ACTION_SEARCH
from schema.credit.types import FACILITY_COORDINATES, FACILITY_SEARCH
from schema.customer.filters import CUSTOMER_SEARCH, FIELD_COORDINATES
from schema.ids import decode_global_id, node_key, page_info
from schema.list_arguments import list_request, page_sizes, require_searchable
from schema.planned.run import Bound, BoundPlan, Fallback, Run
from schema.planned.shape import NotPlannable
from schema.planned.sql_json import NodeSql, node_sql
from schema.reads import Related, size_of
from schema.servicing.external import REVIEW_COORDINATES, REVIEW_SEARCH
from schema.servicing.queries import FOLLOW_UP_COORDINATES, FOLLOW_UP_SEARCH, RECORD_COORDINATES, RECORD_SEARCH
from schema.servicing.warnings import WARNING_COORDINATES, WARNING_SEARCH

__all__ = ["PlannedConnection", "RootPlan", "customer_fields", "fetch_root", "prepare_root"]


@dataclass(frozen=True, slots=True)
class RowListing:
    """A root list of rows that belong to customers: its rows, declared filters and sorts."""

    type_name: str
    rows: CustomerRows
    search: Searchable
    revealed: Mapping[str, str]


# The planned root lists besides ``customers``: rows read whole, their fields by their declarations.
CUSTOMER_ROW_ROOTS = {
    "serviceRecords": RowListing("ServiceRecord", servicing_reads.RECORDS, RECORD_SEARCH, RECORD_COORDINATES),
    "serviceFollowUps": RowListing("ServiceFollowUp", servicing_reads.FOLLOW_UPS, FOLLOW_UP_SEARCH,
                                   FOLLOW_UP_COORDINATES),
    "earlyWarnings": RowListing("EarlyWarning", warning_reads.WARNINGS, WARNING_SEARCH, WARNING_COORDINATES),
    "externalReviews": RowListing("ExternalReview", external.REVIEWS, REVIEW_SEARCH, REVIEW_COORDINATES),
    "complaints": RowListing("Complaint", complaint_reads.COMPLAINTS, COMPLAINT_SEARCH, COMPLAINT_COORDINATES),
    "creditApplications": RowListing("CreditApplication", application_reads.APPLICATIONS, APPLICATION_SEARCH,
                                     APPLICATION_COORDINATES),
    "creditFacilities": RowListing("CreditFacility", facility_reads.FACILITIES, FACILITY_SEARCH,
                                   FACILITY_COORDINATES),
    "treatmentActions": RowListing("TreatmentAction", treatment_reads.ACTIONS, ACTION_SEARCH, ACTION_COORDINATES),
}


@dataclass(frozen=True, slots=True)
class PlannedConnection:
    """The source of a planned ``CustomerConnection``: the same attributes as the strawberry type."""

    edges: list[relay.Edge[Any]]
    page_info: relay.PageInfo


@dataclass(frozen=True, slots=True)
class RootPlan:
    """What a root field reads, worked out once per bound plan."""

    spec: PageSpec
    node: Bound | None  # the customer node(s) below the root
    sql: NodeSql | None = None  # on PostgreSQL, the node as the database builds it


def customer_fields(bound: Bound) -> list[Bound]:
    """Every bound field of ``Customer`` below ``bound``."""
    return [b for b in BoundPlan.walk(bound) if b.shape.parent == "Customer"]


def _node_of(root: Bound) -> Bound | None:
    if root.shape.name != "customers":
        return root
    nodes = [b for b in BoundPlan.walk(root) if b.shape.parent == "CustomerEdge" and b.shape.name == "node"]
    if len(nodes) > 1:
        raise NotPlannable("the customer node selected twice")
    return nodes[0] if nodes and not nodes[0].deny else None


def prepare_root(root: Bound) -> RootPlan:
    """The columns a root reads of each customer, and on PostgreSQL its nodes' JSON if it can."""
    if root.shape.name in CUSTOMER_ROW_ROOTS:  # rows of another table: read whole, their fields below
        return RootPlan(PageSpec(("id",)), None)
    columns = ["id"]
    for bound in customer_fields(root):
        declared = bound.shape.declared
        if declared is not None:
            columns.extend(declared.columns)
    node = _node_of(root)
    sql = node_sql(node) if node is not None else None
    if sql is None or node is None:
        return RootPlan(PageSpec(tuple(dict.fromkeys(columns))), node)
    node.json = sql
    spec = PageSpec(tuple(dict.fromkeys(columns)), sql.expression, tuple(flag for flag, _ in sql.flags))
    return RootPlan(spec, node, sql)


def _list_params(run: Run, plan: RootPlan) -> dict[str, Any]:
    """The sizes of the lists inside a database-built node, by their bind parameters."""
    params: dict[str, Any] = {}
    for parameter, bound in plan.sql.limits if plan.sql is not None else ():
        declared = bound.shape.declared
        assert declared is not None and isinstance(declared.reading, Related)
        reading = declared.reading
        try:
            params[parameter] = size_of(reading, run.args(bound.shape).get(reading.argument or ""))
        except DomainError as error:
            raise Fallback.of(error) from error
    return params


async def _customers(run: Run, root: Bound, plan: RootPlan, session: Reader) -> Any:
    args = run.python_args(root.shape)
    try:
        first, last = page_sizes(args.get("first"), args.get("last"), run.ctx.settings.max_page_size)
    except InvalidInput as error:
        raise Fallback("out of range: the regular path words the error", "bad_input") from error
    ctx = run.ctx
    filters = where_dict(args.get("where"))
    order = order_list(args.get("order_by"))
    # A refusal notes a denial: on the run's own trail, which a fallback discards.
    require_searchable(run.view, "Customer", FIELD_COORDINATES, filters, order)
    page = await customer_page(
        session, plan.spec, where=filters, order_by=order, first=first, after=args.get("after"), last=last,
        before=args.get("before"), fields=CUSTOMER_SEARCH, ctx=ctx.query_context, scope=ctx.scope,
        params=_list_params(run, plan),
    )
    for bound in root.children:
        if bound.shape.name == "totalCount" and not bound.deny:
            run.fetched[bound.shape] = await count_customers(
                session, where=filters, fields=CUSTOMER_SEARCH, ctx=ctx.query_context, scope=ctx.scope
            )
    return PlannedConnection(
        edges=[relay.Edge(node=row, cursor=cursor) for row, cursor in zip(page.items, page.cursors, strict=True)],
        page_info=page_info(page.cursors, page.has_next_page, page.has_previous_page),
    )


async def _customer(run: Run, plan: RootPlan, session: Reader, customer_id: int) -> Any:
    return await customer_node(session, plan.spec, customer_id, run.ctx.scope, _list_params(run, plan))


async def _customer_rows(run: Run, root: Bound, session: Reader) -> Any:
    """A root list of rows that belong to customers (``serviceRecords``), as its resolver reads it."""
    listing = CUSTOMER_ROW_ROOTS[root.shape.name]
    args = run.python_args(root.shape)
    ctx = run.ctx
    try:
        asked = list_request(run.view, listing.type_name, listing.revealed, where=args.get("where"),
                             order_by=args.get("order_by"), first=args.get("first"), last=args.get("last"))
    except InvalidInput as error:
        raise Fallback("out of range: the regular path words the error", "bad_input") from error
    raw_customer = args.get("customer_id")
    key = None if raw_customer is None else decode_global_id(raw_customer, "Customer", "customerId")
    page = await listing.rows.page(
        session, fields=listing.search, ctx=ctx.query_context, scope=ctx.scope, customer_id=key, where=asked.where,
        order_by=asked.order_by, first=asked.first, after=args.get("after"), last=asked.last,
        before=args.get("before"),
    )
    for bound in root.children:
        if bound.shape.name == "totalCount" and not bound.deny:
            run.fetched[bound.shape] = await listing.rows.count(
                session, fields=listing.search, ctx=ctx.query_context, scope=ctx.scope, customer_id=key,
                where=asked.where,
            )
    return PlannedConnection(
        edges=[relay.Edge(node=row, cursor=cursor) for row, cursor in zip(page.items, page.cursors, strict=True)],
        page_info=page_info(page.cursors, page.has_next_page, page.has_previous_page),
    )


async def fetch_root(run: Run, root: Bound, plan: RootPlan, session: Reader) -> None:
    """The root field's value into ``run.fetched``; ``Fallback`` where the regular path must answer."""
    shape = root.shape
    try:
        if shape.name in CUSTOMER_ROW_ROOTS:
            value = await _customer_rows(run, root, session)
        elif shape.name == "customers":
            value = await _customers(run, root, plan, session)
        elif shape.name == "customer":
            customer_id = decode_global_id(run.args(shape)["id"], "Customer", "id")
            value = await _customer(run, plan, session, customer_id)
            if value is None:
                raise Fallback("not found: the regular path reports it", "not_found")
        else:  # node
            key = node_key(run.args(shape)["id"], "Customer")  # garbage: BAD_USER_INPUT, worded below
            if key is None:  # another type's id: its own scope and rules (schema.nodes) answer
                raise Fallback("the id of another type: the regular path resolves it", "other")
            value = await _customer(run, plan, session, key)
    except DomainError as error:  # bad input or a refusal: the regular path words it
        raise Fallback.of(error) from error
    run.fetched[shape] = value


