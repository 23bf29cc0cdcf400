"""The shape of a read operation: which fields, in which order, read how; compiled once per document.

A shape is independent of who asks. It is a tree of ``FieldShape``: each names its response
key, the schema coordinate, how to read its value from the parent's source (an attribute, or a
``Resolved`` spec from the field's declaration, see ``schema.reads``), and the shapes of its
object's fields. Anything this compiler does not cover raises ``NotPlannable`` and the
operation runs on the regular resolvers instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    value_from_ast,
    visit,
)
from graphql import Visitor as GraphQLVisitor
from graphql.language.location import SourceLocation

from schema.reads import Declared


class NotPlannable(Exception):
    """The operation asks for something the planned path does not cover."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """How the planned path computes a field that has a resolver on the regular path.

    ``value(source, run, shape)`` gives the field's value from its parent's source. ``batched``:
    the values are fetched for all sources of a level before the response is built.
    """

    value: Callable[[Any, Any, FieldShape], Any]
    batched: bool = False


class Catalogue(Protocol):
    """What the compiler needs to know of the planned fields (``schema.planned.catalogue``)."""

    roots: frozenset[str]

    def reading(self, parent: GraphQLObjectType, name: str, definition: GraphQLField) -> tuple[
        Callable[[Any], Any] | None, Resolved | None, Declared | None
    ]:
        """(attribute read, resolved spec, declaration) of a field; NotPlannable when it has none."""
        ...

    def concrete(self, abstract: GraphQLInterfaceType) -> GraphQLObjectType:
        """The one object type an abstract field is planned as; NotPlannable when there is none."""
        ...


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
    locations: list[dict[str, int]]  # of every node that selects it (merged fields have several)
    children: list[FieldShape] = field(default_factory=list)
    python_name: str = ""
    declared: Declared | None = None

    @property
    def coordinate(self) -> str:
        return f"{self.parent}.{self.name}"


@dataclass(frozen=True, slots=True)
class Shape:
    """A compiled read operation: its planned root fields, in response order."""

    roots: list[FieldShape]
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
        self, schema: GraphQLSchema, document: DocumentNode, catalogue: Catalogue, switches: Mapping[str, Any],
        operation: OperationDefinitionNode,
    ) -> None:
        self.schema = schema
        self.switches = switches
        self.defaults = {
            d.variable.name.value: d.default_value for d in operation.variable_definitions or ()
        }
        self.source = document.loc.source if document.loc else None
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.catalogue = catalogue

    def collect(self, parent: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]) -> list[list[FieldNode]]:
        """The fields selected on ``parent``, fragments expanded, in response order: for each
        response key, every node that selects it (validation has made sure they merge)."""
        fields: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._collect(parent, selection_set, fields, set())
        return list(fields.values())

    def _collect(
        self, parent: GraphQLObjectType, selection_set: SelectionSetNode, into: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives and not self.included(selection.directives):
                continue
            if isinstance(selection, FieldNode):
                into.setdefault((selection.alias or selection.name).value, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and not _is_a(parent, condition.name.value):
                    raise NotPlannable("a fragment on another type")
                self._collect(parent, selection.selection_set, into, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or not _is_a(parent, fragment.type_condition.name.value):
                    raise NotPlannable("a fragment on another type")
                if name not in visited:
                    visited.add(name)
                    self._collect(parent, fragment.selection_set, into, visited)

    def included(self, directives: Sequence[DirectiveNode]) -> bool:
        """``@include``/``@skip`` with the request's values (``switches``); others are not planned."""
        for directive in directives:
            name = directive.name.value
            arguments = directive.arguments or ()
            if name not in ("include", "skip") or len(arguments) != 1:
                raise NotPlannable(f"directive @{name}")
            value_node = arguments[0].value
            if isinstance(value_node, VariableNode):
                variable = value_node.name.value
                value = self.switches.get(variable)
                if value is None and self.defaults.get(variable) is not None:
                    value = value_from_ast(self.defaults[variable], GraphQLBoolean)
            else:
                value = value_from_ast(value_node, GraphQLBoolean)
            if not isinstance(value, bool):
                raise NotPlannable("a directive without a boolean value: the regular path reports it")
            if value is (name == "skip"):
                return False
        return True

    def location(self, node: FieldNode) -> dict[str, int]:
        if self.source is None or node.loc is None:
            raise NotPlannable("no source locations")
        where: SourceLocation = self.source.get_location(node.loc.start)
        return {"line": where.line, "column": where.column}

    def field(self, parent: GraphQLObjectType, nodes: list[FieldNode]) -> FieldShape:
        node = nodes[0]
        name = node.name.value
        key = (node.alias or node.name).value
        if name == "__typename":
            return FieldShape(
                key=key, name=name, parent=parent.name, node=node, definition=None, nullable=False,
                is_list=False, item_nullable=False, leaf=None, read=None, resolved=None,
                locations=[self.location(n) for n in nodes], python_name="__typename",
            )
        if name.startswith("__"):
            raise NotPlannable("introspection")
        definition = parent.fields.get(name)
        if definition is None:
            raise NotPlannable(f"unknown field {parent.name}.{name}")
        strawberry_field = definition.extensions.get("strawberry-definition")
        python_name = strawberry_field.python_name if strawberry_field is not None else name
        read, resolved, declared = self.catalogue.reading(parent, name, definition)
        if node.arguments and resolved is None and declared is None:
            raise NotPlannable(f"arguments on {parent.name}.{name}")
        nullable, is_list, item_nullable, named = _unwrap(definition.type)
        shape = FieldShape(
            key=key, name=name, parent=parent.name, node=node, definition=definition, nullable=nullable,
            is_list=is_list, item_nullable=item_nullable, leaf=None, read=read, resolved=resolved,
            locations=[self.location(n) for n in nodes], python_name=python_name, declared=declared,
        )
        if isinstance(named, GraphQLInterfaceType):
            named = self.catalogue.concrete(named)
        if isinstance(named, GraphQLObjectType):
            selections = [n.selection_set for n in nodes if n.selection_set is not None]
            if not selections:
                raise NotPlannable("an object without a selection")
            shape.children = [self.field(named, child) for child in self.collect(named, selections)]
        elif hasattr(named, "serialize") and not hasattr(named, "fields"):
            shape.leaf = named
        else:
            raise NotPlannable(f"{parent.name}.{name} returns an abstract type")
        return shape


