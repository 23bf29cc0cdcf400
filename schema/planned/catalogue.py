"""What the planned path knows of each field: read off the field's own declaration (``schema.reads``).

A field without a resolver reads the attribute of its source. A field with a resolver is planned
only when it carries a declaration: a ``Column`` reads the source row's column, a ``Projection``
computes from the row, a ``Computed`` from the row and the request, and ``Related``, ``Lookup``
and ``Count`` values are fetched for a whole level of the response before it is built (one
statement each, ``schema.planned.batch``). The id of a Relay node is its global id. The root
fields and the connection's ``totalCount`` are the root readers' (``schema.planned.roots``).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from graphql import GraphQLField, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema

from schema.ids import global_id
from schema.planned.roots import CUSTOMER_ROW_ROOTS
from schema.planned.shape import FieldShape, NotPlannable, Resolved
from schema.reads import METADATA_KEY, Column, Computed, Count, Declared, Lookup, Projection, Related


def _fetched(default: Any) -> Resolved:
    """A value fetched for every source of its level beforehand, by the source's key."""

    def value(source: Any, run: Any, shape: FieldShape) -> Any:
        found, key = run.fetched[shape]
        return found.get(key(source), default)

    return Resolved(value=value, batched=True)


def _computed(reading: Computed) -> Resolved:
    return Resolved(value=lambda source, run, shape: reading.value(source, run.view))


def _root(source: Any, run: Any, shape: FieldShape) -> Any:
    return run.fetched[shape]


def _node_id(type_name: str, column: str = "id") -> Callable[[Any], Any]:
    """A Relay node's global id from its key ``column`` (``id``; a branch's ``code``)."""

    def read(source: Any) -> Any:
        return global_id(type_name, getattr(source, column))

    read.relay_type = type_name  # type: ignore[attr-defined]  # the SQL form builds the same id
    read.relay_column = column  # type: ignore[attr-defined]
    return read


class DeclaredCatalogue:
    """The planned fields of one schema: the roots below, and every declared or plain field."""

    roots = frozenset({"customers", "customer", "node", *CUSTOMER_ROW_ROOTS})
    _ROOT_OWNED = frozenset({
        "Query.customers", "Query.customer", "Query.node", "CustomerConnection.totalCount",
        *(f"Query.{name}" for name in CUSTOMER_ROW_ROOTS),
        *(f"{listing.type_name}Connection.totalCount" for listing in CUSTOMER_ROW_ROOTS.values()),
    })

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema

    def reading(
        self, parent: GraphQLObjectType, name: str, definition: GraphQLField
    ) -> tuple[Callable[[Any], Any] | None, Resolved | None, Declared | None]:
        coordinate = f"{parent.name}.{name}"
        if coordinate in self._ROOT_OWNED:
            return None, Resolved(value=_root), None
        if name == "id" and any(interface.name == "Node" for interface in parent.interfaces):
            origin = getattr(parent.extensions.get("strawberry-definition"), "origin", None)
            return _node_id(parent.name, getattr(origin, "node_key_column", "id")), None, None
        strawberry_field = definition.extensions.get("strawberry-definition")
        declared: Declared | None = None
        if strawberry_field is not None:
            declared = (strawberry_field.metadata or {}).get(METADATA_KEY)
        if declared is None:
            if strawberry_field is None or strawberry_field.base_resolver is not None:
                raise NotPlannable(f"{coordinate} has a resolver and no declaration")
            return attrgetter(strawberry_field.python_name), None, None
        reading = declared.reading
        if isinstance(reading, Column):
            return attrgetter(reading.column), None, declared
        if isinstance(reading, Projection):
            return reading.value, None, declared
        if isinstance(reading, Computed):
            return None, _computed(reading), declared
        if isinstance(reading, Related):
            return None, _fetched(None if reading.single else []), declared
        if isinstance(reading, Lookup):
            return None, _fetched(None), declared
        if isinstance(reading, Count):
            return None, _fetched(0), declared
        raise NotPlannable(f"{coordinate}: unknown reading {reading!r}")

    def concrete(self, abstract: GraphQLInterfaceType) -> GraphQLObjectType:
        if abstract.name != "Node":
            raise NotPlannable(f"the abstract type {abstract.name}")
        customer = self.schema.get_type("Customer")
        assert isinstance(customer, GraphQLObjectType)
        return customer
