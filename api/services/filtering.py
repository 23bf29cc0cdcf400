"""Hasura-style filters and sort keys in SQL, for any table, from what each field declares.

A field that can be filtered or sorted declares it once (the schema layer's field declarations);
what reaches this module is the SQL side of that declaration: a ``FilterSql`` per ``where``
field and a ``SortSql`` per ``orderBy`` field. Both read paths (the regular resolvers and the
planned reads) and both databases build their conditions here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy import Integer, Select, String, and_, bindparam, case, false, func, literal, not_, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from api.db.compiled import Reader
from api.errors import InvalidInput
from api.services.pagination import Page, SortKey, datetime_key, keyset_page


@dataclass(frozen=True, slots=True)
class QueryContext:
    """What a filter needs to know besides its own values."""

    stale_cutoff: date
    today: date  # the lender's business date (a due date is overdue before it)
    max_filter_terms: int  # comparisons one `where` may hold (settings: CREDITCARE_MAX_FILTER_TERMS)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """``text`` with the letters A–Z lowered and nothing else changed, as ``AsciiLower`` does in SQL."""
    return text.translate(_ASCII_LOWER)


class AsciiLower(FunctionElement[str]):
    """``lower()`` of the letters A–Z only, the same on every database.

    SQLite's ``lower()`` folds ASCII only; PostgreSQL's folds by the column's locale (``Ä`` →
    ``ä`` under a UTF-8 ctype, nothing under ``C``). Under the ``C`` collation PostgreSQL folds
    ASCII only too, so a case-insensitive match means one thing on both databases.
    """

    type = String()
    name = "ascii_lower"
    inherit_cache = True


@compiles(AsciiLower)
def _ascii_lower(element: AsciiLower, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(AsciiLower, "postgresql")
def _ascii_lower_postgresql(element: AsciiLower, compiler: Any, **kw: Any) -> str:
    return f'lower(({compiler.process(element.clauses, **kw)}) COLLATE "C")'


class Position(FunctionElement[int]):
    """Where the second text first occurs in the first (1-based; 0 when it does not): literal
    characters, compared exactly (SQLite ``instr``, PostgreSQL ``strpos``)."""

    type = Integer()
    name = "text_position"
    inherit_cache = True


@compiles(Position)
def _position(element: Position, compiler: Any, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(Position, "postgresql")
def _position_postgresql(element: Position, compiler: Any, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


class Binder:
    """Turns a filter's values into named bind parameters and records the filter's shape.

    Two ``where`` trees of the same shape (fields, operators, list lengths, but not values) make
    the same SQL text, so a statement compiled once serves every request of that shape with
    its own ``values``. Without a binder, values are inlined as SQLAlchemy literals.
    """

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.shape: list[Any] = []

    def bind(self, value: Any, type_: Any) -> Any:
        name = f"where_{len(self.values)}"
        self.values[name] = value
        return bindparam(name, value, type_=type_)


def _bound(binder: Binder | None, column: Any, value: Any) -> Any:
    return value if binder is None else binder.bind(value, column.type)


def compare(column: Any, op: str, value: Any, field: str, binder: Binder | None = None) -> ColumnElement[bool]:
    """``column <op> value`` for one Hasura operator (``_eq``, ``_in``, ``_contains`` …)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        raise InvalidInput.one(field, "a time must carry its zone, e.g. 2026-01-01T00:00:00+08:00")
    if binder is not None:
        binder.shape.append((op, len(value) if isinstance(value, list) else value if op == "_is_null" else None))
    if op in ("_in", "_nin"):
        if not value:  # one of nothing: never; none of nothing: always (no empty IN in the SQL)
            return false() if op == "_in" else true()
        items = [_bound(binder, column, item) for item in value]
        return column.in_(items) if op == "_in" else column.not_in(items)  # type: ignore[no-any-return]
    if op == "_is_null":
        return column.is_(None) if value else column.is_not(None)  # type: ignore[no-any-return]
    if op in _TEXT_MATCHES:
        return _TEXT_MATCHES[op](column, value, binder)
    comparison = _COMPARISONS.get(op)
    if comparison is None:
        raise InvalidInput.one(field, f"unsupported comparison {op}")
    return comparison(column, _bound(binder, column, value))


def _text(binder: Binder | None, value: str) -> Any:
    return literal(value, String()) if binder is None else binder.bind(value, String())


def _starts_with(column: Any, value: str, binder: Binder | None) -> ColumnElement[bool]:
    # Case-sensitive on both databases: the exact prefix decides. The LIKE on an escaped prefix
    # keeps PostgreSQL's prefix index scan; on SQLite (whose LIKE ignores the case of A–Z) it
    # only narrows the rows the exact comparison then checks.
    exact = func.substr(column, 1, func.length(_text(binder, value))) == _text(binder, value)
    return and_(column.like(_text(binder, f"{_escape_like(value)}%"), escape="\\"), exact)


