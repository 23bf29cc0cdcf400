"""Reading service contacts and follow-ups across customers: the root lists, within the caller's scope."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from api.services import servicing_reads
from schema.context import Info
from schema.customer_row_lists import count_customer_rows, customer_rows_connection
from schema.ids import (
    OrderByArgument,
    PageAfter,
    PageBefore,
    PageFirst,
    PageLast,
    WhereArgument,
    connection_fields,
)
from schema.list_arguments import list_request
from schema.search_inputs import order_input, revealed_coordinates, searchable, where_input
from schema.servicing.types import (
    FOLLOW_UP_READS,
    SERVICE_RECORD_READS,
    ServiceFollowUp,
    ServiceRecord,
    follow_up_of,
    service_record_of,
)

ServiceRecordWhere = where_input(
    SERVICE_RECORD_READS, "ServiceRecordWhere", "Which contacts: every given condition must hold.", __name__
)
ServiceRecordOrderBy = order_input(
    SERVICE_RECORD_READS, "ServiceRecordOrderBy", "One sort key: set exactly one field.", __name__
)
ServiceFollowUpWhere = where_input(
    FOLLOW_UP_READS, "ServiceFollowUpWhere", "Which follow-ups: every given condition must hold.", __name__
)
ServiceFollowUpOrderBy = order_input(
    FOLLOW_UP_READS, "ServiceFollowUpOrderBy", "One sort key: set exactly one field.", __name__
)
RECORD_SEARCH = searchable(SERVICE_RECORD_READS)
RECORD_COORDINATES = revealed_coordinates(SERVICE_RECORD_READS)
FOLLOW_UP_SEARCH = searchable(FOLLOW_UP_READS)
FOLLOW_UP_COORDINATES = revealed_coordinates(FOLLOW_UP_READS)


@strawberry.type(description="A page of service contacts (Relay connection, keyset-paginated).")
class ServiceRecordConnection(relay.Connection[ServiceRecord]):
    where: strawberry.Private[dict | None]
    customer_id: strawberry.Private[int | None]

    @strawberry.field(description="How many contacts match, over all pages.")
    async def total_count(self, info: Info) -> int:
        return await count_customer_rows(
            info, servicing_reads.RECORDS, search=RECORD_SEARCH, customer_id=self.customer_id, where=self.where
        )


@strawberry.type(description="A page of follow-up actions (Relay connection, keyset-paginated).")
class ServiceFollowUpConnection(relay.Connection[ServiceFollowUp]):
    pass


@strawberry.type
class ServicingQuery:
    @strawberry.field(
        description="Service contacts with customers in your reach, newest first unless `orderBy` says: by "
        "customer, who recorded them, the customer's branch, stage, kind, channel and period."
    )
    async def service_records(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this customer's (`Customer.id`); all in reach when null."),
        ] = None,
        where: Annotated[ServiceRecordWhere | None, WhereArgument] = None,  # type: ignore[valid-type]
        order_by: Annotated[list[ServiceRecordOrderBy] | None, OrderByArgument] = None,  # type: ignore[valid-type]
        first: PageFirst = None,
        after: PageAfter = None,
        last: PageLast = None,
        before: PageBefore = None,
    ) -> ServiceRecordConnection | None:
        return await customer_rows_connection(  # type: ignore[no-any-return]
            info, servicing_reads.RECORDS, type_name="ServiceRecord", search=RECORD_SEARCH,
            revealed=RECORD_COORDINATES, connection=ServiceRecordConnection, build=service_record_of,
            customer_id=customer_id, where=where, order_by=order_by, first=first, after=after, last=last,
            before=before,
        )

    @strawberry.field(
        description="Follow-up actions of contacts with customers in your reach, soonest due first unless "
        "`orderBy` says: e.g. one owner's open ones, or those overdue."
    )
    async def service_follow_ups(
        self,
        info: Info,
        where: Annotated[ServiceFollowUpWhere | None, WhereArgument] = None,  # type: ignore[valid-type]
        order_by: Annotated[list[ServiceFollowUpOrderBy] | None, OrderByArgument] = None,  # type: ignore[valid-type]
        first: PageFirst = None,
        after: PageAfter = None,
    ) -> ServiceFollowUpConnection | None:
        ctx = info.context
        asked = list_request(ctx, "ServiceFollowUp", FOLLOW_UP_COORDINATES, where=where, order_by=order_by,
                             first=first, last=None)
        async with ctx.reading() as session:
            page = await servicing_reads.FOLLOW_UPS.page(
                session, fields=FOLLOW_UP_SEARCH, ctx=ctx.query_context, scope=ctx.scope, customer_id=None,
                where=asked.where, order_by=asked.order_by, first=asked.first, after=after, last=None, before=None,
            )
        return ServiceFollowUpConnection(**connection_fields(page, follow_up_of))
