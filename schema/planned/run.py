"""Running a planned read: the subject's decisions bound to a shape, the rows fetched, the JSON built.

Binding looks up each field's ``Step`` once per (document, policy version, subject). Running
fetches the rows in a constant number of statements (the page, then one per batched field),
and builds the response in one synchronous pass: no resolver, no task, no graphql-core
execution per field. Denied fields are ``null`` with a FORBIDDEN error at their path, masked
fields are masked, and reads and refusals are noted for the audit log, as on the regular path.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLEnumType
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.types.arguments import convert_arguments

from api.authz.masking import MASKERS, Mask
from api.authz.policy import Action, Decisions, Step
from api.services.audit import AuditTrail
from api.services.customer_page import NodeRow
from schema.authz import customer_of
from schema.context import Context
from schema.nested_pages import Paged
from schema.planned.shape import FieldShape, NotPlannable, Shape


class Fallback(Exception):
    """This request, though its shape is planned, is left to the regular resolvers (e.g. bad input).

    ``category`` names why, for the read-path metric: ``bad_input``, ``refused``, ``not_found``,
    ``variables`` or ``null_in_non_null``.
    """

    def __init__(self, message: str, category: str = "other") -> None:
        super().__init__(message)
        self.category = category

    @classmethod
    def of(cls, error: Exception) -> Fallback:
        """The fallback for a domain error the regular path will report in its own words."""
        category = {"FORBIDDEN": "refused", "NOT_FOUND": "not_found"}.get(getattr(error, "code", ""), "bad_input")
        return cls(str(error), category)


@dataclass(eq=False, slots=True)
class Bound:
    """A field shape with what this subject's decisions say about it.

    ``deny`` and ``note`` are the step's action as two booleans: the build loop tests them for
    every field of every row, and an enum member lookup costs a descriptor call each time.
    """

    shape: FieldShape
    step: Step | None  # None for __typename
    action: Action
    masker: Mask | None
    children: list[Bound] = field(default_factory=list)
    deny: bool = False
    note: bool = False  # audited (read noted per customer) or masked
    serialize: Callable[[Any], Any] | None = None
    # The children as the build loop reads them: (key, plain leaf?, read, serialize, bound).
    layout: list[tuple[str, bool, Any, Any, Bound]] = field(default_factory=list)
    # A customer node the database builds as JSON on PostgreSQL (``sql_json.NodeSql``): what
    # Python still does per node. None: built here.
    json: Any = None
    # This field or one below it is fetched for a whole level before the response is built.
    needs_fetch: bool = False
    # The subject's decisions, for a nested connection whose rows are shown by their own rules
    # (a history entry's values): the database redacts them as ``redacted_change`` does.
    decisions: Decisions | None = None

    @property
    def plain_leaf(self) -> bool:
        """Read an attribute, serialize it, note nothing: the case the build loop inlines."""
        shape = self.shape
        return (
            self.action is Action.PASS and shape.definition is not None and shape.read is not None
            and self.serialize is not None and not shape.is_list
        )


def fast_serializer(leaf: Any) -> Callable[[Any], Any]:
    """``leaf.serialize``, with the common cases short-cut (strawberry's enums scan their values)."""
    if isinstance(leaf, GraphQLEnumType):
        names: dict[Any, Any] = {}

        def enum(value: Any) -> Any:
            found = names.get(value)
            if found is None:
                found = names[value] = leaf.serialize(value)
            return found

        return enum
    plain = {"String": str, "ID": str, "Int": int, "Boolean": bool}.get(leaf.name)
    serialize: Callable[[Any], Any] = leaf.serialize
    if plain is None:
        return serialize

    def scalar(value: Any) -> Any:
        return value if type(value) is plain else serialize(value)

    return scalar


def bind(shape: FieldShape, decisions: Decisions) -> Bound:
    """``shape`` with the subject's steps; NotPlannable where the regular path must decide."""
    serialize = fast_serializer(shape.leaf) if shape.leaf is not None else None
    if shape.definition is None:  # __typename
        return Bound(shape, None, Action.PASS, None, serialize=serialize)
    step = decisions.step(shape.parent, shape.name)
    action = step.action
    if action is Action.CONSENT:
        raise NotPlannable("consent is checked per customer")
    if action is Action.TEAM:
        raise NotPlannable("a team's reading is checked per complaint")
    if action is Action.DENY and not shape.nullable:
        raise NotPlannable("a denied non-null field nulls its parent")
    masker = MASKERS[step.coordinate] if action is Action.MASK else None
    children = [] if action is Action.DENY else [bind(child, decisions) for child in shape.children]
    bound = Bound(
        shape, step, action, masker, children, deny=action is Action.DENY,
        note=action in (Action.AUDIT, Action.MASK), serialize=serialize,
    )
    bound.layout = [(c.shape.key, c.plain_leaf, c.shape.read, c.serialize, c) for c in children]
    if shape.declared is not None and isinstance(shape.declared.reading, Paged):
        bound.decisions = decisions
    batched = shape.resolved is not None and shape.resolved.batched
    bound.needs_fetch = not bound.deny and (batched or any(c.needs_fetch for c in children))
    return bound


@dataclass(frozen=True, slots=True)
class BoundPlan:
    """A shape bound to one subject's decisions: what a request of that document runs."""

    shape: Shape
    roots: list[Bound]

    @staticmethod
    def walk(bound: Bound) -> list[Bound]:
        """``bound`` and every bound field below it (none below a denied field)."""
        found: list[Bound] = []
        stack = [bound]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(current.children)
        return found


class Run:
    """One request through a bound plan."""

    def __init__(self, ctx: Context, variables: VariableValues, schema: Any = None) -> None:
        self.ctx = ctx
        self.schema = schema  # the strawberry schema: arguments as resolvers receive them
        self.variables = variables
        self.errors: list[dict[str, Any]] = []
        self.fetched: dict[FieldShape, Any] = {}
        # Its own trail: if the request falls back, nothing noted here is logged twice.
        self.audit = AuditTrail(ctx.audit.principal, ctx.audit.roles, ctx.audit.request_id, ctx.audit.client_request_id)
        # The context as declared readings see it (a history entry notes its reads): this run's trail.
        self.view = copy.copy(ctx)
        self.view.audit = self.audit
        self._args: dict[FieldShape, dict[str, Any]] = {}

    def args(self, shape: FieldShape) -> dict[str, Any]:
        """The field's arguments (GraphQL names), coerced, defaults applied; once per run."""
        found = self._args.get(shape)
        if found is None:
            assert shape.definition is not None
            found = self._args[shape] = get_argument_values(shape.definition, shape.node, self.variables)
        return found

    def python_args(self, shape: FieldShape) -> dict[str, Any]:
        """The field's arguments as its resolver receives them: Python names, inputs as their types."""
        assert shape.definition is not None and self.schema is not None
        strawberry_field = shape.definition.extensions["strawberry-definition"]
        return convert_arguments(
            self.args(shape), strawberry_field.arguments,
            scalar_registry=self.schema.schema_converter.scalar_registry, config=self.schema.config,
        )

    def build(self, plan: BoundPlan) -> dict[str, Any]:
        return {root.shape.key: self._field(root, None, ()) for root in plan.roots}

    def _object(self, bound: Bound, source: Any, path: tuple[Any, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, plain_leaf, read, serialize, child in bound.layout:
            if plain_leaf:
                value = read(source)
                if value is not None:
                    out[key] = serialize(value)
                    continue
            out[key] = self._field(child, source, path)
        return out

    def _field(self, bound: Bound, source: Any, path: tuple[Any, ...]) -> Any:
        """The value of one field of ``source`` (whose path is ``path``), noted and checked."""
        shape = bound.shape
        if shape.definition is None:
            return shape.parent
        if bound.deny:
            self._deny(bound, source, path)
            return None
        if bound.note:
            step = bound.step
            assert step is not None
            self.audit.note("read", step.group or "", step.coordinate, customer_of(source, shape.parent))
        read = shape.read
        value = read(source) if read is not None else shape.resolved.value(source, self, shape)  # type: ignore[union-attr]
        if bound.masker is not None:
            value = bound.masker(value)
        if value is None:
            if not shape.nullable:
                raise Fallback("null for a non-null field", "null_in_non_null")
            return None
        if shape.is_list:
            return self._list(bound, value, (*path, shape.key))
        if bound.serialize is not None:
            return bound.serialize(value)
        if bound.json is not None and type(value) is NodeRow:
            return self._embedded(bound.json, value, (*path, shape.key))
        return self._object(bound, value, (*path, shape.key))

    def _embedded(self, node: Any, row: NodeRow, path: tuple[Any, ...]) -> orjson.Fragment:
        """A node the database built (``schema.planned.sql_json.NodeSql``): its JSON as it came,
        with the errors and audit notes its denied and audited fields make for this customer."""
        for denied in node.denied:
            self._deny(denied, row, path)
        note = self.audit.note
        for audited in node.noted:
            note("read", audited.step.group or "", audited.step.coordinate, row.id)
        for (_, fields), value in zip(node.flags, row.flags, strict=True):
            if type(fields) is tuple:  # audited fields of a list's items: read if it has rows
                if value:
                    for audited in fields:
                        note("read", audited.step.group or "", audited.step.coordinate, row.id)
            else:  # the coordinates whose values a history page showed: {coordinate: group}
                for coordinate in value or ():
                    note("read", fields[coordinate], coordinate, row.id)
        return orjson.Fragment(row.node_json)

    def _list(self, bound: Bound, value: Any, path: tuple[Any, ...]) -> list[Any]:
        shape = bound.shape
        serialize = bound.serialize
        items: list[Any] = []
        for index, item in enumerate(value):
            if item is None:
                if not shape.item_nullable:
                    raise Fallback("null in a list of non-null items", "null_in_non_null")
                items.append(None)
            elif serialize is not None:
                items.append(serialize(item))
            else:
                items.append(self._object(bound, item, (*path, index)))
        return items

    def _deny(self, bound: Bound, source: Any, path: tuple[Any, ...]) -> None:
        step = bound.step
        assert step is not None
        shape = bound.shape
        coordinate = step.coordinate
        group = self.ctx.group_of(coordinate) or coordinate
        self.audit.note("deny", group, coordinate, customer_of(source, shape.parent))
        self.errors.append({
            "message": step.denial(),
            "locations": shape.locations,
            "path": [*path, shape.key],
            "extensions": {"code": "FORBIDDEN"},
        })
