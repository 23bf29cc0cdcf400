"""Reading the credit business: the root list of facilities in reach, and ``node(id:)`` of one."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from api.services import facility_reads
from schema.context import Info
from schema.credit.types import (
    FACILITY_COORDINATES,
    FACILITY_SEARCH,
    CreditFacility,
    CreditFacilityOrderBy,
    CreditFacilityWhere,
    facility_of,
)
from schema.customer_row_lists import count_customer_rows, customer_rows_connection
from schema.ids import OrderByArgument, PageAfter, PageBefore, PageFirst, PageLast, WhereArgument


@strawberry.type(description="A page of credit facilities (Relay connection, keyset-paginated).")
class CreditFacilityConnection(relay.Connection[CreditFacility]):
    where: strawberry.Private[dict | None]
    customer_id: strawberry.Private[int | None]

    @strawberry.field(description="How many facilities match, over all pages.")
    async def total_count(self, info: Info) -> int:
        return await count_customer_rows(
            info, facility_reads.FACILITIES, search=FACILITY_SEARCH, customer_id=self.customer_id, where=self.where
        )


@strawberry.type
class CreditQuery:
    @strawberry.field(
        description="Credit facilities of customers in your reach, newest first unless `orderBy` says: e.g. the "
        "non-performing ones (`where: {category: {_in: [SUBSTANDARD, DOUBTFUL, LOSS]}}`), or those maturing soon "
        "(`orderBy: [{maturityOn: ASC}]`)."
    )
    async def credit_facilities(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this customer's (`Customer.id`); all in reach when null."),
        ] = None,
        where: Annotated[CreditFacilityWhere | None, WhereArgument] = None,  # type: ignore[valid-type]
        order_by: Annotated[list[CreditFacilityOrderBy] | None, OrderByArgument] = None,  # type: ignore[valid-type]
        first: PageFirst = None,
        after: PageAfter = None,
        last: PageLast = None,
        before: PageBefore = None,
    ) -> CreditFacilityConnection | None:
        return await customer_rows_connection(  # type: ignore[no-any-return]
            info, facility_reads.FACILITIES, type_name="CreditFacility", search=FACILITY_SEARCH,
            revealed=FACILITY_COORDINATES, connection=CreditFacilityConnection, build=facility_of,
            customer_id=customer_id, where=where, order_by=order_by, first=first, after=after, last=last,
            before=before,
        )
