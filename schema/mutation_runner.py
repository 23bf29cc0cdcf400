"""Running a mutation: one transaction; an expected failure is data and leaves nothing behind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Conflict, DomainError
from schema.context import Info
from schema.errors import error_result

T = TypeVar("T")


async def run_mutation(info: Info, act: Callable[[AsyncSession], Awaitable[T]]) -> Any:
    """Run ``act`` in a transaction; turn domain errors into union members after rolling back."""
    try:
        async with info.context.writing() as session:
            return await act(session)
    except DomainError as exc:
        return error_result(exc)
    except OperationalError as exc:
        # SQLite refuses a second concurrent writer ("database is locked"): report it as the
        # concurrent change it is, rather than as a server fault.
        if "locked" in str(exc.orig).lower():
            return error_result(Conflict("Customer", current_version=None))
        raise
