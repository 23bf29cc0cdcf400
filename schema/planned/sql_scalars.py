"""How PostgreSQL writes each GraphQL leaf value exactly as the schema's own ``serialize`` would.

Why: on the planned read path the database builds each object's JSON (``json_build_object``)
and the response embeds it as it comes, so Python never touches each field of each row (about
a microsecond a field, ~800 fields a page). That is only right if the SQL writes every value the
way the GraphQL scalar's ``serialize`` writes the Python value the driver reads from the same
column. This module is the one place that knows how: a registry from a GraphQL named leaf type
(a scalar, by name and by its very ``serialize`` function, or any string-valued enum) to a
function of the column expression giving the value to put into ``json_build_object``.

Every entry is tested on PostgreSQL against the scalar's ``serialize`` with generated values
(``tests/test_sql_scalars.py``: NULL, time-zone offsets, microseconds, years 1 to 9999, negative,
large and scaled decimals, every enum value, unicode), and a leaf type of the schema without an
entry fails that test until someone decides it needs none. ``None`` from ``sql_form`` means "no
SQL form": the planner builds that object in Python. A form raises ``NoSqlForm`` (a
``NotPlannable``) when the column it is given has a type it cannot write faithfully (``Int``
over a ``bigint``, ``DateTime`` over a naive ``timestamp``, a type decorator that changes what
is read).

What the Python side reads, and so what each form reproduces (asyncpg, through SQLAlchemy):

- ``DateTime``: ``timestamptz`` comes back in UTC, so ``isoformat()`` is
  ``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00``, with microseconds only when there are any. asyncpg
  stores ``datetime.max``/``datetime.min`` as ``±infinity`` and reads those back as
  9999-12-31 23:59:59.999999 and 0001-01-01 00:00 (UTC through ``UTCDateTime``).
- ``Date``: ``isoformat()``; ``date.max``/``date.min`` are likewise stored as ``±infinity``.
- ``Decimal``: ``str(Decimal)``: the column's text at a scale of 1 to 6 (every numeric column
  of the models); scientific notation below 1e-6 at larger scales (``1.2300E-7``, ``0E-7``)
  and, at scale 0, for integers ending in a base-10000 group of zeros (``1E+4``).
- enums: the stored string (the Python enum's value, or what a SQLAlchemy ``Enum`` column maps
  its members to) becomes the GraphQL enum value's name.
- ``JSON``: a ``json``/``jsonb`` column is embedded as it is (SQLAlchemy decodes the same text;
  a raw asyncpg row holds it as a string).

GraphQL names and fixed strings are inlined in the SQL (checked first), so a prepared
statement's parameters stay the values that change.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from enum import Enum
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLNamedType,
    GraphQLScalarType,
    GraphQLString,
)
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.types import NullType, TypeEngine
from strawberry.scalars import JSON as StrawberryJSON
from strawberry.schema.types.scalar import DEFAULT_SCALAR_REGISTRY

from api.db.base import UTCDateTime
from schema.planned.shape import NotPlannable

SqlForm = Callable[[ColumnElement[Any]], ColumnElement[Any]]
"""Column expression -> the value PostgreSQL puts into ``json_build_object`` for it."""


class NoSqlForm(NotPlannable):
    """The leaf has a SQL form, but not over a column of this type: build the object in Python."""


_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
# Stored enum values inlined as SQL literals: no quote, no backslash, nothing to escape.
_PLAIN = re.compile(r"[0-9A-Za-z_.:\- ]*")


def name_literal(text: str) -> ColumnElement[str]:
    """A GraphQL name (a key, a type name, an enum value) inlined as a SQL string literal."""
    if not _NAME.fullmatch(text):
        raise ValueError(f"not a GraphQL name: {text!r}")
    return literal_column(f"'{text}'", String)


def _text_literal(text: str) -> ColumnElement[str]:
    # Inlined when nothing in it needs escaping; otherwise a bind parameter (always safe).
    return literal_column(f"'{text}'", String) if _PLAIN.fullmatch(text) else literal(text, String)


def _sql(text: str) -> ColumnElement[Any]:
    """A fixed piece of SQL (a constant), inlined."""
    return literal_column(text)


def _refuse(leaf: str, column: ColumnElement[Any]) -> NoSqlForm:
    return NoSqlForm(f"no SQL form of {leaf} over a {column.type!r} column")


def _base_type(leaf: str, column: ColumnElement[Any]) -> TypeEngine[Any]:
    """The database type under the column's type decorators (``Money`` -> ``Numeric(20, 2)``).

    A decorator that changes the values read (other than ``UTCDateTime``, which the DateTime
    form knows) makes Python serialize something else than the column holds: no SQL form.
    """
    type_: TypeEngine[Any] = column.type
    while isinstance(type_, TypeDecorator):
        kind = type(type_)
        changes = (kind.process_result_value is not TypeDecorator.process_result_value
                   or kind.result_processor is not TypeDecorator.result_processor)
        if changes and not isinstance(type_, UTCDateTime):
            raise _refuse(leaf, column)
        type_ = type_.impl_instance
    return type_


# --- scalars -----------------------------------------------------------------------------------


def _plain(leaf: str, accepted: type[TypeEngine[Any]], refused: tuple[type[TypeEngine[Any]], ...] = ()) -> SqlForm:
    """The column itself: JSON writes its numbers and booleans as serialize does."""

    def form(column: ColumnElement[Any]) -> ColumnElement[Any]:
        type_ = _base_type(leaf, column)
        if isinstance(type_, NullType | accepted) and not isinstance(type_, refused):
            return column
        raise _refuse(leaf, column)

    return form


def _string_like(leaf: str) -> SqlForm:
    """``String``/``ID``: text as it is; integers (and for String booleans) as their text."""

    def form(column: ColumnElement[Any]) -> ColumnElement[Any]:
        type_ = _base_type(leaf, column)
        if isinstance(type_, SAEnum) and type_.enum_class is not None:
            # The driver reads a member: serialize gives a str-valued member's value (a plain
            # Enum member would become "Class.MEMBER"), which must be the stored string.
            stored = _stored_members(type_)
            if stored is None or any(not isinstance(m, str) or m != text for text, m in stored.items()):
                raise _refuse(leaf, column)
            return column
        if isinstance(type_, NullType | String):
            return column
        if isinstance(type_, Integer) or (leaf == "String" and isinstance(type_, Boolean)):
            return cast(column, Text)
        raise _refuse(leaf, column)

    return form


def _infinities(column: ColumnElement[Any], late: str, early: str) -> ColumnElement[Any]:
    """What asyncpg reads from ``±infinity`` (only reached when the formatted value is NULL)."""
    return case(
        (column == literal_column("'infinity'"), literal_column(f"'{late}'", String)),
        (column == literal_column("'-infinity'"), literal_column(f"'{early}'", String)),
    )


def datetime_sql(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``datetime.isoformat()`` of a ``timestamptz`` read in UTC: microseconds only when any.

    ``±infinity`` reads as asyncpg's naive 9999-12-31 23:59:59.999999 / 0001-01-01 00:00,
    made UTC by ``UTCDateTime`` (every timestamp of the models; assumed of an untyped column).
    """
    type_ = _base_type("DateTime", column)
    if not isinstance(type_, NullType) and not (isinstance(type_, DateTime) and type_.timezone):
        raise _refuse("DateTime", column)  # a naive timestamp reads back without an offset
    offset = "" if isinstance(type_, DateTime) and not isinstance(column.type, UTCDateTime) else "+00:00"
    utc = func.timezone(_sql("'UTC'"), column)
    text = func.to_char(utc, _sql("'YYYY-MM-DD\"T\"HH24:MI:SS.US+00:00'"))
    # '.000000+' can only be the microseconds: the date and time have no '.'.
    finite = func.replace(text, _sql("'.000000+'"), _sql("'+'"))
    return func.coalesce(
        finite, _infinities(column, f"9999-12-31T23:59:59.999999{offset}", f"0001-01-01T00:00:00{offset}")
    )


