"""A page of customers as the planned read path asks for it: a few columns, or each row's JSON.

The page selects exactly the columns it shows (and its sort keys), or on PostgreSQL, when the
schema layer gives one, an expression that builds each customer's JSON in the statement. A page
without a filter is a statement compiled once per shape (``CompiledQuery``: on asyncpg a
prepared statement run on the driver directly); a filtered page goes through SQLAlchemy's own
statement cache. Both use the one row-scope builder and the one keyset builder.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, select

from api.db.compiled import CompiledQuery, Reader, dialect_of
from api.db.models import Customer
from api.services.filtering import Binder, QueryContext, Searchable
from api.services.pagination import Page, PageRequest, SortKey, keyset_statement
from api.services.scope import RowScope

NODE_JSON = "node_json"


@dataclass(frozen=True, slots=True, eq=False)
class PageSpec:
    """What a page reads of each customer: ``columns``, or (``node``) one JSON text per row.

    ``node`` is a SQL expression over the customer table (PostgreSQL only); the items are then
    ``NodeRow(id, node_json, flags)``, ``flags`` the values of the ``flags`` expressions. A spec
    is made once per plan, so it keys the compiled statements.
    """

    columns: tuple[str, ...]
    node: Any = None
    flags: tuple[Any, ...] = ()


NodeRow = namedtuple("NodeRow", ["id", "node_json", "flags"])


def _selected(spec: PageSpec, json: bool, keys: Sequence[SortKey]) -> list[Any]:
    customer = Customer.__table__.c
    names = ("id",) if json else spec.columns
    columns: list[Any] = [customer[name] for name in names]
    if json:
        columns.append(spec.node.label(NODE_JSON))
        columns += [flag.label(f"flag_{i}") for i, flag in enumerate(spec.flags)]
    columns += [key.column.label(f"key_{key.name}") for key in keys]
    return columns


_PAGES: OrderedDict[Any, CompiledQuery] = OrderedDict()
_PAGES_KEPT = 1024


def _compiled(
    spec: PageSpec, json: bool, scope_shape: tuple[bool, bool, bool, bool], order: tuple[tuple[str, bool], ...],
    forward: bool, cursor: bool, fields: Searchable, where: Any, where_shape: tuple[Any, ...],
) -> CompiledQuery:
    """A page's statement with every value a bind parameter, compiled once per shape: the spec,
    the scope's parts, the order, the direction, whether there is a cursor, and the filter's
    shape (``where`` is that filter's SQL, with its values as parameters)."""
    key = (spec, json, scope_shape, order, forward, cursor, fields, where_shape)
    found = _PAGES.get(key)
    if found is not None:
        _PAGES.move_to_end(key)
        return found
    keys = fields.keys(order)
    stmt = select(*_selected(spec, json, keys))
    for condition in (RowScope.of_shape(scope_shape).condition(), where):
        if condition is not None:
            stmt = stmt.where(condition)
    values = [bindparam(f"cursor_{i}", type_=key.column.type) for i, key in enumerate(keys)] if cursor else None
    found = _PAGES[key] = CompiledQuery(
        keyset_statement(stmt, keys, forward=forward, cursor=values, size=bindparam("size", type_=Integer))
    )
    if len(_PAGES) > _PAGES_KEPT:
        _PAGES.popitem(last=False)
    return found


@lru_cache(maxsize=256)
def _row_class(columns: tuple[str, ...]) -> Any:
    """Rows with attribute access by column name, as the ORM's rows give."""
    return namedtuple("CustomerPageRow", columns)


async def customer_page(
    session: Reader, spec: PageSpec, *, where: Mapping[str, Any] | None, order_by: Sequence[tuple[str, bool]],
    first: int | None, after: str | None, last: int | None, before: str | None,
    fields: Searchable, ctx: QueryContext, scope: RowScope, params: Mapping[str, Any] | None = None,
) -> Page[Any]:
    """One page of the customers in ``scope`` matching ``where`` in ``order_by`` order, each a row
    of ``spec``'s columns or (on PostgreSQL, given ``spec.node``) a ``NodeRow``. ``params``: the
    values of the node expression's own bind parameters."""
    keys = fields.keys(order_by)
    request = PageRequest.of(keys, first=first, after=after, last=last, before=before)
    binder = Binder()
    condition = fields.condition(where, ctx, binder)
    json = spec.node is not None and dialect_of(session).name == "postgresql"
    compiled = _compiled(
        spec, json, scope.shape, tuple(order_by), request.forward, request.cursor is not None, fields, condition,
        tuple(binder.shape),
    )
    values: dict[str, Any] = {"size": request.size + 1, **scope.values(), **binder.values, **(params or {})}
    for i, value in enumerate(request.cursor or ()):
        values[f"cursor_{i}"] = value
    rows = list(await compiled.rows(session, values))
    width = 2 + len(spec.flags) if json else len(spec.columns)
    make = _node_row if json else _row_class(spec.columns)._make
    page = request.page(rows, lambda row: row[width:])
    return Page(
        items=[make(row[:width]) for row in page.items], cursors=page.cursors,
        has_next_page=page.has_next_page, has_previous_page=page.has_previous_page,
    )


def _node_row(row: Sequence[Any]) -> NodeRow:
    return NodeRow(row[0], row[1], tuple(row[2:]))


@lru_cache(maxsize=512)
def _compiled_node(spec: PageSpec, scope_shape: tuple[bool, bool, bool, bool]) -> CompiledQuery:
    """One customer's node by id within a scope of ``scope_shape``, compiled once."""
    customer = Customer.__table__.c
    stmt = select(*_selected(spec, True, ())).where(customer.id == bindparam("customer_id", type_=Integer))
    condition = RowScope.of_shape(scope_shape).condition()
    return CompiledQuery(stmt if condition is None else stmt.where(condition))


async def customer_node(
    session: Reader, spec: PageSpec, customer_id: int, scope: RowScope, params: Mapping[str, Any] | None = None
) -> NodeRow | Any | None:
    """The customer ``customer_id`` within ``scope`` as ``spec`` reads it (a ``NodeRow`` on
    PostgreSQL given ``spec.node``, else a row of its columns); None when out of reach."""
    if spec.node is None or dialect_of(session).name != "postgresql":
        return (await customer_rows(session, [customer_id], spec.columns, scope)).get(customer_id)
    values = {"customer_id": customer_id, **scope.values(), **(params or {})}
    rows = await _compiled_node(spec, scope.shape).rows(session, values)
    return _node_row(rows[0]) if rows else None


async def customer_rows(
    session: Reader, ids: Sequence[int], columns: Sequence[str], scope: RowScope
) -> dict[int, Any]:
    """The customers of ``ids`` within ``scope`` (others are absent), as rows of ``columns``."""
    names = tuple(dict.fromkeys(("id", *columns)))
    customer = Customer.__table__.c
    stmt = select(*(customer[name] for name in names)).where(customer.id.in_(list(ids)))
    scoped = scope.condition()
    if scoped is not None:
        stmt = stmt.where(scoped)
    make = _row_class(names)._make
    return {row[0]: make(row) for row in (await session.execute(stmt)).all()}
