"""Running a mutation: one transaction; an expected failure is data and leaves nothing behind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import GlobalID

from api.errors import Conflict, DomainError
from api.services import audit
from schema.context import Context, Info
from schema.errors import error_result

T = TypeVar("T")
# An error member of the mutation's result union, made by ``error_result`` from the domain error
# raised. Typed loosely: each mutation's union names only the errors it can meet.
ErrorMember = Any


def _customer_id(payload: Any) -> int | None:
    """The customer a payload is about: its ``customer``, or whatever it carries that names one."""
    customer = getattr(payload, "customer", None)
    if customer is not None:
        found: int | None = getattr(customer, "id", None)
        return found
    for value in vars(payload).values():  # e.g. a consent's customer
        customer_id: int | None = getattr(value, "customer_id", None)
        if customer_id is not None:
            return customer_id
    return None


async def run_mutation(info: Info, act: Callable[[AsyncSession], Awaitable[T]]) -> T | ErrorMember:
    """Run ``act`` in a transaction with its audit entry; on a domain error, roll back and report it."""
    ctx = info.context
    coordinate = f"Mutation.{info.field_name}"
    committed = False
    try:
        async with ctx.writing() as session:
            payload = await act(session)
            # The write and its audit entry commit together, or neither does.
            await audit.append(session, [ctx.audit.event("write", coordinate, _customer_id(payload))])
        committed = True
    except DomainError as exc:
        return error_result(exc)
    except OperationalError as exc:
        # SQLite refuses a second concurrent writer ("database is locked"): report it as the
        # concurrent change it is, rather than as a server fault.
        if "locked" in str(exc.orig).lower():
            return error_result(Conflict("Customer", current_version=None))
        raise
    finally:
        if not committed:  # changes that were rolled back are never announced
            ctx.grade_changes.clear()
    announce_grade_changes(ctx)
    return payload


def announce_grade_changes(ctx: Context) -> None:
    """Tell plugins about grades that changed, now that the change is committed."""
    for change in ctx.grade_changes:
        ctx.plugins.grade_changed(
            customer_ref=str(GlobalID("Customer", str(change.customer_id))), previous_grade=change.previous,
            new_grade=change.new, strategy_id=change.strategy_id, assessed_at=change.at,
        )
    ctx.grade_changes.clear()
