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

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from api.authz.policy import Action
from api.db.models import Customer as CustomerRow
from api.db.models import ServiceRecord as ServiceRecordRow
from api.errors import DomainError
from api.services.customer_page import OPEN_COMPLAINTS, RECORDS, PageSpec, customer_page
from api.services.customer_query import count_customers, is_stale
from schema.customer.types import MAX_NESTED
from schema.grading import grade_of
from schema.ids import global_id, page_info
from schema.planned.run import Bound, BoundPlan, Fallback, Run
from schema.planned.shape import FieldShape, NotPlannable, Resolved
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
    return PageSpec(tuple(dict.fromkeys(columns)), record_columns, complaints)


async def run_customers(run: Run, plan: BoundPlan, spec: PageSpec, session: AsyncSession) -> None:
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
