"""Reading customers: the `customers` connection, `customer(id)`."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from api.services import customers as customer_service
from api.services.customer_query import count_customers, find_customers
from schema.context import Info
from schema.customer.filters import CUSTOMER_SEARCH, FIELD_COORDINATES, CustomerOrderBy, CustomerWhere
from schema.customer.types import Customer
from schema.ids import (
    OrderByArgument,
    PageAfter,
    PageBefore,
    PageFirst,
    PageLast,
    WhereArgument,
    connection_fields,
    decode_global_id,
)
from schema.list_arguments import list_request
from schema.nodes import resolve_node


@strawberry.type(description="A page of customers (Relay connection, keyset-paginated).")
class CustomerConnection(relay.Connection[Customer]):
    where: strawberry.Private[dict | None]

    @strawberry.field(description="How many customers match the filter, over all pages.")
    async def total_count(self, info: Info) -> int:
        async with info.context.reading() as session:
            return await count_customers(
                session, where=self.where, fields=CUSTOMER_SEARCH, ctx=info.context.query_context,
                scope=info.context.scope,
            )


@strawberry.type
class CustomerQuery:
    @strawberry.field(
        description="Any object by its global ID, under the same scope and rules as the field it is usually "
        "read through; null when there is none or it is out of your reach, null with a FORBIDDEN error when "
        "the policy withholds it."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="A global ID as the API returned it. A value that is no global ID is BAD_USER_INPUT."
            ),
        ],
    ) -> relay.Node | None:
        # Resolved here rather than by strawberry's relay.node(): each type keeps its usual scope and
        # rules (schema.nodes); a value that is no global id at all is BAD_USER_INPUT, never a server error.
        return await resolve_node(info, id)

    @strawberry.field(description="Customers matching `where`, in `orderBy` order (default: by id).")
    async def customers(
        self,
        info: Info,
        where: Annotated[CustomerWhere | None, WhereArgument] = None,  # type: ignore[valid-type]
        order_by: Annotated[list[CustomerOrderBy] | None, OrderByArgument] = None,  # type: ignore[valid-type]
        first: PageFirst = None,
        after: PageAfter = None,
        last: PageLast = None,
        before: PageBefore = None,
    ) -> CustomerConnection | None:
        ctx = info.context
        asked = list_request(ctx, "Customer", FIELD_COORDINATES, where=where, order_by=order_by, first=first, last=last)
        async with ctx.reading() as session:
            page = await find_customers(
                session, where=asked.where, order_by=asked.order_by, first=asked.first, after=after,
                last=asked.last, before=before, fields=CUSTOMER_SEARCH, ctx=ctx.query_context, scope=ctx.scope,
            )
        return CustomerConnection(**connection_fields(page, Customer.from_row), where=asked.where)

    @strawberry.field(
        description="One customer by its global ID; NOT_FOUND if there is none or it is out of your reach."
    )
    async def customer(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The customer's global ID (`Customer.id`); any other value is BAD_USER_INPUT."
            ),
        ],
    ) -> Customer | None:
        customer_id = decode_global_id(id, "Customer", "id")
        async with info.context.reading() as session:
            return Customer.from_row(
                await customer_service.get_customer(session, customer_id, scope=info.context.scope)
            )
