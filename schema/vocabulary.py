"""The schema's vocabulary for the policy: every coordinate, and the data classes its fields declare."""

from __future__ import annotations

import strawberry
from graphql import GraphQLInterfaceType, GraphQLNonNull, GraphQLObjectType, get_named_type

from api.authz.vocabulary import Vocabulary
from schema.data_classes import classes_of


def vocabulary_of(schema: strawberry.Schema) -> Vocabulary:
    """Coordinates of every object and interface type of ``schema`` (introspection types aside)
    and the data classes of each field that has some (``schema.data_classes``)."""
    coordinates: set[str] = set()
    classes: dict[str, tuple[str, ...]] = {}
    non_null: set[str] = set()
    entrances: dict[str, set[str]] = {}
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        type_definition = graphql_type.extensions.get("strawberry-definition")
        origin = getattr(type_definition, "origin", None)
        for field_name, graphql_field in graphql_type.fields.items():
            coordinate = f"{name}.{field_name}"
            coordinates.add(coordinate)
            definition = graphql_field.extensions.get("strawberry-definition")
            found = classes_of(origin, definition.metadata if definition is not None else None)
            if found:
                classes[coordinate] = found
            if isinstance(graphql_field.type, GraphQLNonNull):
                non_null.add(coordinate)
            # ``node(id:)`` is no entrance: it resolves each type under its usual path's rules (schema.nodes).
            if coordinate != "Query.node":
                entrances.setdefault(get_named_type(graphql_field.type).name, set()).add(coordinate)
    return Vocabulary(
        coordinates=frozenset(coordinates), classes=classes, non_null=frozenset(non_null),
        entrances={name: frozenset(found) for name, found in entrances.items()},
    )
