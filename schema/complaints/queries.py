"""Reading complaints: the root list in the caller's scope, ``node(id:)``, and the SLA policies."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from api.authz.policy import FieldAccess
from api.services import complaint_reads
from schema.authz import forbidden
from schema.complaints.types import (
    COMPLAINT_READS,
    Complaint,
    ComplaintCompensation,
    compensation_of,
    complaint_of,
)
from schema.context import Info
from schema.customer_row_lists import count_customer_rows, customer_rows_connection
from schema.ids import OrderByArgument, PageAfter, PageBefore, PageFirst, PageLast, WhereArgument
from schema.search_inputs import order_input, revealed_coordinates, searchable, where_input

ComplaintWhere = where_input(COMPLAINT_READS, "ComplaintWhere", "Which complaints: every given condition must hold.",
                             __name__)
ComplaintOrderBy = order_input(COMPLAINT_READS, "ComplaintOrderBy", "One sort key: set exactly one field.", __name__)
COMPLAINT_SEARCH = searchable(COMPLAINT_READS)
COMPLAINT_COORDINATES = revealed_coordinates(COMPLAINT_READS)
COMPLAINT_LIST = "Query.complaints"


@strawberry.type(description="A page of complaints (Relay connection, keyset-paginated).")
class ComplaintConnection(relay.Connection[Complaint]):
    where: strawberry.Private[dict | None]
    customer_id: strawberry.Private[int | None]

    @strawberry.field(description="How many complaints match, over all pages.")
    async def total_count(self, info: Info) -> int:
        return await count_customer_rows(
            info, complaint_reads.COMPLAINTS, search=COMPLAINT_SEARCH, customer_id=self.customer_id, where=self.where
        )


@strawberry.type(description="One deadline of an SLA policy: the first promise, or an extension.")
class SlaStageInfo:
    name: str = strawberry.field(description="The stage, e.g. `DECISION` or `EXTENDED`.")
    days: int = strawberry.field(description="Days after the day of receipt (which is not counted).")
    needs: list[str] = strawberry.field(
        description="What moving to it needs: `reason`, `senior_approval`, `complainant_told`."
    )


@strawberry.type(description="A complaint SLA policy: its deadlines, how days count, and the rule it follows.")
class SlaPolicyInfo:
    id: str = strawberry.field(description="Its id, e.g. `cn_2020`.")
    title: str = strawberry.field(description="What it is.")
    rule: str = strawberry.field(description="The text of the rule it follows.")
    counting: str = strawberry.field(description="`calendar` or `working` days.")
    roll: str = strawberry.field(description="`none`, or `next_working_day` for a due day that is not a working day.")
    roll_rule: str = strawberry.field(description="Why it rolls (or does not).")
    stages: list[SlaStageInfo] = strawberry.field(description="The first promise, then each extension.")
    in_force: bool = strawberry.field(description="Whether new complaints are promised under it.")


async def complaint_node(info: Info, key: int) -> Complaint | None:
    """``node(id:)`` of a complaint: as readable as the list (``Query.complaints``), in the caller's scope."""
    ctx = info.context
    if ctx.decisions.field(COMPLAINT_LIST) is FieldAccess.DENIED:
        raise forbidden(ctx, COMPLAINT_LIST, None)
    async with ctx.reading() as session:
        found = await complaint_reads.complaints_by_id(session, [key], ctx.scope)
    return complaint_of(found[key]) if key in found else None


async def compensation_node(info: Info, key: int) -> ComplaintCompensation | None:
    """``node(id:)`` of a compensation: as readable as its complaint's compensations, in the caller's scope."""
    ctx = info.context
    for coordinate in (COMPLAINT_LIST, "Complaint.compensations"):
        if ctx.decisions.field(coordinate) is FieldAccess.DENIED:
            raise forbidden(ctx, coordinate, None)
    async with ctx.reading() as session:
        found = await complaint_reads.compensations_by_id(session, [key], ctx.scope)
    return compensation_of(found[key]) if key in found else None


@strawberry.type
class ComplaintQuery:
    @strawberry.field(
        description="Complaints in your reach, newest received first unless `orderBy` says: e.g. open ones by time "
        "left (`where: {open: {_eq: true}}, orderBy: [{dueOn: ASC}]`) or breached ones (`{breached: {_eq: true}}`)."
    )
    async def complaints(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this customer's (`Customer.id`); all in reach when null."),
        ] = None,
        where: Annotated[ComplaintWhere | None, WhereArgument] = None,  # type: ignore[valid-type]
        order_by: Annotated[list[ComplaintOrderBy] | None, OrderByArgument] = None,  # type: ignore[valid-type]
        first: PageFirst = None,
        after: PageAfter = None,
        last: PageLast = None,
        before: PageBefore = None,
    ) -> ComplaintConnection | None:
        return await customer_rows_connection(  # type: ignore[no-any-return]
            info, complaint_reads.COMPLAINTS, type_name="Complaint", search=COMPLAINT_SEARCH,
            revealed=COMPLAINT_COORDINATES, connection=ComplaintConnection, build=complaint_of,
            customer_id=customer_id, where=where, order_by=order_by, first=first, after=after, last=last,
            before=before,
        )

    @strawberry.field(description="The complaint SLA policies configured; `inForce` is the one new complaints get.")
    def complaint_sla_policies(self, info: Info) -> list[SlaPolicyInfo] | None:
        settings = info.context.settings
        return [
            SlaPolicyInfo(
                id=policy.id, title=policy.title, rule=policy.rule, counting=policy.counting.value,
                roll=policy.roll.value, roll_rule=policy.roll_rule, in_force=policy.id == settings.complaint_sla,
                stages=[SlaStageInfo(name=s.name, days=s.days, needs=sorted(n.value for n in s.needs))
                        for s in policy.stages],
            )
            for policy in settings.sla_policies().values()
        ]
