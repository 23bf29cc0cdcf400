"""Hasura-style comparisons and sort directions: `where: {field: {_eq: …}}`, `orderBy: [{name: ASC}]`.

The comparison inputs are per kind of value; which fields of a list use which is declared on the
fields (``schema.reads``) and the list's inputs are derived from that (``schema.search_inputs``).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry

from api.errors import InvalidInput
from schema.convert import input_dict
from schema.reference import CreditStatusEnum, EnterpriseSizeEnum


@strawberry.input(description="Conditions on a text field; all given conditions must hold.")
class StringComparison:
    eq: str | None = strawberry.field(default=None, name="_eq", description="Equal to.")
    neq: str | None = strawberry.field(default=None, name="_neq", description="Not equal to.")
    in_: list[str] | None = strawberry.field(default=None, name="_in", description="One of.")
    nin: list[str] | None = strawberry.field(default=None, name="_nin", description="None of.")
    contains: str | None = strawberry.field(default=None, name="_contains", description="Contains, ignoring case.")
    starts_with: str | None = strawberry.field(
        default=None, name="_startsWith", description="Starts with (case-sensitive)."
    )


@strawberry.input(description="Conditions on a credit status.")
class CreditStatusComparison:
    eq: CreditStatusEnum | None = strawberry.field(default=None, name="_eq", description="Equal to.")
    neq: CreditStatusEnum | None = strawberry.field(default=None, name="_neq", description="Not equal to.")
    in_: list[CreditStatusEnum] | None = strawberry.field(default=None, name="_in", description="One of.")
    nin: list[CreditStatusEnum] | None = strawberry.field(default=None, name="_nin", description="None of.")


@strawberry.input(description="Conditions on an enterprise size.")
class EnterpriseSizeComparison:
    eq: EnterpriseSizeEnum | None = strawberry.field(default=None, name="_eq", description="Equal to.")
    neq: EnterpriseSizeEnum | None = strawberry.field(default=None, name="_neq", description="Not equal to.")
    in_: list[EnterpriseSizeEnum] | None = strawberry.field(default=None, name="_in", description="One of.")
    nin: list[EnterpriseSizeEnum] | None = strawberry.field(default=None, name="_nin", description="None of.")
    is_null: bool | None = strawberry.field(
        default=None, name="_isNull", description="Size unknown (true) or known (false)."
    )


@strawberry.input(description="Conditions on a timestamp.")
class DateTimeComparison:
    gt: datetime | None = strawberry.field(default=None, name="_gt", description="After.")
    gte: datetime | None = strawberry.field(default=None, name="_gte", description="At or after.")
    lt: datetime | None = strawberry.field(default=None, name="_lt", description="Before.")
    lte: datetime | None = strawberry.field(default=None, name="_lte", description="At or before.")
    is_null: bool | None = strawberry.field(
        default=None, name="_isNull", description="Never set (true) or set (false)."
    )


@strawberry.input(description="Conditions on a date.")
class DateComparison:
    gt: date | None = strawberry.field(default=None, name="_gt", description="After.")
    gte: date | None = strawberry.field(default=None, name="_gte", description="On or after.")
    lt: date | None = strawberry.field(default=None, name="_lt", description="Before.")
    lte: date | None = strawberry.field(default=None, name="_lte", description="On or before.")
    is_null: bool | None = strawberry.field(
        default=None, name="_isNull", description="Missing (true) or present (false)."
    )


@strawberry.input(description="Condition on a yes/no property.")
class BooleanComparison:
    eq: bool | None = strawberry.field(default=None, name="_eq", description="Equal to.")


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


def where_dict(where: Any) -> dict[str, Any] | None:
    """The filter in the services' shape: ``{field: {"_op": value}, "_and": [...]}``."""
    if where is None:
        return None
    return _rename(input_dict(where))


_OPS = {"eq": "_eq", "neq": "_neq", "in_": "_in", "nin": "_nin", "contains": "_contains",
        "starts_with": "_starts_with", "gt": "_gt", "gte": "_gte", "lt": "_lt", "lte": "_lte",
        "is_null": "_is_null"}
_LOGIC = {"and_": "_and", "or_": "_or", "not_": "_not"}


def _rename(tree: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if value is None:
            continue
        if key in ("and_", "or_"):
            out[_LOGIC[key]] = [_rename(item) for item in value]
        elif key == "not_":
            out["_not"] = _rename(value)
        else:
            out[key] = {_OPS[op]: v for op, v in value.items() if v is not None}
    return out


def order_list(order_by: list[Any] | None) -> list[tuple[str, bool]]:
    """``[(field, descending)]``; an element setting no field or two is bad input."""
    result: list[tuple[str, bool]] = []
    for index, item in enumerate(order_by or []):
        chosen = {k: v for k, v in input_dict(item).items() if v is not None}
        if len(chosen) != 1:
            raise InvalidInput.one(f"orderBy.{index}", "set exactly one field per element")
        ((field, direction),) = chosen.items()
        result.append((field, direction == OrderDirection.DESC.value))
    return result
