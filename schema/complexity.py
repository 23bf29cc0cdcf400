"""What a document asks for, measured before validation or execution, against the limits.

graphql-core's validation (and strawberry's depth and alias limiters) walk fragments without
memoisation: a small document whose fragments each spread the next twice costs seconds. This
walk expands each fragment once (memoised), so it is linear in the document, and measures
what the limits bound: fields selected, aliases, depth, directives on one location, and a
**cost** that multiplies each list by how many items it may hold (a connection's ``first`` or
``last``, else the largest page; a plain list counts as ``list_size`` items). It also picks the
operation to run, refusing a missing or ambiguous ``operationName`` as graphql-over-HTTP asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    parse,
)

# The bound on any later parse of a document the endpoint admitted (it parsed it under the
# configured, smaller token limit first).
MAX_TOKENS = 20_000
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
_CONNECTION = "Connection"
_SIZES = ("first", "last")


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """The bounds a document must stay within (each a setting, ``api.settings``)."""

    tokens: int
    depth: int
    aliases: int
    directives: int
    selections: int
    cost: int
    page_size: int  # a connection without first/last counts as a full page
    list_size: int  # a plain list field counts as this many items


@dataclass(frozen=True, slots=True)
class Measure:
    """What the largest operation of a document asks for, fragments expanded."""

    selections: int
    aliases: int
    depth: int
    directives: int  # the most directives on one field, fragment or operation
    cost: int
    nul: bool  # a string literal holds U+0000, which no database stores


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a document is not run: a code for ``extensions.code`` and a message naming the limit."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Admitted:
    """A document within the limits, and the operation that will run."""

    document: DocumentNode
    operation: OperationDefinitionNode
    measure: Measure


@lru_cache(maxsize=512)
def parsed(query: str, max_tokens: int) -> DocumentNode | GraphQLError:
    """The document (cached by its text), or the syntax error that stops it being read."""
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLError as error:
        return error


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | str:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        if len(operations) == 1:
            return operations[0]
        if not operations:
            return "The document holds no operation."
        return "The document holds several operations: name the one to run in 'operationName'."
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    return f"The document has no operation named {name!r}."


@dataclass(slots=True)
class _Sum:
    selections: int = 0
    aliases: int = 0
    depth: int = 0
    directives: int = 0
    cost: int = 0
    nul: bool = False

    def add(self, other: _Sum, times: int = 1) -> None:
        self.selections += other.selections
        self.aliases += other.aliases
        self.depth = max(self.depth, other.depth)
        self.directives = max(self.directives, other.directives)
        self.cost += times * other.cost
        self.nul = self.nul or other.nul

    def worst(self, other: _Sum) -> None:
        """Keep the larger of each measure: operations run one at a time, so they do not add up."""
        self.selections = max(self.selections, other.selections)
        self.aliases = max(self.aliases, other.aliases)
        self.depth = max(self.depth, other.depth)
        self.directives = max(self.directives, other.directives)
        self.cost = max(self.cost, other.cost)
        self.nul = self.nul or other.nul


def _holds_nul(value: ValueNode) -> bool:
    if isinstance(value, StringValueNode):
        return "\x00" in value.value
    if isinstance(value, ListValueNode):
        return any(_holds_nul(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_holds_nul(f.value) for f in value.fields)
    return False


class _Walk:
    """One measurement: fragments are measured once each (memoised), whatever spreads them."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any],
                 limits: DocumentLimits) -> None:
        self.schema = schema
        self.variables = variables
        self.limits = limits
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.memo: dict[str, _Sum] = {}

    def _count(self, node: ValueNode | None) -> int | None:
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, VariableNode):
            value = self.variables.get(node.name.value)
            return value if isinstance(value, int) and not isinstance(value, bool) else None
        return None

    def _items(self, field: FieldNode, parent: GraphQLNamedType | None, definition: GraphQLField | None) -> int:
        """How many items the field may return: the factor its selection's cost is multiplied by."""
        returns = definition.type if definition is not None else None
        named = get_named_type(returns) if returns is not None else None
        if parent is not None and parent.name.startswith("__"):
            return 1  # introspection: bounded by the schema's size, served from memory
        asked = [self._count(a.value) for a in field.arguments or () if a.name.value in _SIZES]
        size = next((n for n in asked if n is not None), None)
        if size is None and definition is not None:  # an argument left out counts at its default
            size = next((a.default_value for name, a in definition.args.items()
                         if name in _SIZES and isinstance(a.default_value, int)), None)
        page = self.limits.page_size
        if named is not None and named.name.endswith(_CONNECTION):
            return max(0, min(size if size is not None else page, page))
        unwrapped = returns.of_type if isinstance(returns, GraphQLNonNull) else returns
        if isinstance(unwrapped, GraphQLList):
            if parent is not None and parent.name.endswith(_CONNECTION):
                return 1  # edges/nodes of a connection: its size was counted on the connection
            return max(0, min(size, page)) if size is not None else self.limits.list_size
        return 1

    def of_fragment(self, name: str, visiting: frozenset[str]) -> _Sum | None:
        if name in visiting or name not in self.fragments:
            return None  # a cycle or an unknown fragment: validation reports it
        if name not in self.memo:
            fragment = self.fragments[name]
            condition = self.schema.get_type(fragment.type_condition.name.value)
            inner = self.of_set(fragment.selection_set, condition, visiting | {name})
            inner.directives = max(inner.directives, len(fragment.directives or ()))
            self.memo[name] = inner
        return self.memo[name]

    def of_set(self, selections: SelectionSetNode | None, parent: Any, visiting: frozenset[str]) -> _Sum:
        total = _Sum()
        for selection in selections.selections if selections else ():
            total.directives = max(total.directives, len(selection.directives or ()))
            if isinstance(selection, FieldNode):
                total.add(self.of_field(selection, parent, visiting))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner_type = self.schema.get_type(condition.name.value) if condition else parent
                total.add(self.of_set(selection.selection_set, inner_type, visiting))
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.of_fragment(selection.name.value, visiting)
                if inner is not None:
                    total.add(inner)
        return total

    def of_field(self, field: FieldNode, parent: Any, visiting: frozenset[str]) -> _Sum:
        fields = getattr(parent, "fields", None)
        definition = fields.get(field.name.value) if fields is not None else None
        returns = definition.type if definition is not None else None
        inner = self.of_set(field.selection_set, get_named_type(returns) if returns is not None else None, visiting)
        measured = _Sum(
            selections=1 + inner.selections,
            aliases=(1 if field.alias is not None else 0) + inner.aliases,
            depth=1 + inner.depth,
            directives=inner.directives,
            cost=1 + self._items(field, parent, definition) * inner.cost,
            nul=inner.nul or any(_holds_nul(a.value) for a in field.arguments or ()),
        )
        return measured


