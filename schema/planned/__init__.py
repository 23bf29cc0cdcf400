"""The planned read path: validated read operations compiled once, run without per-field resolvers.

graphql-core costs about 9 µs per resolved field; a page of 50 customers resolves ~800. A
planned operation is parsed and validated once per document, compiled to a ``Shape`` once,
bound to a subject's decisions once per (policy version, subject), and then each request is a
few SQL statements and one pass that builds the JSON. What the planner does not cover runs on
the regular resolvers, which give identical answers (the test suite runs both and compares).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    get_operation_ast,
    parse,
    specified_rules,
)
from graphql.execution.values import get_variable_values
from strawberry.schema.schema import validate_document

from api.authz.policy import Decisions
from api.db.compiled import Reader
from api.services.audit import AuditTrail
from api.services.customer_page import PageSpec
from schema.complexity import MAX_TOKENS
from schema.context import Context
from schema.planned.customers import RESOLVED, ROOTS, page_spec, run_customers
from schema.planned.run import BoundPlan, Fallback, Run, bind
from schema.planned.shape import NotPlannable, Shape, compile_shape

__all__ = ["Fallback", "PlannedResult", "Planner"]
log = logging.getLogger(__name__)
_NOT_PLANNED = object()


@dataclass(frozen=True, slots=True)
class PlannedResult:
    """What a planned request answered, and what it read and was refused (for the audit log)."""

    data: dict[str, Any]
    errors: list[dict[str, Any]]
    audit: AuditTrail


class _Lru(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> Any:
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class Planner:
    """Plans and runs read operations over one schema; caches are per process."""

    def __init__(self, schema: Any, size: int = 512) -> None:
        self.schema = schema
        self._shapes = _Lru(size)
        self._bound = _Lru(size * 4)

    def _shape(self, query: str, operation_name: str | None) -> Shape | None:
        key = (query, operation_name)
        found = self._shapes.get(key, _NOT_PLANNED)
        if found is _NOT_PLANNED:
            found = self._shapes.put(key, self._compile(query, operation_name))
        return found

    def _compile(self, query: str, operation_name: str | None) -> Shape | None:
        try:
            document: DocumentNode = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError:
            return None
        gschema = self.schema._schema
        if validate_document(gschema, document, tuple(specified_rules)):
            return None  # the regular path reports validation errors
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return None
        try:
            return compile_shape(gschema, document, operation, RESOLVED, ROOTS)
        except NotPlannable as why:
            log.debug("not planned: %s", why)
            return None

    def plan(
        self, query: str, operation_name: str | None, decisions: Decisions
    ) -> tuple[BoundPlan, PageSpec] | None:
        """The plan of this document for this subject, or None when the regular path must run it."""
        key = (query, operation_name, decisions.policy.version, decisions.subject)
        found = self._bound.get(key, _NOT_PLANNED)
        if found is _NOT_PLANNED:
            shape = self._shape(query, operation_name)
            found = None
            if shape is not None:
                try:
                    plan = BoundPlan(shape, bind(shape.root, decisions))
                    found = (plan, page_spec(plan))
                except NotPlannable as why:
                    log.debug("not planned for %s: %s", decisions.subject, why)
                    found = None
            self._bound.put(key, found)
        return found

    async def execute(
        self, planned: tuple[BoundPlan, PageSpec], ctx: Context, variables: dict[str, Any] | None,
        session: Reader,
    ) -> PlannedResult:
        """Run a plan; raises ``Fallback`` when this request must go to the regular resolvers."""
        plan, spec = planned
        coerced = get_variable_values(
            self.schema._schema, plan.shape.operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            raise Fallback("variables do not coerce: the regular path reports it")
        run = Run(ctx, coerced)
        await run_customers(run, plan, spec, session)
        data = run.build(plan)
        return PlannedResult(data=data, errors=run.errors, audit=run.audit)
