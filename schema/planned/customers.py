"""The customers page on the planned path, and every field of it that has a resolver.

A field without a resolver reads the attribute of its source: a customer row holds the same
names as the ``Customer`` type's plain fields. A field with one needs an entry in ``RESOLVED``;
one that loads per customer gives ``fetch``, run once for the whole page. A new read type joins
the fast path by adding its entries here (the equivalence tests then check it).
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
from api.services import servicing_reads
from api.services.customer_query import count_customers, find_customers, is_stale
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


def _fetched(default: Any) -> Any:
    def value(row: Any, run: Run, shape: FieldShape) -> Any:
        return run.fetched[shape].get(row.id, default)

    return value


def _last(args: dict[str, Any]) -> int:
    last = args["last"]
    if not 1 <= last <= MAX_NESTED:
        raise Fallback("out of range: the regular path words the error")
    return int(last)


async def _service_records(session: AsyncSession, ids: list[int], run: Run, shape: FieldShape) -> Any:
    columns = [child.python_name for child in shape.children if child.read is not None]
    if not set(columns) <= _SERVICE_RECORD_COLUMNS:
        raise Fallback("a service record field that is not a column")
    return await servicing_reads.latest_service_record_rows(session, ids, _last(run.args(shape)), columns)


async def _open_complaints(session: AsyncSession, ids: list[int], run: Run, shape: FieldShape) -> Any:
    return await servicing_reads.open_complaint_counts(session, ids)


RESOLVED: dict[str, Resolved] = {
    "Query.customers": Resolved(value=lambda source, run, shape: run.root_value),
    "CustomerConnection.totalCount": Resolved(value=lambda source, run, shape: run.fetched[shape]),
    "Customer.id": Resolved(value=lambda row, run, shape: global_id("Customer", row.id), columns=("id",)),
    "Customer.industry": Resolved(value=lambda row, run, shape: industry_of(row.industry_code), columns=("industry_code",)),
    "Customer.grade": Resolved(value=lambda row, run, shape: grade_of(row), columns=("id", "grade", "grade_score", "graded_at")),
    "Customer.financialsStale": Resolved(
        value=lambda row, run, shape: is_stale(row, run.ctx.stale_cutoff), columns=("latest_statement_period_end",)
    ),
    "Customer.serviceRecords": Resolved(value=_fetched([]), fetch=_service_records),
    "Customer.openComplaintCount": Resolved(value=_fetched(0), fetch=_open_complaints),
}
ROOTS = frozenset({"customers"})


def customer_columns(customer_fields: list[Bound]) -> list[str]:
    """The customer columns a plan reads: what its fields need, and the id."""
    columns = ["id"]
    for bound in customer_fields:
        shape = bound.shape
        if shape.read is not None:
            if shape.python_name not in _CUSTOMER_COLUMNS:
                raise NotPlannable(f"{shape.coordinate} is not a column")
            columns.append(shape.python_name)
        elif shape.resolved is not None:
            columns.extend(shape.resolved.columns)
    return list(dict.fromkeys(columns))


async def run_customers(run: Run, plan: BoundPlan) -> None:
    """Fetch the page and everything its customers show, in a constant number of statements."""
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
    customer_fields = plan.fields_of("Customer")
    ctx = run.ctx
    try:
        async with ctx.reading() as session:
            page = await find_customers(
                session, where=None, order_by=[], first=first, after=args.get("after"), last=None,
                before=None, ctx=ctx.query_context, scope=ctx.scope, columns=customer_columns(customer_fields),
            )
            ids = [row.id for row in page.items]
            for bound in customer_fields:
                resolved = bound.shape.resolved
                if bound.action is Action.DENY or resolved is None or resolved.fetch is None:
                    continue
                if bound.shape not in run.fetched:
                    run.fetched[bound.shape] = await resolved.fetch(session, ids, run, bound.shape) if ids else {}
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
