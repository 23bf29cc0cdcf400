"""Field declarations: how each GraphQL field reads, what it reveals, whether it filters and sorts.

Every field of a type the planned path serves carries one declaration, on the field itself
(``strawberry.field(metadata=declare(...))``). Everything else is derived from it: the regular
resolver's value (``Column`` fields are copied from the row; other readings are called by the
resolver), the planned read (which columns a page selects, which related rows it fetches in one
statement, how the database builds the JSON), the ``where`` and ``orderBy`` inputs of the list,
and what a filter or sort reveals (the field's own read rule). A field without a declaration is
never planned.

Readings:

- ``Column``: the value of one column of the source row.
- ``Projection``: an object or value computed from columns of the same row (``industry``,
  ``grade``); ``sql`` maps its child fields to columns when the database can build it.
- ``Computed``: a value computed from columns and the request (``financialsStale``).
- ``Related``: rows of another table keyed by the source (newest N, or the one row), fetched for
  a whole page in one statement.
- ``Lookup``: one row of another table by a key column (``branch``, ``relationshipManager``).
- ``Count``: a number per source row (``openComplaintCount``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import get_object_definition

from api.errors import InvalidInput
from api.services.filtering import FilterSql, SortSql

METADATA_KEY = "creditcare"


@dataclass(frozen=True, slots=True)
class Column:
    """The value of one column of the source row."""

    column: str


@dataclass(frozen=True, slots=True)
class Projection:
    """A value computed from ``columns`` of the source row alone.

    ``sql``: for an object, its child fields' columns (GraphQL name -> column), when each child is
    that column's value; ``null_if``: the columns any of whose NULL makes the object null.
    """

    columns: tuple[str, ...]
    value: Callable[[Any], Any]
    sql: Mapping[str, str] | None = None
    null_if: tuple[str, ...] = ()
    # A value decided by one field of the source over a fixed domain: (that field, {its stored
    # value: the value}); the database then writes the value's JSON for each case.
    cases: tuple[str, Callable[[], Mapping[Any, Any]]] | None = None


@dataclass(frozen=True, slots=True)
class Computed:
    """A value computed from ``columns`` of the source row and the request's context."""

    columns: tuple[str, ...]
    value: Callable[[Any, Any], Any]


# (session, keys, limit) -> {key: rows, newest first}: one statement for many keys.
FetchRows = Callable[[Any, list[Any], int], Awaitable[Mapping[Any, Any]]]


@dataclass(frozen=True, slots=True)
class Related:
    """Rows of another table that belong to the source row, fetched for many sources at once.

    ``key`` is the source's attribute that identifies it (the customer id); ``fetch`` reads the
    rows of many keys in one statement (newest first, at most ``limit`` each); ``build`` turns a
    row into the GraphQL value, given the request's context (a history entry redacts by it);
    ``argument`` names the field's size argument (``last``/``limit``) and ``bounds`` its range;
    without one, ``limit`` is ``default``. ``single``: ``fetch`` gives one row per key (or none)
    and the field is that row or null.
    ``sql_rows(parent_key, columns, limit)``: on PostgreSQL, the subquery of the rows whose key
    equals ``parent_key`` (a column of the enclosing query), at most ``limit``, with ``columns``
    and the ``order`` columns that order them newest first: the database then builds the field
    as JSON. Only for a ``build`` that copies each plain field from the column of its name.
    ``variant`` picks another reading by the field's other arguments.
    """

    key: str
    fetch: FetchRows
    build: Callable[[Any, Any], Any]
    argument: str | None = None
    default: int = 1
    bounds: tuple[int, int] = (1, 100)
    single: bool = False
    sql_rows: Callable[[Any, Sequence[str], Any], Any] | None = None
    order: tuple[str, ...] = ()
    # Another reading for some values of the field's other arguments (``history(majorOnly:)``).
    variant: Callable[[Mapping[str, Any]], Related] | None = None

    def pick(self, arguments: Mapping[str, Any]) -> Related:
        """The reading for these arguments (GraphQL names)."""
        return self if self.variant is None else self.variant(arguments)


@dataclass(frozen=True, slots=True)
class Count:
    """A number computed per source row by a correlated subquery (``sql``) or a batch ``fetch``."""

    key: str
    fetch: Callable[[Any, list[Any]], Awaitable[Mapping[Any, int]]]
    sql: Callable[[], Any]


@dataclass(frozen=True, slots=True)
class Lookup:
    """One row of another table by the source's ``key`` column, fetched for many keys at once.

    ``sql_table`` and ``sql_key``: on PostgreSQL, the table and its column the key matches, for
    an object the database builds as JSON (``build`` copies each plain field from its column).
    ``row_source``: the target is a type whose planned fields read its row (a ``Customer``): the
    planned path keeps the row, the regular path gets ``build(row)``.
    """

    key: str
    fetch: Callable[[Any, list[Any]], Awaitable[Mapping[Any, Any]]]
    build: Callable[[Any], Any]
    sql_table: Any = None
    sql_key: str | None = None
    row_source: bool = False


Reading = Column | Projection | Computed | Related | Count | Lookup


@dataclass(frozen=True, slots=True)
class Filter:
    """A ``where`` field answered by this field's data: its input name, operators and SQL."""

    name: str  # the input field's Python name, e.g. ``industry_code``
    comparison: type  # the strawberry input holding its operators
    description: str
    sql: FilterSql


