"""Deny-by-default authorization of every field, by schema coordinate, from the Casbin policy.

Each field resolves only if the policy lets the principal read it (or, for a mutation, write
it). A denied field is ``null`` with a FORBIDDEN error at its path; the rest of the response
stands. Decisions come from a per-subject cache, so the cost per field is a dictionary lookup.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from strawberry.extensions import SchemaExtension

from api.authz.masking import MASKERS
from api.authz.policy import Action, Step
from api.errors import Forbidden
from schema.context import Context

# What a consent must name for a data class to be disclosed. An individual's identity document
# and phone need a consent that names them (personal information law), not one for basic data.
CONSENT_GROUPS = {
    "group:basic": "basic", "group:identity": "identity", "group:financial": "financial",
    "group:operating": "operating", "group:credit": "credit",
}


def customer_of(root: Any, parent: str) -> int | None:
    """The customer a resolved object belongs to, when it carries one."""
    if parent == "Customer":
        return getattr(root, "id", None)
    return getattr(root, "customer_id", None)


def forbidden(ctx: Context, coordinate: str, customer_id: int | None, verb: str = "read") -> Forbidden:
    """The refusal of ``coordinate`` (its reason included), noted in the audit trail."""
    ctx.audit.note("deny", ctx.group_of(coordinate) or coordinate, coordinate, customer_id)
    step = ctx.decisions.step(*coordinate.split(".", 1))
    return Forbidden(step.denial(verb))


def _then(result: Any, apply: Callable[[Any], Any]) -> Any:
    if inspect.isawaitable(result):

        async def later() -> Any:
            return apply(await result)

        return later()
    return apply(result)


class Authorization(SchemaExtension):
    """Checks every field against the principal's decisions (introspection excepted)."""

    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        # This runs for every field of every response: the common path is two dictionary
        # lookups in the subject's cached plan and a comparison.
        ctx: Context = info.context
        by_field = ctx.decisions.steps.get(info.parent_type.name)
        step = by_field.get(info.field_name) if by_field is not None else None
        if step is None:
            step = ctx.decisions.step(info.parent_type.name, info.field_name)
        action = step.action
        if action is Action.PASS:
            return _next(root, info, *args, **kwargs)
        parent = info.parent_type.name
        if action is Action.AUDIT:
            assert step.group is not None  # audited: the field is in an audited group
            ctx.audit.note("read", step.group, step.coordinate, customer_of(root, parent))
            return _next(root, info, *args, **kwargs)
        if action is Action.MASK:
            assert step.group is not None  # masking is granted through the field's group
            ctx.audit.note("read", step.group, step.coordinate, customer_of(root, parent))
            return _then(_next(root, info, *args, **kwargs), MASKERS[step.coordinate])
        if action is Action.CONSENT:
            return self._with_consent(ctx, step, _next, root, info, args, kwargs)
        if action is Action.TEAM:
            return self._on_team(ctx, step, _next, root, info, args, kwargs)
        raise forbidden(ctx, step.coordinate, customer_of(root, parent), "run" if parent == "Mutation" else "read")

    async def _with_consent(
        self, ctx: Context, step: Step, _next: Callable[..., Any], root: Any, info: Any,
        args: tuple[Any, ...], kwargs: dict[str, Any],
    ) -> Any:
        customer_id = customer_of(root, info.parent_type.name)
        # A value of several classes needs a consent covering every one of them.
        needed = {CONSENT_GROUPS.get(name) for name in step.classes}
        granted = await ctx.loaders.consents.load(customer_id) if customer_id is not None else set()
        if not needed or None in needed or not needed <= granted:
            raise forbidden(ctx, step.coordinate, customer_id)
        ctx.audit.note("disclose", step.group or step.coordinate, step.coordinate, customer_id)
        result = _next(root, info, *args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    async def _on_team(
        self, ctx: Context, step: Step, _next: Callable[..., Any], root: Any, info: Any,
        args: tuple[Any, ...], kwargs: dict[str, Any],
    ) -> Any:
        # A complaint's own fields, or those of what hangs below it (an investigation, a plan…).
        parent = info.parent_type.name
        complaint_id = root.id if parent == "Complaint" else getattr(root, "complaint_id", None)
        if complaint_id is None or not await ctx.loaders.complaint_teams.load(complaint_id):
            raise forbidden(ctx, step.coordinate, customer_of(root, parent))
        if step.audited:
            ctx.audit.note("read", step.group or step.coordinate, step.coordinate, customer_of(root, parent))
        result = _next(root, info, *args, **kwargs)
        return await result if inspect.isawaitable(result) else result
