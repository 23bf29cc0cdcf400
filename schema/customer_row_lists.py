"""The root lists of rows that belong to customers (contacts, warnings): one way to read a page.

Each list declares its fields once (its ``TypeReads``); this turns a root field's arguments into
a keyset page of the rows in the caller's scope, and the page into the list's connection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from api.services.customer_rows import CustomerRows
from api.services.filtering import Searchable
from schema.context import Info
from schema.ids import connection_fields, decode_global_id
from schema.list_arguments import list_request


async def customer_rows_connection(
    info: Info, rows: CustomerRows, *, type_name: str, search: Searchable, revealed: Mapping[str, str],
    connection: Callable[..., Any], build: Callable[[Any], Any], customer_id: str | None, where: Any,
    order_by: Any, first: int | None, after: str | None, last: int | None, before: str | None,
) -> Any:
    """One page of ``rows`` (of one customer when ``customer_id`` is given) as ``connection``."""
    ctx = info.context
    asked = list_request(ctx, type_name, revealed, where=where, order_by=order_by, first=first, last=last)
    key = None if customer_id is None else decode_global_id(customer_id, "Customer", "customerId")
    async with ctx.reading() as session:
        page = await rows.page(
            session, fields=search, ctx=ctx.query_context, scope=ctx.scope, customer_id=key, where=asked.where,
            order_by=asked.order_by, first=asked.first, after=after, last=asked.last, before=before,
        )
    return connection(**connection_fields(page, build), where=asked.where, customer_id=key)


async def count_customer_rows(
    info: Info, rows: CustomerRows, *, search: Searchable, customer_id: int | None, where: Mapping[str, Any] | None
) -> int:
    """How many of ``rows`` in the caller's scope match ``where``: a connection's ``totalCount``."""
    ctx = info.context
    async with ctx.reading() as session:
        return await rows.count(session, fields=search, ctx=ctx.query_context, scope=ctx.scope,
                                customer_id=customer_id, where=where)
