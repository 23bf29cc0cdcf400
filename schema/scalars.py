"""The custom scalars: each says on the wire what it is (``specifiedByURL``) and refuses the rest.

Front ends generate types from the schema; a scalar without ``@specifiedBy`` is typed
``unknown``. Each scalar here names its format, parses only that format, and refuses anything
else as bad input (``BAD_USER_INPUT`` with a message saying what to send), never as a server
error further down. Serialization is strawberry's own, by the very same functions: the planned
path's SQL forms (``schema/planned/sql_scalars.py``) are tied to them and tested against them.

Input errors are raised as ``ValueError``: graphql-core then words them with the scalar's type,
the value and where it was (the variable path, or the literal's location), and the endpoint
reports them as ``BAD_USER_INPUT``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from typing import Any, NewType

import strawberry
from graphql import GraphQLString
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition, DecimalDefinition
from strawberry.types.scalar import ScalarDefinition

from api.reference.currencies import currency_error

# The calendar a value of a credit file can sit in: before 1900 is a typo or a placeholder such as
# 0001-01-01, which also breaks a conversion to UTC in Python (year 0) instead of reading as bad input.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9999, 12, 31)

DECIMAL_URL = "https://speleotrove.com/decimal/daconvs.html#refnumsyn"
DATE_URL = "https://scalars.graphql.org/andimarek/local-date.html"
DATETIME_URL = "https://scalars.graphql.org/andimarek/date-time.html"
CURRENCY_URL = "https://www.iso.org/iso-4217-currency-codes.html"

# A finite decimal in plain or exponent notation: the numeric strings of the General Decimal
# Arithmetic specification without NaN and Infinity, and without surrounding spaces.
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,2})?", re.ASCII)
_DECIMAL_MAX_LENGTH = 100  # longer than any amount; bounds the work on a hostile value
# RFC 3339 full-date, and date-time with a mandatory offset (``Z`` or ``±hh:mm``).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII)

CurrencyCode = NewType("CurrencyCode", str)


def _text(value: Any, kind: str, example: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f'send a {kind} as a JSON string such as "{example}", not {_json_kind(value)}')
    return value


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "that"


def _in_range(day: dt.date, kind: str) -> None:
    if not EARLIEST <= day <= LATEST:
        raise _out_of_range(kind)


def _out_of_range(kind: str) -> ValueError:
    return ValueError(f"a {kind} must fall between {EARLIEST.isoformat()} and {LATEST.isoformat()}")


def parse_decimal(value: Any) -> decimal.Decimal:
    """A finite decimal from its string; a JSON number would already have lost digits."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            "send a Decimal as a JSON string such as \"1250000.00\", not a number: "
            "a JSON number may lose digits on the way"
        )
    text = _text(value, "Decimal", "1250000.00")
    if len(text) > _DECIMAL_MAX_LENGTH or not _DECIMAL.fullmatch(text):
        raise ValueError(
            "a Decimal is a finite decimal number written as a string, such as \"1250000.00\" "
            "(NaN and Infinity are not amounts)"
        )
    return decimal.Decimal(text)


def parse_date(value: Any) -> dt.date:
    """An ISO 8601 calendar date ``YYYY-MM-DD``."""
    text = _text(value, "Date", "2025-12-31")
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("a Date is an ISO 8601 calendar date YYYY-MM-DD, such as \"2025-12-31\"") from None
    _in_range(day, "Date")
    return day


def parse_datetime(value: Any) -> dt.datetime:
    """An RFC 3339 date and time with its offset; a time without one names no instant."""
    text = _text(value, "DateTime", "2025-12-31T09:30:00+08:00")
    if _DATETIME.fullmatch(text) is None:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?", text, re.ASCII):
            raise ValueError(
                "a DateTime needs its time zone offset, such as \"2025-12-31T09:30:00+08:00\" "
                "or \"2025-12-31T01:30:00Z\": without one it names no instant"
            )
        raise ValueError(
            "a DateTime is an RFC 3339 date and time with offset, such as \"2025-12-31T09:30:00+08:00\""
        )
    try:
        moment = dt.datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:  # e.g. February 30th, hour 24, offset +25:00
        raise ValueError(
            "a DateTime is an RFC 3339 date and time with offset, such as \"2025-12-31T09:30:00+08:00\""
        ) from None
    _in_range(moment.date(), "DateTime")
    try:
        utc = moment.astimezone(dt.UTC)  # the instant must exist in UTC too: it is stored and compared so
    except OverflowError:  # in UTC it would be past 9999-12-31
        raise _out_of_range("DateTime") from None
    _in_range(utc.date(), "DateTime")
    return moment


def parse_currency(value: Any) -> CurrencyCode:
    """An active ISO 4217 code, as the shipped list (``api/reference/iso4217_list_one.csv``) has it."""
    text = _text(value, "CurrencyCode", "CNY")
    if (problem := currency_error(text)) is not None:
        raise ValueError(problem)
    return CurrencyCode(text)


def _serializer(definition: ScalarDefinition) -> Callable[[Any], Any]:
    """strawberry's own serializer of a scalar, the very function (the SQL forms are tied to it)."""
    assert definition.serialize is not None
    return definition.serialize


DECIMAL = strawberry.scalar(
    name="Decimal",
    description=(
        "An exact decimal number, always a JSON string on the wire (e.g. `\"1250000.00\"`), never a "
        "JSON number, which would lose digits. Finite only: NaN and Infinity are refused. The syntax "
        "is the numeric string of the General Decimal Arithmetic specification; responses use plain "
        "notation except for very small or very large values (e.g. `\"1E+4\"`)."
    ),
    specified_by_url=DECIMAL_URL,
    serialize=_serializer(DecimalDefinition),
    parse_value=parse_decimal,
)
DATE = strawberry.scalar(
    name="Date",
    description=(
        "A calendar date, ISO 8601 / RFC 3339 `full-date`: `YYYY-MM-DD` (e.g. `\"2025-12-31\"`), "
        "from 1900-01-01 to 9999-12-31. Dates of the business are the lender's local dates."
    ),
    specified_by_url=DATE_URL,
    serialize=_serializer(DateDefinition),
    parse_value=parse_date,
)
DATETIME = strawberry.scalar(
    name="DateTime",
    description=(
        "An instant: an RFC 3339 date and time with its time zone offset "
        "(e.g. `\"2025-12-31T09:30:00+08:00\"` or `\"2025-12-31T01:30:00Z\"`); a time without an "
        "offset is refused. Responses are in UTC (`+00:00`), with microseconds when there are any. "
        "From 1900-01-01 to 9999-12-31 (in UTC too)."
    ),
    specified_by_url=DATETIME_URL,
    serialize=_serializer(DateTimeDefinition),
    parse_value=parse_datetime,
)
CURRENCY_CODE = strawberry.scalar(
    name="CurrencyCode",
    description=(
        "An ISO 4217 alphabetic currency code in capitals, e.g. `CNY`, `USD`, `EUR`. Input must be "
        "an active code of ISO 4217 List One (the list the service ships); `XTS` (testing) and "
        "`XXX` (no currency) are not money. Values recorded earlier keep the code they were "
        "recorded with."
    ),
    specified_by_url=CURRENCY_URL,
    # String's own serializer: the planned path writes this scalar as it writes a String.
    serialize=GraphQLString.serialize,
    parse_value=parse_currency,
)

# The schema's scalar map (``StrawberryConfig.scalar_map``).
SCALARS: dict[object, ScalarDefinition] = {
    decimal.Decimal: DECIMAL,
    dt.date: DATE,
    dt.datetime: DATETIME,
    CurrencyCode: CURRENCY_CODE,
}