@dataclass(frozen=True, slots=True)
class Declared:
    """One field's declaration: its reading, its data class, its filters and sort key."""

    reading: Reading
    # The data classes its value comes from (the policy's ``group:…`` names), the first the main one.
    data_classes: tuple[str, ...]
    filters: tuple[Filter, ...] = ()
    sort: tuple[str, SortSql] | None = None  # (orderBy field name, its SQL)
    sort_description: str | None = None
    # Further orderBy fields over the same value (a grade sorts by its level and by its score):
    # (name, SQL, description).
    more_sorts: tuple[tuple[str, SortSql, str], ...] = ()

    @property
    def data_class(self) -> str:
        """The main data class: the one a read of this field is audited under."""
        return self.data_classes[0]

    @property
    def columns(self) -> tuple[str, ...]:
        """The source row's columns this field needs."""
        reading = self.reading
        if isinstance(reading, Column):
            return (reading.column,)
        if isinstance(reading, (Projection, Computed)):
            return reading.columns
        return (reading.key,)


def declare(
    reading: Reading, data: str | tuple[str, ...], *, filters: Sequence[Filter] = (),
    sort: tuple[str, SortSql] | None = None, sort_description: str | None = None,
    more_sorts: Sequence[tuple[str, SortSql, str]] = (),
) -> dict[str, Declared]:
    """The ``metadata`` of a strawberry field that reads as ``reading`` and reveals ``data`` (a data
    class, or several when its value is derived from more than one)."""
    classes = (data,) if isinstance(data, str) else data
    return {METADATA_KEY: Declared(reading, classes, tuple(filters), sort, sort_description, tuple(more_sorts))}


def declared_fields(cls: type) -> dict[str, tuple[str, Declared]]:
    """``{GraphQL name: (Python name, declaration)}`` of a strawberry type's declared fields."""
    definition = get_object_definition(cls, strict=True)
    names = NameConverter()  # the schema's default: snake_case Python names become camelCase
    found: dict[str, tuple[str, Declared]] = {}
    for f in definition.fields:
        metadata: Mapping[str, Any] = f.metadata or {}
        declared = metadata.get(METADATA_KEY)
        if declared is not None:
            found[names.get_graphql_name(f)] = (f.python_name, declared)
    return found


@dataclass(frozen=True)
class TypeReads:
    """The declarations of one object type, indexed the ways the read paths need them."""

    type_name: str
    fields: Mapping[str, tuple[str, Declared]]  # GraphQL name -> (Python name, declaration)
    columns: Mapping[str, str] = field(default_factory=dict)  # Python name of a Column field -> column

    @classmethod
    def of(cls, strawberry_type: type, *, node_id: Declared | None = None) -> TypeReads:
        """The declarations on ``strawberry_type``'s fields; ``node_id``: a Relay node's ``id``
        (its field is relay's own, so it is declared beside the type)."""
        fields = declared_fields(strawberry_type)
        columns = {py: d.reading.column for py, d in fields.values() if isinstance(d.reading, Column)}
        if node_id is not None:
            fields = {"id": ("id", node_id), **fields}
        name = get_object_definition(strawberry_type, strict=True).name
        return cls(name, fields, columns)

    def row_values(self, row: Any) -> dict[str, Any]:
        """The ``Column`` fields' values from ``row``, by Python name: the regular path's object."""
        return {py: getattr(row, column) for py, column in self.columns.items()}

    def filters(self) -> list[tuple[str, Filter]]:
        """Every ``where`` field, in declaration order, with the GraphQL field that reveals it."""
        return [(name, f) for name, (_, d) in self.fields.items() for f in d.filters]

    def sorts(self) -> list[tuple[str, str, SortSql, str | None]]:
        """Every ``orderBy`` field: (its name, the GraphQL field it reveals, its SQL, description)."""
        found: list[tuple[str, str, SortSql, str | None]] = []
        for name, (_, d) in self.fields.items():
            if d.sort:
                found.append((d.sort[0], name, d.sort[1], d.sort_description))
            found += [(sort_name, name, sql, description) for sort_name, sql, description in d.more_sorts]
        return found


@dataclass(frozen=True)
class Declarer:
    """Declarations over one table: a column's filter and sort key default to that column."""

    table: Any  # the SQLAlchemy table the source rows come from

    def filter(self, name: str, comparison: type, description: str, sql: FilterSql | None = None) -> Filter:
        """A ``where`` field ``name``; by default its comparisons apply to the column of that name."""
        return Filter(name, comparison, description, sql or FilterSql(column=self.table.c[name]))

    def sort(self, name: str) -> tuple[str, SortSql]:
        """An ``orderBy`` field ``name`` over the column of that name."""
        return (name, SortSql(self.table.c[name]))

    def column(
        self, column: str, data: str | tuple[str, ...], *, where: tuple[type, str] | None = None, sort: bool = False,
        sort_description: str | None = None,
    ) -> dict[str, Declared]:
        """A field that is ``column``'s value; ``where``: (its comparison input, the filter's description)."""
        filters = [] if where is None else [self.filter(column, where[0], where[1])]
        return declare(
            Column(column), data, filters=filters, sort=self.sort(column) if sort else None,
            sort_description=sort_description,
        )


def size_of(reading: Related, value: int | None) -> int:
    """The number of rows a related list asks for; out of ``bounds`` is bad input at its argument."""
    if reading.argument is None or value is None:
        return reading.default
    low, high = reading.bounds
    if not low <= value <= high:
        raise InvalidInput.one(reading.argument, f"must be between {low} and {high}")
    return value


def related_value(reading: Related, fetched: Any, ctx: Any) -> Any:
    """The field's value from what ``fetch`` gave for its key: the rows (newest first) built as a
    list, or for a ``single`` reading the one row built, or null."""
    if reading.single:
        return None if fetched is None else reading.build(fetched, ctx)
    return [reading.build(row, ctx) for row in fetched or ()]


def lookup_value(reading: Lookup, row: Any) -> Any:
    return None if row is None else reading.build(row)
