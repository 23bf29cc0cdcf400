"""Lists below a node as Relay connections: a customer's history and grade history, page by page.

A nested connection is a declared reading like any other list (``schema.reads``): a ``Paged`` is
a ``Related`` whose ``fetch`` reads, for a whole level of parents in one statement, the page its
``first/after`` or ``last/before`` arguments ask for of each parent's rows (keyset, in
``keys`` order, newest first); ``build`` makes each row's object, as for any list (``node(id:)``
builds a row the same way), and ``connection`` the parent's connection of those objects.
Both read paths call it: the regular resolver through its DataLoader (``paged``), the planned
path through its batch fetch. A connection's ``totalCount`` is a ``Count`` declared on the
connection type, fetched only when it is selected.

On PostgreSQL the planned path has the database build the whole connection as JSON inside the
customer's statement (``schema.planned.sql_json``) when the reading has a ``PagedSql``: which
table's rows, keyed by which column, narrowed how, and, for rows whose values are shown by the
caller's own rules (a history entry's old and new values), how each value is redacted in SQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from api.errors import InvalidInput
from api.services.pagination import PageRequest, ParentPage, SortKey
from schema.context import Info
from schema.reads import FetchRows, Related

# (session, parent keys, the page asked for) -> {key: ParentPage}, every key present.
FetchPages = Callable[[Any, list[Any], PageRequest], Awaitable[Mapping[Any, ParentPage[Any]]]]


def page_fetch(fetch: FetchPages) -> FetchRows:
    """``fetch`` as a ``Related`` holds it: its third argument is the page asked for (a
    ``PageRequest``, hashable, so the DataLoader batches the parents asking for the same page)."""
    return cast(FetchRows, fetch)


@dataclass(frozen=True, slots=True)
class RedactedBy:
    """Values of a nested list's rows shown as the caller reads another field (a history entry's
    old and new values, ``redacted_change``), described for the SQL that redacts them
    (``schema.planned.sql_json``).

    A row's coordinate comes from its ``group`` and ``field`` columns: a group of
    ``whole_groups`` names one coordinate for all its fields, a pair of ``special`` its own, and
    otherwise it is ``<group_types[group]>.<field>``. ``known()`` is every coordinate a row can
    name (a row naming another has no decision in SQL), and ``enum_names(coordinate)`` maps an
    enum's stored values to their schema names, as the field itself shows them.
    """

    columns: tuple[str, ...]
    group: str
    field: str
    whole_groups: Mapping[str, str]
    special: Mapping[tuple[str, str], str]
    group_types: Mapping[str, str]
    known: Callable[[], frozenset[str]]
    enum_names: Callable[[str], Mapping[str, str] | None]


@dataclass(frozen=True, slots=True)
class PagedSql:
    """How PostgreSQL reads a nested connection (``schema.planned.sql_json``).

    The rows of ``table`` whose ``parent`` column equals the parent's key, narrowed by
    ``condition(table columns)`` when given; ``redact()`` (called when planned, so it may name what
    its module defines later) when some values of the rows are shown by the subject's own rules for
    another field. The connection's ``totalCount`` counts the same rows.
    """

    table: Any
    parent: str
    condition: Callable[[Any], Any] | None = None
    redact: Callable[[], RedactedBy] | None = None


@dataclass(frozen=True, slots=True)
class Paged(Related):
    """A parent's list as a connection: ``fetch(session, keys, request)`` gives each key's
    ``ParentPage`` (every key has one), ``build(row, context)`` each row's object and
    ``connection(parent_page, objects)`` the parent's connection.

    ``default`` is the page size when neither ``first`` nor ``last`` is given, ``bounds`` the
    range of either; ``keys`` the order the cursors encode (its last key unique); ``sql`` how
    PostgreSQL builds the connection.
    """

    keys: tuple[SortKey, ...] = ()
    connection: Callable[[ParentPage[Any], list[Any]], Any] | None = None
    single: bool = True  # one connection per parent
    sql: PagedSql | None = None  # on PostgreSQL, the connection as the database builds it

    async def pages(self, session: Any, keys: list[Any], request: PageRequest) -> Mapping[Any, ParentPage[Any]]:
        """Each key's page, in one statement."""
        return await cast(FetchPages, self.fetch)(session, keys, request)

    def value(self, fetched: ParentPage[Any], ctx: Any) -> Any:
        """The parent's connection of the page ``fetch`` gave it."""
        assert self.connection is not None, "a Paged reading says how its connection is made"
        return self.connection(fetched, [self.build(row, ctx) for row in fetched.page.items])

    def request(self, arguments: Mapping[str, Any]) -> PageRequest:
        """The page the field's arguments (GraphQL names) ask for; bad input at the argument."""
        first, last = arguments.get("first"), arguments.get("last")
        low, high = self.bounds
        for name, value in (("first", first), ("last", last)):
            if value is not None and not low <= value <= high:
                raise InvalidInput.one(name, f"must be between {low} and {high}")
        if first is None and last is None:
            first = self.default
        return PageRequest.of(
            self.keys, first=first, after=arguments.get("after"), last=last, before=arguments.get("before")
        )


def page_arguments(first: int | None, after: str | None, last: int | None, before: str | None) -> dict[str, Any]:
    """A connection field's page arguments by their GraphQL names, as the planned path reads them."""
    return {"first": first, "after": after, "last": last, "before": before}


async def paged(info: Info, reading: Paged, source: Any, arguments: Mapping[str, Any]) -> Any:
    """The connection ``reading`` gives ``source`` for the field's ``arguments`` (GraphQL names)."""
    picked = cast(Paged, reading.pick(arguments))
    request = picked.request(arguments)
    page = await info.context.loaders.of(picked).load((getattr(source, picked.key), request))
    return picked.value(page, info.context)