def _istarts_with(column: Any, value: str, binder: Binder | None) -> ColumnElement[bool]:
    return AsciiLower(column).like(_text(binder, f"{_escape_like(ascii_lower(value))}%"), escape="\\")


def _contains(column: Any, value: str, binder: Binder | None) -> ColumnElement[bool]:
    return Position(column, _text(binder, value)) > 0


def _icontains(column: Any, value: str, binder: Binder | None) -> ColumnElement[bool]:
    return Position(AsciiLower(column), _text(binder, ascii_lower(value))) > 0


# Text matches: the value is literal text (``%``, ``_``, ``*``, ``\\`` are no wildcards); the
# ``_i…`` forms ignore the case of the letters A–Z only, the same on SQLite and PostgreSQL.
_TEXT_MATCHES: dict[str, Callable[[Any, str, Binder | None], ColumnElement[bool]]] = {
    "_starts_with": _starts_with, "_istarts_with": _istarts_with, "_contains": _contains, "_icontains": _icontains,
}


_COMPARISONS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "_eq": lambda column, value: column == value,
    "_neq": lambda column, value: column != value,
    "_gt": lambda column, value: column > value,
    "_gte": lambda column, value: column >= value,
    "_lt": lambda column, value: column < value,
    "_lte": lambda column, value: column <= value,
}


@dataclass(frozen=True, slots=True)
class FilterSql:
    """How one ``where`` field becomes SQL.

    The comparisons apply to ``column``; ``via`` wraps their conjunction when the column lives
    in another table (e.g. ``customer.relationship_manager_id IN (SELECT id FROM staff WHERE …)``);
    ``custom`` replaces them for a computed field (given the operator, the value and the context;
    its SQL may inline them, so they are part of the filter's shape).
    """

    column: Any = None
    via: Callable[[ColumnElement[bool]], ColumnElement[bool]] | None = None
    custom: Callable[[str, Any, QueryContext], ColumnElement[bool]] | None = None

    def condition(
        self, spec: Mapping[str, Any], ctx: QueryContext, path: str, binder: Binder | None = None
    ) -> ColumnElement[bool] | None:
        """The conjunction of ``spec``'s comparisons (``{"_eq": value, …}``), or None for none."""
        given = [(op, value) for op, value in spec.items() if value is not None]
        if not given:
            return None
        if self.custom is not None:
            if binder is not None:
                binder.shape.append(("custom", tuple(given), ctx))
            return and_(*(self.custom(op, value, ctx) for op, value in given))
        parts = [compare(self.column, op, value, f"{path}.{op}", binder) for op, value in given]
        joined = and_(*parts)
        return joined if self.via is None else self.via(joined)


@dataclass(frozen=True, slots=True)
class SortSql:
    """How one ``orderBy`` field sorts: a column whose values are unique with the id after it.

    A nullable column sorts its nulls last, ascending or descending, on both databases (SQLite
    puts them first ascending, PostgreSQL last): its order is two keys, "missing?" then the value
    (a neutral one where missing, so that no comparison of a cursor ever meets a NULL).
    """

    column: Any

    def keys(self, name: str, descending: bool) -> list[SortKey]:
        """The sort keys; a cursor's JSON value is parsed back by the column's Python type."""
        python_type = self.column.type.python_type
        parse: Callable[[Any], Any] = _PARSE.get(python_type, python_type)
        if not getattr(self.column, "nullable", False):
            return [SortKey(name, self.column, descending, parse)]
        missing = case((self.column.is_(None), 1), else_=0)
        neutral = func.coalesce(self.column, literal(_NEUTRAL[python_type], self.column.type))
        return [SortKey(f"{name}_missing", missing, False, int), SortKey(name, neutral, descending, parse)]


def _decimal_key(value: Any) -> Decimal:
    parsed = Decimal(value)
    if not parsed.is_finite():
        raise ValueError("a cursor's number is finite")
    return parsed


# How a cursor's JSON value is read back, by the column's Python type (others: the type itself).
_PARSE: dict[type, Callable[[Any], Any]] = {datetime: datetime_key, date: date.fromisoformat, Decimal: _decimal_key}

# What a missing value of a nullable sort key sorts as, behind its "missing" key: any value of the type.
_NEUTRAL: dict[type, Any] = {str: "", Decimal: Decimal(0), int: 0, date: date(2000, 1, 1)}


def _terms(where: Any) -> int:
    """Comparisons in a ``where`` tree (each operator of each field; ``_and``/``_or``/``_not`` nest)."""
    if isinstance(where, Mapping):
        return sum(_terms(value) if key.startswith("_") else max(1, len(value or {}))
                   for key, value in where.items() if value is not None)
    if isinstance(where, list | tuple):
        return sum(_terms(item) for item in where)
    return 1


