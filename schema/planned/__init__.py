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
from schema.complexity import MAX_TOKENS
from schema.context import Context
from schema.planned.batch import Fetcher
from schema.planned.catalogue import DeclaredCatalogue
from schema.planned.roots import RootPlan, fetch_root, prepare_root
from schema.planned.run import BoundPlan, Fallback, Run, bind
from schema.planned.shape import NotPlannable, Shape, compile_shape, directive_variables

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


@dataclass(frozen=True, slots=True)
class Planned:
    """A document bound to one subject, with what each root field reads."""

    plan: BoundPlan
    roots: tuple[RootPlan, ...]


class Planner:
    """Plans and runs read operations over one schema; caches are per process."""

    def __init__(self, schema: Any, size: int = 512) -> None:
        self.schema = schema
        self.catalogue = DeclaredCatalogue(schema._schema)
        self._documents = _Lru(size)
        self._shapes = _Lru(size)
        self._bound = _Lru(size * 4)

    def _document(self, query: str, operation_name: str | None) -> tuple[DocumentNode, Any, tuple[str, ...]] | None:
        """The parsed, validated document, its operation and its directives' variables; None when
        the regular path must report on it."""
        key = (query, operation_name)
        found = self._documents.get(key, _NOT_PLANNED)
        if found is _NOT_PLANNED:
            found = self._documents.put(key, self._parse(query, operation_name))
        return found  # type: ignore[no-any-return]

    def _parse(self, query: str, operation_name: str | None) -> tuple[DocumentNode, Any, tuple[str, ...]] | None:
        try:
            document: DocumentNode = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError:
            return None
        if validate_document(self.schema._schema, document, tuple(specified_rules)):
            return None  # the regular path reports validation errors
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return None
        return document, operation, directive_variables(document)

    def _shape(self, query: str, operation_name: str | None, switches: tuple[Any, ...]) -> Shape | None:
        key = (query, operation_name, switches)
        found = self._shapes.get(key, _NOT_PLANNED)
        if found is _NOT_PLANNED:
            parsed = self._document(query, operation_name)
            found = None
            if parsed is not None:
                document, operation, names = parsed
                try:
                    found = compile_shape(
                        self.schema._schema, document, operation, self.catalogue,
                        dict(zip(names, switches, strict=True)),
                    )
                except NotPlannable as why:
                    log.debug("not planned: %s", why)
            self._shapes.put(key, found)
        return found  # type: ignore[no-any-return]

    def plan(
        self, query: str, operation_name: str | None, decisions: Decisions, variables: dict[str, Any] | None = None
    ) -> Planned | None:
        """The plan of this document for this subject, or None when the regular path must run it."""
        parsed = self._document(query, operation_name)
        if parsed is None:
            return None
        switches = tuple((variables or {}).get(name) for name in parsed[2])
        key = (query, operation_name, switches, decisions.policy.version, decisions.subject)
        found = self._bound.get(key, _NOT_PLANNED)
        if found is _NOT_PLANNED:
            shape = self._shape(query, operation_name, switches)
            found = None
            if shape is not None:
                try:
                    roots = [bind(root, decisions) for root in shape.roots]
                    found = Planned(BoundPlan(shape, roots), tuple(prepare_root(root) for root in roots))
                except NotPlannable as why:
                    log.debug("not planned for %s: %s", decisions.subject, why)
                    found = None
            self._bound.put(key, found)
        return found  # type: ignore[no-any-return]

    async def execute(
        self, planned: Planned, ctx: Context, variables: dict[str, Any] | None, session: Reader,
    ) -> PlannedResult:
        """Run a plan; raises ``Fallback`` when this request must go to the regular resolvers."""
        plan = planned.plan
        coerced = get_variable_values(
            self.schema._schema, plan.shape.operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            raise Fallback("variables do not coerce: the regular path reports it", "variables")
        run = Run(ctx, coerced, self.schema)
        fetcher = Fetcher(run, session)
        try:
            for root, root_plan in zip(plan.roots, planned.roots, strict=True):
                if root.deny:
                    continue
                await fetch_root(run, root, root_plan, session)
                await fetcher.below(root, [run.fetched[root.shape]] if run.fetched[root.shape] is not None else [])
        finally:
            await fetcher.close()
        data = run.build(plan)
        return PlannedResult(data=data, errors=run.errors, audit=run.audit)
