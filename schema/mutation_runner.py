"""Running a mutation: one transaction; an expected failure is data and leaves nothing behind."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from strawberry.relay import GlobalID

from api.errors import Conflict, DomainError
from api.services import audit
from schema.context import Context, Info
from schema.errors import error_result

log = logging.getLogger(__name__)
T = TypeVar("T")
# An error member of the mutation's result union, made by ``error_result`` from the domain error
# raised. Typed loosely: each mutation's union names only the errors it can meet.
ErrorMember = Any
# The session a mutation's ``act`` is given: modules that only pass it on import it from here,
# not from SQLAlchemy.
WriteSession = AsyncSession


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
    except (StaleDataError, DBAPIError) as exc:
        if not _lost_a_race(exc):
            raise
        # A concurrent change won: the caller retries on fresh data, as for a stale version.
        return error_result(Conflict(_what_changed(exc), current_version=None))
    finally:
        if not committed:  # changes that were rolled back are never announced
            ctx.grade_changes.clear()
            ctx.live_events.clear()
    announce_grade_changes(ctx)
    await publish_live_events(ctx)
    return payload


async def publish_live_events(ctx: Context) -> None:
    """Tell subscribers what the committed mutation did; a broker fault is logged, never the mutation's."""
    events, ctx.live_events = ctx.live_events, []
    for channel, message in events:
        try:
            await ctx.broker.publish(channel, message)
        except Exception:
            log.exception("live event on %s not published", channel)


# PostgreSQL's codes for a write that lost a race with another: serialization failure, deadlock,
# and a unique key taken by a concurrent insert.
_RACE_STATES = frozenset({"40001", "40P01", "23505"})


def _lost_a_race(exc: Exception) -> bool:
    """Whether the write failed only because another one, concurrent, got there first."""
    if isinstance(exc, StaleDataError):  # the row's version moved under us
        return True
    orig = getattr(exc, "orig", None)
    # SQLite refuses a second concurrent writer ("database is locked").
    if isinstance(exc, OperationalError) and "locked" in str(orig).lower():
        return True
    state = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    return state in _RACE_STATES


def _what_changed(exc: Exception) -> str:
    # SQLAlchemy names the table whose row version moved ("UPDATE statement on table 'customer' …").
    table = re.search(r"on table '(\w+)'", str(exc)) if isinstance(exc, StaleDataError) else None
    return f"The {table.group(1).replace('_', ' ')}" if table else "The record"


def announce_grade_changes(ctx: Context) -> None:
    """Tell plugins about grades that changed, now that the change is committed."""
    for change in ctx.grade_changes:
        ctx.plugins.grade_changed(
            customer_ref=str(GlobalID("Customer", str(change.customer_id))), previous_grade=change.previous,
            new_grade=change.new, strategy_id=change.strategy_id, assessed_at=change.at,
        )
    ctx.grade_changes.clear()
