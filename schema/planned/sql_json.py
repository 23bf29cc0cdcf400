"""PostgreSQL builds each customer's JSON: the planned page's nodes without Python per field.

Python costs about a microsecond per field it copies from a row into a response; a page has
~800. When every field a page shows of a customer is a column, a count or the newest service
records, the statement itself builds each customer's JSON object, formatted exactly as the
GraphQL layer would format it (enum names, ISO times in UTC, decimals as strings, Relay ids),
and the response embeds it as it comes. ``JsonField`` says what to build; the GraphQL layer
decides which fields qualify (``schema/planned/customers.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Text,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from api.db.models import Customer
from api.services.servicing_reads import newest_records, open_complaints_subquery


@dataclass(frozen=True, slots=True)
class JsonField:
    """One key of a JSON object the database builds, and what its value is made from.

    ``kind``: literal (a constant, e.g. __typename), null (a denied field), global_id (the Relay
    id), column, text (a decimal as its string), enum (stored value -> GraphQL name), datetime,
    date, object (a nested object of the same row), object_if (null when ``column`` is null),
    records (the newest service records), complaints (the open complaints count).
    """

    key: str
    kind: str
    column: str | None = None
    literal: str | None = None
    names: tuple[tuple[str, str], ...] = ()  # enum: (stored value, GraphQL name)
    children: tuple[JsonField, ...] = ()


def _quoted(text: str) -> Any:
    # Keys and type names are GraphQL names ([_A-Za-z][_0-9A-Za-z]*): safe to inline, and
    # inlined they keep the prepared statement's parameters to the values that change.
    if not text.replace("_", "a").isalnum():
        raise ValueError(f"not a GraphQL name: {text!r}")
    return literal_column(f"'{text}'")


def _iso(column: Any) -> Any:
    """``datetime.isoformat()`` of a UTC time: microseconds only when there are any."""
    utc = func.timezone(literal_column("'UTC'"), column)
    micro = cast(func.date_part(literal_column("'microseconds'"), column), BigInteger) % 1_000_000
    text = func.concat(
        func.to_char(utc, literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS'")),
        case((micro != 0, func.to_char(utc, literal_column("'.US'"))), else_=literal_column("''")),
        literal_column("'+00:00'"),
    )
    return case((column.is_(None), null()), else_=text)


def _object(fields: tuple[JsonField, ...], columns: Any) -> Any:
    pairs: list[Any] = []
    for field in fields:
        pairs += [_quoted(field.key), _value(field, columns)]
    return func.json_build_object(*pairs)


def _records(field: JsonField) -> Any:
    newest = newest_records([c.column for c in field.children if c.column])
    ordered = aggregate_order_by(_object(field.children, newest.c), newest.c.occurred_at.desc(), newest.c.id.desc())
    return select(func.coalesce(func.json_agg(ordered), literal_column("'[]'::json"))).scalar_subquery()


def _value(field: JsonField, columns: Any) -> Any:
    kind = field.kind
    if kind == "literal":
        assert field.literal is not None
        return _quoted(field.literal)
    if kind == "null":
        return null()
    if kind == "global_id":
        assert field.literal is not None
        raw = func.concat(_quoted(field.literal), literal_column("':'"), columns.id)
        return func.encode(func.convert_to(raw, literal_column("'UTF8'")), literal_column("'base64'"))
    if kind == "object":
        return _object(field.children, columns)
    if kind == "records":
        return _records(field)
    if kind == "complaints":
        return open_complaints_subquery()
    column = columns[field.column]
    if kind == "column":
        return column
    if kind == "text":
        return cast(column, Text)
    if kind == "enum":
        return case(dict(field.names), value=column)
    if kind == "datetime":
        return _iso(column)
    if kind == "date":
        return func.to_char(column, literal_column("'YYYY-MM-DD'"))
    if kind == "object_if":
        return case((column.is_(None), null()), else_=_object(field.children, columns))
    raise ValueError(f"unknown kind {kind}")


def node_json(fields: tuple[JsonField, ...]) -> Any:
    """The customer's JSON object (as text) with ``fields``, for a select over ``customer``."""
    return cast(_object(fields, Customer.__table__.c), Text).label("node_json")
