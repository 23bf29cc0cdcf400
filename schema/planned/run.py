"""Running a planned read: the subject's decisions bound to a shape, the rows fetched, the JSON built.

Binding looks up each field's ``Step`` once per (document, policy version, subject). Running
fetches the rows in a constant number of statements (the page, then one per batched field),
and builds the response in one synchronous pass: no resolver, no task, no graphql-core
execution per field. Denied fields are ``null`` with a FORBIDDEN error at their path, masked
fields are masked, and reads and refusals are noted for the audit log, as on the regular path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql.execution.values import VariableValues, get_argument_values

from api.authz.masking import MASKERS
from api.authz.policy import Action, Decisions, Step
from api.services.audit import AuditTrail
from schema.authz import customer_of
from schema.context import Context
from schema.planned.shape import FieldShape, NotPlannable, Shape


class Fallback(Exception):
    """This request, though its shape is planned, is left to the regular resolvers (e.g. bad input)."""


@dataclass(eq=False, slots=True)
class Bound:
    """A field shape with what this subject's decisions say about it."""

    shape: FieldShape
    step: Step | None  # None for __typename
    action: Action
    masker: Callable[[Any], Any] | None
    children: list[Bound] = field(default_factory=list)


def bind(shape: FieldShape, decisions: Decisions) -> Bound:
    """``shape`` with the subject's steps; NotPlannable where the regular path must decide."""
    if shape.definition is None:  # __typename
        return Bound(shape, None, Action.PASS, None)
    step = decisions.step(shape.parent, shape.name)
    action = step.action
    if action is Action.CONSENT:
        raise NotPlannable("consent is checked per customer")
    if action is Action.DENY and not shape.nullable:
        raise NotPlannable("a denied non-null field nulls its parent")
    masker = MASKERS[step.coordinate] if action is Action.MASK else None
    children = [] if action is Action.DENY else [bind(child, decisions) for child in shape.children]
    return Bound(shape, step, action, masker, children)


@dataclass(frozen=True, slots=True)
class BoundPlan:
    """A shape bound to one subject's decisions: what a request of that document runs."""

    shape: Shape
    root: Bound

    def fields_of(self, type_name: str) -> list[Bound]:
        """Every bound field whose parent is ``type_name``, not below a denied field."""
        found: list[Bound] = []
        stack = [self.root]
        while stack:
            bound = stack.pop()
            if bound.shape.parent == type_name:
                found.append(bound)
            stack.extend(bound.children)
        return found


class Run:
    """One request through a bound plan."""

    def __init__(self, ctx: Context, variables: VariableValues) -> None:
        self.ctx = ctx
        self.variables = variables
        self.errors: list[dict[str, Any]] = []
        self.fetched: dict[FieldShape, Any] = {}
        self.root_value: Any = None
        # Its own trail: if the request falls back, nothing noted here is logged twice.
        self.audit = AuditTrail(ctx.audit.principal, ctx.audit.roles, ctx.audit.request_id)
        self._args: dict[FieldShape, dict[str, Any]] = {}

    def args(self, shape: FieldShape) -> dict[str, Any]:
        """The field's arguments (GraphQL names), coerced, defaults applied; once per run."""
        found = self._args.get(shape)
        if found is None:
            assert shape.definition is not None
            found = self._args[shape] = get_argument_values(shape.definition, shape.node, self.variables)
        return found

    def build(self, plan: BoundPlan) -> dict[str, Any]:
        return self._object([plan.root], None, ())

    def _object(self, fields: list[Bound], source: Any, path: tuple[Any, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for bound in fields:
            shape = bound.shape
            action = bound.action
            if shape.definition is None:
                out[shape.key] = shape.parent
                continue
            if action is Action.DENY:
                out[shape.key] = None
                self._deny(bound, source, path)
                continue
            if action is not Action.PASS:  # AUDIT or MASK
                step = bound.step
                assert step is not None
                self.audit.note("read", step.group or "", step.coordinate, customer_of(source, shape.parent))
            read = shape.read
            if read is not None:
                value = read(source)
            else:
                assert shape.resolved is not None
                value = shape.resolved.value(source, self, shape)
            if bound.masker is not None:
                value = bound.masker(value)
            if value is None:
                if not shape.nullable:
                    raise Fallback("null for a non-null field")
                out[shape.key] = None
            elif shape.leaf is not None and not shape.is_list:
                out[shape.key] = shape.leaf.serialize(value)
            else:
                out[shape.key] = self._complete(bound, value, (*path, shape.key))
        return out

    def _complete(self, bound: Bound, value: Any, path: tuple[Any, ...]) -> Any:
        shape = bound.shape
        if not shape.is_list:
            return self._object(bound.children, value, path)
        items: list[Any] = []
        for index, item in enumerate(value):
            if item is None:
                if not shape.item_nullable:
                    raise Fallback("null in a list of non-null items")
                items.append(None)
            elif shape.leaf is not None:
                items.append(shape.leaf.serialize(item))
            else:
                items.append(self._object(bound.children, item, (*path, index)))
        return items

    def _deny(self, bound: Bound, source: Any, path: tuple[Any, ...]) -> None:
        step = bound.step
        assert step is not None
        shape = bound.shape
        coordinate = step.coordinate
        self.audit.note("deny", self.ctx.group_of(coordinate) or coordinate, coordinate, customer_of(source, shape.parent))
        self.errors.append({
            "message": f"Not authorized to read {coordinate}",
            "locations": [shape.location],
            "path": [*path, shape.key],
            "extensions": {"code": "FORBIDDEN"},
        })
