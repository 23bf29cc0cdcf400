"""The schema's vocabulary for the policy: every coordinate, and the data classes its fields declare."""

from __future__ import annotations

import strawberry
from graphql import GraphQLInterfaceType, GraphQLObjectType

from api.authz.vocabulary import Vocabulary
from schema.reads import METADATA_KEY, Declared


def vocabulary_of(schema: strawberry.Schema) -> Vocabulary:
    """Coordinates of every object and interface type of ``schema`` (introspection types aside)
    and the data classes of each declared field."""
    coordinates: set[str] = set()
    classes: dict[str, frozenset[str]] = {}
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        for field_name, graphql_field in graphql_type.fields.items():
            coordinate = f"{name}.{field_name}"
            coordinates.add(coordinate)
            definition = graphql_field.extensions.get("strawberry-definition")
            declared = (definition.metadata or {}).get(METADATA_KEY) if definition is not None else None
            if isinstance(declared, Declared):
                classes[coordinate] = frozenset({declared.data_class})
    return Vocabulary(coordinates=frozenset(coordinates), classes=classes)
