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
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy import and_, bindparam, false, func, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from api.errors import InvalidInput
from api.services.pagination import SortKey, datetime_key


@dataclass(frozen=True, slots=True)
class QueryContext:
    """What a filter needs to know besides its own values."""

    stale_cutoff: date


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
    if op == "_contains":
        pattern = _bound(binder, column, f"%{_escape_like(value.lower())}%")
        return func.lower(column).like(pattern, escape="\\")
    if op == "_starts_with":
        pattern = _bound(binder, column, f"{_escape_like(value)}%")
        return column.like(pattern, escape="\\")  # type: ignore[no-any-return]
    comparison = _COMPARISONS.get(op)
    if comparison is None:
        raise InvalidInput.one(field, f"unsupported comparison {op}")
    return comparison(column, _bound(binder, column, value))


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
    """How one ``orderBy`` field sorts: a column whose values are unique with the id after it."""

    column: Any

    def key(self, name: str, descending: bool) -> SortKey:
        """The sort key; a cursor's JSON value is parsed back by the column's Python type."""
        python_type = self.column.type.python_type
        parse: Callable[[Any], Any] = datetime_key if python_type is datetime else python_type
        return SortKey(name, self.column, descending, parse)


def where_condition(
    where: Mapping[str, Any] | None, filters: Mapping[str, FilterSql], ctx: QueryContext, path: str = "where",
    binder: Binder | None = None,
) -> ColumnElement[bool] | None:
    """SQL for a ``where`` tree: ``{field: {op: value}, _and: [...], _or: [...], _not: {...}}``."""
    if not where:
        return None
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
        keys.append(sorts[field].key(field, descending))
    if not keys or keys[-1].name != unique:
        if unique in {key.name for key in keys}:
            raise InvalidInput.one("orderBy", f"{unique}, when given, must come last")
        keys.append(sorts[unique].key(unique, False))
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