def date_sql(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``date.isoformat()``: to_char (not ``::text``, which follows the session's DateStyle)."""
    type_ = _base_type("Date", column)
    if not isinstance(type_, NullType | Date) or isinstance(type_, DateTime):
        raise _refuse("Date", column)
    # As a timestamp without time zone: the session's time zone plays no part.
    text = func.to_char(cast(column, DateTime(timezone=False)), literal_column("'YYYY-MM-DD'"))
    return func.coalesce(text, _infinities(column, "9999-12-31", "0001-01-01"))


def _scientific(
    value: ColumnElement[Any], digits: ColumnElement[Any], exponent: ColumnElement[Any]
) -> ColumnElement[Any]:
    """``Decimal.__str__`` in scientific notation: ``-d.dddE<exponent>`` of a coefficient's digits."""
    return func.concat(
        case((value < _sql("0"), _sql("'-'")), else_=_sql("''")),
        func.left(digits, _sql("1")),
        case((func.length(digits) > _sql("1"), func.concat(_sql("'.'"), func.substr(digits, _sql("2")))),
             else_=_sql("''")),
        _sql("'E'"),
        exponent,
    )


def decimal_sql(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``str()`` of the ``Decimal`` asyncpg reads from a ``numeric``.

    asyncpg gives a value of scale s > 0 the exponent -s, so ``str`` prints ``numeric::text``
    unless the value is under 1e-6 at a scale above 6 (``1.2300E-7``, ``0E-7``). At scale 0 it
    keeps PostgreSQL's base-10000 digits: an integer ending in a group of four zeros gets a
    positive exponent and prints as ``1E+4``, ``1.00E+6``, ``1.234E+7``. A column of known
    scale 1 to 6 never meets either and is cast as it is; otherwise both are rebuilt from the
    digits.
    """
    type_ = _base_type("Decimal", column)
    if isinstance(type_, Integer):
        return cast(column, Text)  # read as int
    if isinstance(type_, Numeric):
        if not type_.asdecimal:  # read as float: str(float) is another format
            raise _refuse("Decimal", column)
        if type_.scale is not None and 1 <= type_.scale <= 6:
            return cast(column, Text)
    elif not isinstance(type_, NullType):
        raise _refuse("Decimal", column)
    value = cast(column, Numeric)
    scale = func.scale(value)
    magnitude = cast(func.abs(value), Text)  # PostgreSQL has no -0
    # Scale 0, ending in k groups of four zeros: the coefficient is the rest, the exponent 4k.
    kept = func.length(func.rtrim(magnitude, _sql("'0'")))
    large = func.left(magnitude, kept + func.mod(func.length(magnitude) - kept, _sql("4")))
    # Under 1e-6: the coefficient is the digits without leading zeros ('0' for zero).
    small = func.coalesce(
        func.nullif(func.ltrim(func.replace(magnitude, _sql("'.'"), _sql("''")), _sql("'0'")), _sql("''")), _sql("'0'")
    )
    return case(
        (column.is_(None), null()),
        (
            (scale == _sql("0")) & (func.right(magnitude, _sql("4")) == _sql("'0000'")),
            _scientific(value, large, func.concat(_sql("'+'"), cast(func.length(magnitude) - _sql("1"), Text))),
        ),
        # NaN and ±Infinity have no scale (NULL) and compare above every number: as their text.
        ((scale <= _sql("6")) | (func.abs(value) >= _sql("0.000001")), cast(value, Text)),
        else_=_scientific(value, small, cast(func.length(small) - _sql("1") - scale, Text)),
    )


def _json(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The JSON scalar serializes a value as it is: a json/jsonb column is embedded as it is."""
    type_ = _base_type("JSON", column)
    if isinstance(type_, NullType | JSON):
        return column
    raise _refuse("JSON", column)


# A scalar's form applies only to that very serialize function: a scalar overridden with another
# serializer under the same name has no SQL form until it has a tested entry of its own.
_SCALARS: dict[str, tuple[Callable[[Any], Any] | None, SqlForm]] = {
    "String": (GraphQLString.serialize, _string_like("String")),
    "ID": (GraphQLID.serialize, _string_like("ID")),
    # Int serializes 32-bit integers only (a larger one is an error): int2/int4 columns, not bigint.
    "Int": (GraphQLInt.serialize, _plain("Int", Integer, (BigInteger,))),
    "Boolean": (GraphQLBoolean.serialize, _plain("Boolean", Boolean)),
    "DateTime": (DEFAULT_SCALAR_REGISTRY[dt.datetime].serialize, datetime_sql),
    "Date": (DEFAULT_SCALAR_REGISTRY[dt.date].serialize, date_sql),
    "Decimal": (DEFAULT_SCALAR_REGISTRY[decimal.Decimal].serialize, decimal_sql),
    "JSON": (DEFAULT_SCALAR_REGISTRY[StrawberryJSON].serialize, _json),
    # A validated code on input; on output String's own serializer (``schema/scalars.py``).
    "CurrencyCode": (GraphQLString.serialize, _string_like("CurrencyCode")),
}


# --- enums -------------------------------------------------------------------------------------


def _stored_members(type_: SAEnum) -> dict[str, Any] | None:
    """Stored string -> Python member of a SQLAlchemy ``Enum`` column (None: no enum class).

    As SQLAlchemy pairs them: its ``enums`` (``values_callable`` or the member names) in the
    order of the class's members, aliases left out.
    """
    enum_class = type_.enum_class
    if enum_class is None:
        return None
    members = [member for name, member in enum_class.__members__.items() if member.name == name]
    if len(members) != len(type_.enums):
        return None
    return dict(zip(type_.enums, members, strict=True))


def enum_sql(leaf: GraphQLEnumType) -> SqlForm | None:
    """Stored string -> the GraphQL name of the enum value; None unless every value is a string."""
    names: dict[Any, str] = {}
    for name, value in leaf.values.items():
        python = value.value.value if isinstance(value.value, Enum) else value.value
        if not isinstance(python, str):
            return None
        names[python] = name
        name_literal(name)  # a GraphQL name, safe to inline

    def form(column: ColumnElement[Any]) -> ColumnElement[Any]:
        type_ = _base_type(leaf.name, column)
        if isinstance(type_, SAEnum) and type_.enum_class is not None:
            stored = _stored_members(type_)
            if stored is None:
                raise _refuse(leaf.name, column)
            # The driver's member serializes by its value; the stored string is whatever the
            # column maps it to (the value with values_callable, else the member's name).
            mapping = {text: names.get(member.value) for text, member in stored.items()}
        elif isinstance(type_, NullType | String):
            mapping = dict(names)  # a plain string column holds the values themselves
        else:
            raise _refuse(leaf.name, column)
        if any(name is None for name in mapping.values()):
            raise _refuse(leaf.name, column)
        return case({_text_literal(text): name_literal(str(name)) for text, name in mapping.items()}, value=column)

    return form


# --- the registry ------------------------------------------------------------------------------


def sql_form(leaf: GraphQLNamedType) -> SqlForm | None:
    """How PostgreSQL writes ``leaf``'s values as its ``serialize`` does; None if it cannot."""
    if isinstance(leaf, GraphQLEnumType):
        return enum_sql(leaf)
    if isinstance(leaf, GraphQLScalarType):
        entry = _SCALARS.get(leaf.name)
        if entry is not None and leaf.serialize is entry[0]:
            return entry[1]
    return None


def global_id_sql(type_name: str, id_column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The Relay global id ``base64("<type_name>:<id>")`` (``schema.ids.global_id``); NULL for NULL.

    ``encode(…, 'base64')`` breaks lines every 76 characters (from 58 bytes of "Type:id" on):
    the line breaks are taken out.
    """
    name_literal(type_name)  # checked: a GraphQL name, safe to inline
    raw = literal_column(f"'{type_name}:'", String).concat(cast(id_column, Text))
    encoded = func.encode(func.convert_to(raw, literal_column("'UTF8'")), literal_column("'base64'"))
    return func.replace(encoded, literal_column("E'\\n'"), literal_column("''"))


def cursor_sql(key_column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The cursor ``api.services.pagination.encode_cursor([key])`` of a row whose one sort key is
    the integer ``key_column``: ``urlsafe_b64encode("[<key>]")`` without its ``=`` padding.

    ``encode(…, 'base64')`` is the standard alphabet with line breaks every 76 characters: the
    breaks are taken out and ``+/`` become ``-_``.
    """
    if not isinstance(_base_type("cursor", key_column), Integer):
        raise _refuse("a cursor", key_column)
    raw = literal_column("'['", String).concat(cast(key_column, Text)).concat(literal_column("']'", String))
    encoded = func.encode(func.convert_to(raw, literal_column("'UTF8'")), literal_column("'base64'"))
    unbroken = func.replace(encoded, literal_column("E'\\n'"), literal_column("''"))
    return func.rtrim(func.translate(unbroken, _sql("'+/'"), _sql("'-_'")), _sql("'='"), type_=String)
