"""Hasura-style comparisons and sort directions: `where: {field: {_eq: …}}`, `orderBy: [{name: ASC}]`.

The comparison inputs are per kind of value; which fields of a list use which is declared on the
fields (``schema.reads``) and the list's inputs are derived from that (``schema.search_inputs``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry

from api.errors import InvalidInput
from schema.convert import input_dict
from schema.grading import GradeLevel
from schema.reference import CreditStatusEnum, EnterpriseSizeEnum


@strawberry.input(
    description="Conditions on a text field; all given conditions must hold. Values are literal text "
    "(`%`, `_`, `*` are ordinary characters). `_eq`, `_in`, `_startsWith` and `_contains` compare exactly, "
    "case included; `_istartsWith` and `_icontains` ignore the case of the letters A–Z only (`acme` "
    "finds `ACME`; `ä` does not find `Ä`; characters without case, such as 杭州, match as written). "
    "The same on every database."
)
class StringComparison:
    eq: str | None = strawberry.field(default=None, name="_eq", description="Equal to (case-sensitive).")
    neq: str | None = strawberry.field(default=None, name="_neq", description="Not equal to (case-sensitive).")
    in_: list[str] | None = strawberry.field(default=None, name="_in", description="One of (case-sensitive).")
    nin: list[str] | None = strawberry.field(default=None, name="_nin", description="None of (case-sensitive).")
    contains: str | None = strawberry.field(
        default=None, name="_contains", description="Contains this text (case-sensitive)."
    )
    icontains: str | None = strawberry.field(
        default=None, name="_icontains", description="Contains this text, ignoring the case of A–Z."
    )
    starts_with: str | None = strawberry.field(
        default=None, name="_startsWith", description="Starts with this text (case-sensitive)."
    )
    istarts_with: str | None = strawberry.field(
        default=None, name="_istartsWith", description="Starts with this text, ignoring the case of A–Z."
    )


@strawberry.input(description="Conditions on a grade (A best … D); a customer not yet graded has none.")
class GradeLevelComparison:
    eq: GradeLevel | None = strawberry.field(default=None, name="_eq", description="Equal to.")
    neq: GradeLevel | None = strawberry.field(
        default=None, name="_neq", description="Graded, and not equal to."
    )
    in_: list[GradeLevel] | None = strawberry.field(default=None, name="_in", description="One of.")
    nin: list[GradeLevel] | None = strawberry.field(default=None, name="_nin", description="Graded, and none of.")
    is_null: bool | None = strawberry.field(
        default=None, name="_isNull", description="Not yet graded (true) or graded (false)."
    )


@strawberry.input(description="Conditions on a decimal number; a missing value meets none of the comparisons.")
class DecimalComparison:
    eq: Decimal | None = strawberry.field(default=None, name="_eq", description="Equal to.")
    gt: Decimal | None = strawberry.field(default=None, name="_gt", description="Greater than.")
    gte: Decimal | None = strawberry.field(default=None, name="_gte", description="At least.")
    lt: Decimal | None = strawberry.field(default=None, name="_lt", description="Less than.")
    lte: Decimal | None = strawberry.field(default=None, name="_lte", description="At most.")
    is_null: bool | None = strawberry.field(
        default=None, name="_isNull", description="Missing (true) or present (false)."
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
    ASC = strawberry.enum_value("asc", description="Ascending: smallest, earliest or A first.")
    DESC = strawberry.enum_value("desc", description="Descending: largest, latest or Z first.")


def where_dict(where: Any) -> dict[str, Any] | None:
    """The filter in the services' shape: ``{field: {"_op": value}, "_and": [...]}``."""
    if where is None:
        return None
    return _rename(input_dict(where))


_OPS = {"eq": "_eq", "neq": "_neq", "in_": "_in", "nin": "_nin", "contains": "_contains",
        "icontains": "_icontains", "starts_with": "_starts_with", "istarts_with": "_istarts_with",
        "gt": "_gt", "gte": "_gte", "lt": "_lt", "lte": "_lte", "is_null": "_is_null"}
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


def enum_comparison(enum: type, name: str, what: str, *, nullable: bool = False) -> type:
    """A comparison input over one enum (`_eq`, `_neq`, `_in`, `_nin`, and `_isNull` when the field
    may be missing); bind it to ``name`` in the module that uses it."""
    annotations: dict[str, Any] = {
        "eq": enum | None, "neq": enum | None, "in_": list[enum] | None, "nin": list[enum] | None,  # type: ignore[valid-type]
    }
    namespace: dict[str, Any] = {
        "eq": strawberry.field(default=None, name="_eq", description="Equal to."),
        "neq": strawberry.field(default=None, name="_neq", description="Not equal to."),
        "in_": strawberry.field(default=None, name="_in", description="One of."),
        "nin": strawberry.field(default=None, name="_nin", description="None of."),
    }
    if nullable:
        annotations["is_null"] = bool | None
        namespace["is_null"] = strawberry.field(
            default=None, name="_isNull", description="Missing (true) or present (false)."
        )
    namespace["__annotations__"] = annotations
    return strawberry.input(type(name, (), namespace), description=f"Conditions on {what}.")