def _is_a(parent: GraphQLObjectType, type_name: str) -> bool:
    """Whether a fragment on ``type_name`` applies to ``parent`` (itself or an interface of it)."""
    return type_name == parent.name or any(interface.name == type_name for interface in parent.interfaces)


def directive_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables ``@include``/``@skip`` read in ``document``: a shape depends on their values."""
    found: dict[str, None] = {}

    class Visitor(GraphQLVisitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            for argument in node.arguments or ():
                if isinstance(argument.value, VariableNode):
                    found[argument.value.name.value] = None

    visit(document, Visitor())
    return tuple(found)


def compile_shape(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, catalogue: Catalogue,
    switches: Mapping[str, Any],
) -> Shape:
    """The shape of ``operation`` given the values of its directives' variables (``switches``);
    its root fields must all be among the catalogue's roots."""
    if operation.operation is not OperationType.QUERY:
        raise NotPlannable("not a query")
    if operation.directives:
        raise NotPlannable("directives on the operation")
    compiler = _Compiler(schema, document, catalogue, switches, operation)
    query = schema.query_type
    assert query is not None
    fields = compiler.collect(query, [operation.selection_set])
    if not fields or any(f[0].name.value not in catalogue.roots for f in fields):
        raise NotPlannable("a root field that is not planned")
    return Shape(roots=[compiler.field(query, f) for f in fields], operation=operation)
