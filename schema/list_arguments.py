"""The arguments every searchable list takes, checked one way for all of them: page sizes, and
that a filter or sort only touches fields the caller reads in full (both reveal the field)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.authz.policy import FieldAccess
from api.errors import InvalidInput
from schema.authz import forbidden
from schema.comparisons import order_list, where_dict
from schema.context import Context

DEFAULT_PAGE_SIZE = 20


def page_sizes(first: int | None, last: int | None, limit: int) -> tuple[int | None, int | None]:
    """``first`` and ``last`` checked against the page size limit; neither given: the first page."""
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= limit:
            raise InvalidInput.one(name, f"must be between 0 and {limit}")
    if first is None and last is None:
        first = min(DEFAULT_PAGE_SIZE, limit)
    return first, last


def filtered_fields(where: Mapping[str, Any] | None) -> list[str]:
    """Every field a ``where`` tree tests, however deeply nested in _and/_or/_not."""
    found: list[str] = []
    for key, value in (where or {}).items():
        if key in ("_and", "_or"):
            for item in value:
                found += filtered_fields(item)
        elif key == "_not":
            found += filtered_fields(value)
        else:
            found.append(key)
    return found


def require_searchable(
    ctx: Context, type_name: str, revealed: Mapping[str, str], where: Mapping[str, Any] | None,
    order_by: list[tuple[str, bool]],
) -> None:
    """Refuse (FORBIDDEN, naming the coordinate) a filter or sort on a field the caller does not
    read in full. ``revealed`` maps a filter or sort field to the coordinate whose rule governs it
    (``reads.revealed_coordinates``); others are ``type_name.field``."""
    for verb, fields in (("filter on", filtered_fields(where)), ("sort by", [field for field, _ in order_by])):
        for field in fields:
            coordinate = revealed.get(field, f"{type_name}.{field}")
            if ctx.decisions.field(coordinate) is not FieldAccess.FULL:
                raise forbidden(ctx, coordinate, None, verb)


@dataclass(frozen=True, slots=True)
class ListRequest:
    """A searchable list's arguments, checked: page sizes, the ``where`` tree, the sort keys."""

    first: int | None
    last: int | None
    where: dict[str, Any] | None
    order_by: list[tuple[str, bool]]


def list_request(
    ctx: Context, type_name: str, revealed: Mapping[str, str], *, where: Any, order_by: Any, first: int | None,
    last: int | None,
) -> ListRequest:
    """The arguments of a list of ``type_name`` as the services take them, refused where bad or
    where they would reveal a field the caller does not read in full."""
    first, last = page_sizes(first, last, ctx.settings.max_page_size)
    filters = where_dict(where)
    order = order_list(order_by)
    require_searchable(ctx, type_name, revealed, filters, order)
    return ListRequest(first, last, filters, order)