def _measure(schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any],
             limits: DocumentLimits) -> Measure:
    walk = _Walk(schema, document, variables, limits)
    worst = _Sum()
    roots = {"query": schema.query_type, "mutation": schema.mutation_type, "subscription": schema.subscription_type}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            measured = walk.of_set(definition.selection_set, roots[definition.operation.value], frozenset())
            measured.directives = max(measured.directives, len(definition.directives or ()))
        elif isinstance(definition, FragmentDefinitionNode):
            # Unused fragments are validated too: they count, once each.
            measured = walk.of_fragment(definition.name.value, frozenset()) or _Sum()
        else:
            continue
        worst.worst(measured)
    return Measure(worst.selections, worst.aliases, worst.depth, worst.directives, worst.cost, worst.nul)


def _measured(schema: GraphQLSchema, query: str, sizes: tuple[tuple[str, int], ...], limits: DocumentLimits) -> Measure:
    document = parsed(query, limits.tokens)
    assert isinstance(document, DocumentNode)
    return _measure(schema, document, dict(sizes), limits)


def _refusal(measure: Measure, limits: DocumentLimits) -> Refusal | None:
    if measure.nul:
        return Refusal("BAD_USER_INPUT", "A string in the document holds the NUL character (\\u0000), "
                                         "which no field accepts.")
    for value, limit, setting, what in (
        (measure.depth, limits.depth, "MAX_DEPTH", "nests fields {} levels deep"),
        (measure.aliases, limits.aliases, "MAX_ALIASES", "uses {} aliases"),
        (measure.directives, limits.directives, "MAX_DIRECTIVES", "puts {} directives on one field or fragment"),
        (measure.selections, limits.selections, "MAX_SELECTIONS", "selects {} fields (fragments expanded)"),
        (measure.cost, limits.cost, "MAX_COST",
         "costs {} points (a field inside a list counts once per item the list may hold)"),
    ):
        if value > limit:
            return Refusal(QUERY_TOO_COMPLEX, f"Query too complex: the document {what.format(value)}, more than "
                                              f"the {limit} allowed (limit CREDITCARE_{setting}).")
    return None


def admit(schema: GraphQLSchema, query: str, operation_name: str | None, variables: Mapping[str, Any] | None,
          limits: DocumentLimits) -> Admitted | Refusal | GraphQLError:
    """The document and its operation if they are within ``limits``, why not (a ``Refusal``), or
    the syntax error that stops it being read (reported by the regular path, as graphql-core words it)."""
    # Only integer variables (page sizes) change a document's cost: the answer is kept per them.
    sizes = tuple(sorted(
        (k, v) for k, v in (variables or {}).items() if type(v) is int
    ))
    return _admitted(schema, query, operation_name, sizes, limits)


@lru_cache(maxsize=1024)
def _admitted(schema: GraphQLSchema, query: str, operation_name: str | None, sizes: tuple[tuple[str, int], ...],
              limits: DocumentLimits) -> Admitted | Refusal | GraphQLError:
    document = parsed(query, limits.tokens)
    if isinstance(document, GraphQLError):
        if "tokens" in document.message:
            return Refusal(QUERY_TOO_COMPLEX, f"Query too complex: the document has more than {limits.tokens} "
                                              "tokens (limit CREDITCARE_MAX_TOKENS).")
        return document
    operation = _operation(document, operation_name)
    if isinstance(operation, str):
        return Refusal("BAD_USER_INPUT", operation)
    measure = _measured(schema, query, sizes, limits)
    refused = _refusal(measure, limits)
    return refused if refused is not None else Admitted(document, operation, measure)
