"""Loading one row to change it: within the caller's scope, locked for the transaction, at the version
the caller last read."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Conflict, NotFound


class Versioned(Protocol):
    version: int


T = TypeVar("T", bound=Versioned)


async def locked_in_scope(
    session: AsyncSession, stmt: Select[Any], model: type[T], *, expected_version: int | None, field: str,
) -> T:
    """The one ``model`` row ``stmt`` (already narrowed to the caller's scope) selects, locked for this
    transaction; none is NOT_FOUND (as missing is), a stale ``expected_version`` a CONFLICT."""
    found: T | None = await session.scalar(stmt.with_for_update(of=model))
    if found is None:
        raise NotFound(model.__name__, field=field)
    if expected_version is not None and found.version != expected_version:
        raise Conflict(model.__name__, current_version=found.version)
    return found
