"""Reading customers: the `customers` connection, `customer(id)`."""

from __future__ import annotations

import strawberry
from strawberry import relay

from api.errors import InvalidInput, NotFound
from api.services import customers as customer_service
from api.services.customer_query import count_customers, find_customers
from schema.context import Info
from schema.customer.filters import CustomerOrderBy, CustomerWhere, order_list, where_dict
from schema.customer.types import Customer


@strawberry.type(description="A page of customers (Relay connection, keyset-paginated).")
class CustomerConnection(relay.Connection[Customer]):
    where: strawberry.Private[dict | None]

    @strawberry.field(description="How many customers match the filter, over all pages.")
    async def total_count(self, info: Info) -> int:
        async with info.context.reading() as session:
            return await count_customers(session, where=self.where, ctx=info.context.query_context)


def decode_customer_id(value: str, field: str) -> int:
    """The database id inside a Customer global ID; anything else is not found."""
    try:
        gid = relay.GlobalID.from_id(value)
    except Exception:  # malformed base64 or text: no such customer
        raise NotFound("Customer", field=field) from None
    if gid.type_name != "Customer" or not gid.node_id.isdigit():
        raise NotFound("Customer", field=field)
    return int(gid.node_id)


@strawberry.type
class CustomerQuery:
    node: relay.Node | None = relay.node(description="Any object by its global ID.")

    @strawberry.field(description="Customers matching `where`, in `orderBy` order (default: by id).")
    async def customers(
        self,
        info: Info,
        where: CustomerWhere | None = None,
        order_by: list[CustomerOrderBy] | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> CustomerConnection:
        limit = info.context.settings.max_page_size
        for name, value in (("first", first), ("last", last)):
            if value is not None and not 0 <= value <= limit:
                raise InvalidInput.one(name, f"must be between 0 and {limit}")
        if first is None and last is None:
            first = min(20, limit)
        filters = where_dict(where)
        async with info.context.reading() as session:
            page = await find_customers(
                session, where=filters, order_by=order_list(order_by), first=first, after=after,
                last=last, before=before, ctx=info.context.query_context,
            )
        edges = [
            relay.Edge(node=Customer.from_row(row), cursor=cursor)
            for row, cursor in zip(page.items, page.cursors, strict=True)
        ]
        return CustomerConnection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            where=filters,
        )

    @strawberry.field(description="One customer by its global ID; NOT_FOUND if there is none.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        customer_id = decode_customer_id(id, "id")
        async with info.context.reading() as session:
            return Customer.from_row(await customer_service.get_customer(session, customer_id))
