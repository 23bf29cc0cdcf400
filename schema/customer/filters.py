"""Hasura-style filtering and ordering of customers: `where: {field: {_eq: …}}`, `orderBy: [{name: ASC}]`."""

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
    starts_with: str | None = strawberry.field(default=None, name="_startsWith", description="Starts with (case-sensitive).")


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
    is_null: bool | None = strawberry.field(default=None, name="_isNull", description="Size unknown (true) or known (false).")


@strawberry.input(description="Conditions on a timestamp.")
class DateTimeComparison:
    gt: datetime | None = strawberry.field(default=None, name="_gt", description="After.")
    gte: datetime | None = strawberry.field(default=None, name="_gte", description="At or after.")
    lt: datetime | None = strawberry.field(default=None, name="_lt", description="Before.")
    lte: datetime | None = strawberry.field(default=None, name="_lte", description="At or before.")
    is_null: bool | None = strawberry.field(default=None, name="_isNull", description="Never set (true) or set (false).")


@strawberry.input(description="Conditions on a date.")
class DateComparison:
    gt: date | None = strawberry.field(default=None, name="_gt", description="After.")
    gte: date | None = strawberry.field(default=None, name="_gte", description="On or after.")
    lt: date | None = strawberry.field(default=None, name="_lt", description="Before.")
    lte: date | None = strawberry.field(default=None, name="_lte", description="On or before.")
    is_null: bool | None = strawberry.field(default=None, name="_isNull", description="Missing (true) or present (false).")


@strawberry.input(description="Condition on a yes/no property.")
class BooleanComparison:
    eq: bool | None = strawberry.field(default=None, name="_eq", description="Equal to.")


@strawberry.input(description="Which customers: every given condition must hold.")
class CustomerWhere:
    and_: list["CustomerWhere"] | None = strawberry.field(default=None, name="_and", description="All of these.")
    or_: list["CustomerWhere"] | None = strawberry.field(default=None, name="_or", description="Any of these.")
    not_: "CustomerWhere | None" = strawberry.field(default=None, name="_not", description="Not this.")
    name: StringComparison | None = strawberry.field(default=None, description="Registered name.")
    credit_code: StringComparison | None = strawberry.field(default=None, description="Unified Social Credit Code.")
    industry_code: StringComparison | None = strawberry.field(
        default=None, description="GB/T 4754 code; `_startsWith: \"C\"` selects a section."
    )
    branch_code: StringComparison | None = strawberry.field(default=None, description="Branch code.")
    relationship_manager_username: StringComparison | None = strawberry.field(
        default=None, description="Username of the relationship manager."
    )
    size: EnterpriseSizeComparison | None = strawberry.field(default=None, description="Enterprise size.")
    credit_status: CreditStatusComparison | None = strawberry.field(default=None, description="Credit status.")
    stale: BooleanComparison | None = strawberry.field(default=None, description="Financial information stale.")
    last_major_change_at: DateTimeComparison | None = strawberry.field(
        default=None, description="When the last major change was recorded."
    )
    latest_statement_period_end: DateComparison | None = strawberry.field(
        default=None, description="Period end of the newest statement."
    )
    created_at: DateTimeComparison | None = strawberry.field(default=None, description="Registration time.")
    updated_at: DateTimeComparison | None = strawberry.field(default=None, description="Last change time.")


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input(description="One sort key: set exactly one field.")
class CustomerOrderBy:
    id: OrderDirection | None = None
    name: OrderDirection | None = None
    credit_code: OrderDirection | None = None
    industry_code: OrderDirection | None = None
    branch_code: OrderDirection | None = None
    created_at: OrderDirection | None = None
    updated_at: OrderDirection | None = None


def where_dict(where: CustomerWhere | None) -> dict[str, Any] | None:
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


def order_list(order_by: list[CustomerOrderBy] | None) -> list[tuple[str, bool]]:
    """``[(field, descending)]``; an element setting no field or two is bad input."""
    result: list[tuple[str, bool]] = []
    for index, item in enumerate(order_by or []):
        chosen = {k: v for k, v in input_dict(item).items() if v is not None}
        if len(chosen) != 1:
            raise InvalidInput.one(f"orderBy.{index}", "set exactly one field per element")
        ((field, direction),) = chosen.items()
        result.append((field, direction == OrderDirection.DESC.value))
    return result
