"""The shape of a read operation: which fields, in which order, read how; compiled once per document.

A shape is independent of who asks. It is a tree of ``FieldShape``: each names its response
key, the schema coordinate, how to read its value from the parent's source (an attribute, or a
``Resolved`` spec for a field with a resolver), and the shapes of its object's fields. Anything
this compiler does not cover raises ``NotPlannable`` and the operation runs on the regular
resolvers instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.language.location import SourceLocation


class NotPlannable(Exception):
    """The operation asks for something the planned path does not cover."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """How the planned path computes a field that has a resolver on the regular path.

    ``value(source, run, shape)`` gives the field's value from its parent's source; ``columns``
    are the customer columns it needs.
    """

    value: Callable[[Any, Any, FieldShape], Any]
    columns: tuple[str, ...] = ()


@dataclass(eq=False, slots=True)
class FieldShape:
    """One selected field: where it goes in the response and how its value is read."""

    key: str
    name: str
    parent: str
    node: FieldNode
    definition: GraphQLField | None  # None for __typename
    nullable: bool
    is_list: bool
    item_nullable: bool
    leaf: Any  # the scalar or enum type that serializes the value; None for objects
    read: Callable[[Any], Any] | None  # plain fields: the attribute of the source
    resolved: Resolved | None
    location: dict[str, int]
    children: list[FieldShape] = field(default_factory=list)
    python_name: str = ""

    @property
    def coordinate(self) -> str:
        return f"{self.parent}.{self.name}"


@dataclass(frozen=True, slots=True)
class Shape:
    """A compiled read operation with one planned root field."""

    root: FieldShape
    operation: OperationDefinitionNode


def _unwrap(gtype: Any) -> tuple[bool, bool, bool, Any]:
    """(nullable, is_list, item_nullable, named type) of a field's type."""
    nullable = not isinstance(gtype, GraphQLNonNull)
    gtype = gtype.of_type if not nullable else gtype
    if isinstance(gtype, GraphQLList):
        inner = gtype.of_type
        item_nullable = not isinstance(inner, GraphQLNonNull)
        inner = inner.of_type if not item_nullable else inner
        if isinstance(inner, GraphQLList):
            raise NotPlannable("nested lists")
        return nullable, True, item_nullable, inner
    return nullable, False, True, gtype


class _Compiler:
    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, resolved: Mapping[str, Resolved]
    ) -> None:
        self.schema = schema
        self.source = document.loc.source if document.loc else None
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.resolved = resolved

    def collect(self, parent: GraphQLObjectType, selection_set: SelectionSetNode) -> list[FieldNode]:
        """The fields selected on ``parent``, fragments expanded, in response order."""
        fields: dict[str, FieldNode] = {}
        self._collect(parent, selection_set, fields, set())
        return list(fields.values())

    def _collect(
        self, parent: GraphQLObjectType, selection_set: SelectionSetNode, into: dict[str, FieldNode],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                raise NotPlannable("directives")
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                if key in into:
                    # Repeated keys merge their selections; only identical leaves are simple.
                    if selection.selection_set is not None or into[key].selection_set is not None:
                        raise NotPlannable("a repeated object field")
                    if selection.name.value != into[key].name.value or selection.arguments:
                        raise NotPlannable("a repeated field with arguments")
                    continue
                into[key] = selection
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and condition.name.value != parent.name:
                    raise NotPlannable("a fragment on another type")
                self._collect(parent, selection.selection_set, into, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or fragment.type_condition.name.value != parent.name:
                    raise NotPlannable("a fragment on another type")
                if name not in visited:
                    visited.add(name)
                    self._collect(parent, fragment.selection_set, into, visited)

    def location(self, node: FieldNode) -> dict[str, int]:
        if self.source is None or node.loc is None:
            raise NotPlannable("no source locations")
        where: SourceLocation = self.source.get_location(node.loc.start)
        return {"line": where.line, "column": where.column}

    def field(self, parent: GraphQLObjectType, node: FieldNode) -> FieldShape:
        name = node.name.value
        key = (node.alias or node.name).value
        if name == "__typename":
            return FieldShape(
                key=key, name=name, parent=parent.name, node=node, definition=None, nullable=False,
                is_list=False, item_nullable=False, leaf=None, read=None, resolved=None,
                location=self.location(node), python_name="__typename",
            )
        if name.startswith("__"):
            raise NotPlannable("introspection")
        definition = parent.fields.get(name)
        if definition is None:
            raise NotPlannable(f"unknown field {parent.name}.{name}")
        strawberry_field = definition.extensions.get("strawberry-definition")
        python_name = strawberry_field.python_name if strawberry_field is not None else name
        coordinate = f"{parent.name}.{name}"
        resolved = self.resolved.get(coordinate)
        has_resolver = strawberry_field is None or strawberry_field.base_resolver is not None
        if has_resolver and resolved is None:
            raise NotPlannable(f"{coordinate} has a resolver the planner does not know")
        if node.arguments and resolved is None:
            raise NotPlannable(f"arguments on {coordinate}")
        nullable, is_list, item_nullable, named = _unwrap(definition.type)
        shape = FieldShape(
            key=key, name=name, parent=parent.name, node=node, definition=definition, nullable=nullable,
            is_list=is_list, item_nullable=item_nullable, leaf=None,
            read=None if resolved is not None else attrgetter(python_name), resolved=resolved,
            location=self.location(node), python_name=python_name,
        )
        if isinstance(named, GraphQLObjectType):
            if node.selection_set is None:
                raise NotPlannable("an object without a selection")
            shape.children = [self.field(named, child) for child in self.collect(named, node.selection_set)]
        elif hasattr(named, "serialize") and not hasattr(named, "fields"):
            shape.leaf = named
        else:
            raise NotPlannable(f"{coordinate} returns an abstract type")
        return shape


def compile_shape(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
    resolved: Mapping[str, Resolved], roots: frozenset[str],
) -> Shape:
    """The shape of ``operation``, whose one root field must be among ``roots``."""
    if operation.operation is not OperationType.QUERY:
        raise NotPlannable("not a query")
    if operation.directives:
        raise NotPlannable("directives")
    compiler = _Compiler(schema, document, resolved)
    query = schema.query_type
    assert query is not None
    fields = compiler.collect(query, operation.selection_set)
    if len(fields) != 1 or fields[0].name.value not in roots:
        raise NotPlannable("the root fields are not one planned root")
    return Shape(root=compiler.field(query, fields[0]), operation=operation)
