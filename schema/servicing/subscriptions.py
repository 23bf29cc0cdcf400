"""Live updates over WebSocket (graphql-transport-ws): warnings raised and revisits falling due, for
the customers the subscriber may see.

An event names a customer and what to look up; each subscriber reads it under its own policy and
row scope (a customer out of reach is skipped, a field the policy withholds is null with a
FORBIDDEN error, as in a query), re-checked against the policy in force at every event. What a
subscriber reads is audited as a query's reads are, event by event.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api.authz.policy import FieldAccess
from api.services import audit, customers, live, warning_reads
from api.services.audit import AuditTrail
from schema.authz import forbidden
from schema.context import Context, Info
from schema.servicing.warnings import EarlyWarning, warning_of

if TYPE_CHECKING:
    from schema.customer.types import Customer


async def _flush_audit(ctx: Context) -> None:
    """Write what the last event revealed, and start the next event's trail."""
    events = ctx.audit.events()
    ctx.audit = AuditTrail(ctx.audit.principal, ctx.audit.roles, ctx.audit.request_id, ctx.audit.client_request_id)
    if events:
        async with ctx.writing() as session:
            await audit.append(session, events)


async def _events(info: Info, channel: str, coordinate: str) -> AsyncGenerator[dict[str, Any], None]:
    """The channel's events for this subscriber, each after the policy in force is applied again."""
    ctx = info.context
    if ctx.decisions.field(coordinate) is FieldAccess.DENIED:
        raise forbidden(ctx, coordinate, None)
    try:
        async for message in ctx.broker.subscribe(channel):
            await _flush_audit(ctx)
            if ctx.refresh is not None:
                await ctx.refresh()  # the policy may have changed since the last event
            if ctx.decisions.field(coordinate) is FieldAccess.DENIED:
                raise forbidden(ctx, coordinate, None)
            yield message
    finally:
        await _flush_audit(ctx)


@strawberry.type
class ServicingSubscription:
    @strawberry.subscription(
        description="Early warnings as they are raised, for the customers you may see (policy and row scope as in "
        "a query, applied again at every event)."
    )
    async def early_warning_raised(self, info: Info) -> AsyncGenerator[EarlyWarning | None, None]:
        async for message in _events(info, live.WARNINGS, "Subscription.earlyWarningRaised"):
            ctx = info.context
            async with ctx.reading() as session:
                row = await warning_reads.warning_by_key(
                    session, scope=ctx.scope, customer_id=message["customer_id"], rule_id=message["rule_id"],
                    key=message["key"],
                )
            if row is not None:
                yield warning_of(row)

    @strawberry.subscription(
        description="Customers whose revisit falls due (a HIGH warning brought it to today, or the day came), for "
        "the customers you may see."
    )
    async def revisit_due(
        self, info: Info
    ) -> AsyncGenerator[Annotated[Customer, strawberry.lazy("schema.customer.types")] | None, None]:
        from schema.customer.types import Customer

        async for message in _events(info, live.REVISITS, "Subscription.revisitDue"):
            ctx = info.context
            async with ctx.reading() as session:
                found = await customers.customers_by_id(session, [message["customer_id"]], scope=ctx.scope)
            if message["customer_id"] in found:
                yield Customer.from_row(found[message["customer_id"]])