def where_condition(
    where: Mapping[str, Any] | None, filters: Mapping[str, FilterSql], ctx: QueryContext, path: str = "where",
    binder: Binder | None = None,
) -> ColumnElement[bool] | None:
    """SQL for a ``where`` tree: ``{field: {op: value}, _and: [...], _or: [...], _not: {...}}``."""
    if not where:
        return None
    if path == "where" and (terms := _terms(where)) > ctx.max_filter_terms:
        # Databases parse a long OR as a deep expression tree (SQLite refuses past 1,000 levels).
        raise InvalidInput.one(path, f"the filter has {terms} comparisons, more than the {ctx.max_filter_terms} "
                                     "allowed (limit CREDITCARE_MAX_FILTER_TERMS): compare with _in for a list of "
                                     "values")
    parts: list[ColumnElement[bool]] = []
    for field, spec in where.items():
        here = f"{path}.{to_camel(field) if not field.startswith('_') else field}"
        if spec is None:
            continue
        if binder is not None:
            binder.shape.append(field)
        if field in ("_and", "_or"):
            inner = [
                c for i, w in enumerate(spec)
                if (c := where_condition(w, filters, ctx, f"{here}.{i}", binder)) is not None
            ]
            if binder is not None:
                binder.shape.append(("end", len(inner)))
            if inner:
                parts.append(and_(*inner) if field == "_and" else or_(*inner))
        elif field == "_not":
            inner_condition = where_condition(spec, filters, ctx, here, binder)
            if binder is not None:
                binder.shape.append("end")
            if inner_condition is not None:
                parts.append(not_(inner_condition))
        elif field in filters:
            condition = filters[field].condition(spec, ctx, here, binder)
            if condition is not None:
                parts.append(condition)
        else:
            raise InvalidInput.one(here, "cannot filter on this field")
    return and_(*parts) if parts else None


def sort_keys(order_by: Sequence[tuple[str, bool]], sorts: Mapping[str, SortSql], unique: str = "id") -> list[SortKey]:
    """Sort keys for ``[(field, descending)]``; ``unique`` always ends the order so it is total."""
    keys: list[SortKey] = []
    for index, (field, descending) in enumerate(order_by):
        if field not in sorts:
            raise InvalidInput.one(f"orderBy.{index}", f"cannot sort by {field}")
        if field in {key.name for key in keys}:
            raise InvalidInput.one(f"orderBy.{index}", f"{field} appears twice")
        keys.extend(sorts[field].keys(field, descending))
    if not keys or keys[-1].name != unique:
        if unique in {key.name for key in keys}:
            raise InvalidInput.one("orderBy", f"{unique}, when given, must come last")
        keys.extend(sorts[unique].keys(unique, False))
    return keys


@dataclass(frozen=True, slots=True, eq=False)
class Searchable:
    """Every ``where`` and ``orderBy`` field of one list, by name, as its fields declare them.

    Made once per list: it is hashed by identity (compiled statements are cached by it)."""

    filters: Mapping[str, FilterSql]
    sorts: Mapping[str, SortSql]

    def condition(
        self, where: Mapping[str, Any] | None, ctx: QueryContext, binder: Binder | None = None
    ) -> ColumnElement[bool] | None:
        return where_condition(where, self.filters, ctx, binder=binder)

    def keys(self, order_by: Sequence[tuple[str, bool]]) -> list[SortKey]:
        return sort_keys(order_by, self.sorts)

    def _matching(self, scoped: Select[Any], where: Mapping[str, Any] | None, ctx: QueryContext) -> Select[Any]:
        condition = self.condition(where, ctx)
        return scoped if condition is None else scoped.where(condition)

    async def page(
        self, session: Reader, scoped: Select[Any], ctx: QueryContext, *, where: Mapping[str, Any] | None,
        order_by: Sequence[tuple[str, bool]], first: int | None, after: str | None, last: int | None,
        before: str | None, width: int = 1,
    ) -> Page[Any]:
        """One keyset page of ``scoped``'s rows (what it selects first, already limited to the
        caller's scope) matching ``where``, in ``order_by`` order, the unique key last.

        ``width``: how many leading columns make an item; one is the item itself (an ORM object),
        more give the whole row (a Core row, its sort keys trailing)."""
        keys = self.keys(order_by)
        # The sort keys are selected beside each row: a key may be an expression (a nullable
        # column's "missing?" and its neutral value), and the cursor holds what the database compared.
        stmt = self._matching(scoped, where, ctx).add_columns(*(key.column for key in keys))
        page = await keyset_page(
            session, stmt, keys, first=first, after=after, last=last, before=before,
            key_values=lambda row: row[width:], entities=False,
        )
        return Page(
            items=[row[0] for row in page.items] if width == 1 else page.items, cursors=page.cursors,
            has_next_page=page.has_next_page, has_previous_page=page.has_previous_page,
        )

    async def count(
        self, session: Reader, scoped_count: Select[Any], ctx: QueryContext, where: Mapping[str, Any] | None
    ) -> int:
        """How many rows ``scoped_count`` (a ``count()`` limited to the caller's scope) finds matching ``where``."""
        return int(await session.scalar(self._matching(scoped_count, where, ctx)) or 0)
