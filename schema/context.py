"""The per-request context: who asks, database sessions, settings and DataLoaders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from api.authz.policy import Decisions
from api.clock import business_date
from api.authz.store import PolicyHolder
from api.principal import Principal
from api.services import access, grading_reads, servicing_reads
from api.services import information_reads as reads
from api.services import organisation
from api.services.customer_query import QueryContext, stale_cutoff
from api.services.audit import AuditTrail
from api.services.grading import GradeChange, Regrader, automatic_regrader
from api.services.history import history_for
from api.services.scope import RowScope
from api.settings import Settings
from plugins.manager import PluginHost


def _loader(
    sessions: async_sessionmaker[AsyncSession],
    fetch: Callable[[AsyncSession, list[Any]], Awaitable[dict[Any, Any]]],
    missing: Any = None,
) -> DataLoader[Any, Any]:
    """A DataLoader whose every batch runs in a session of its own.

    Sibling fields resolve concurrently; one AsyncSession must never serve two tasks at once.
    """

    async def load(keys: Sequence[Any]) -> list[Any]:
        async with sessions() as session:
            found = await fetch(session, list(keys))
        return [found.get(key, missing() if callable(missing) else missing) for key in keys]

    return DataLoader(load_fn=load)


def _per_limit(
    fetch: Callable[[AsyncSession, list[int], int], Awaitable[dict[int, Any]]],
) -> Callable[[AsyncSession, list[tuple[int, int]]], Awaitable[dict[tuple[int, int], Any]]]:
    """Batch keys ``(customer_id, limit)``: one statement per distinct limit."""

    async def run(session: AsyncSession, keys: list[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        result: dict[tuple[int, int], Any] = {}
        for limit in {limit for _, limit in keys}:
            ids = [cid for cid, lim in keys if lim == limit]
            found = await fetch(session, ids, limit)
            result.update({(cid, limit): found.get(cid, []) for cid in ids})
        return result

    return run


class Loaders:
    """One set of DataLoaders per request, so nothing is cached across principals."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], principal: Principal, now: datetime) -> None:
        self.consents = _loader(
            sessions, lambda s, ids: access.consented_groups(s, principal.sub, ids, now), set
        )
        self.customer_consents = _loader(sessions, access.consents_of, list)
        self.assessments = _loader(sessions, _per_limit(grading_reads.assessments), list)
        self.overrides = _loader(sessions, grading_reads.overrides_by_assessment, list)
        self.branch = _loader(sessions, organisation.branches_by_code)
        self.staff = _loader(sessions, organisation.staff_by_id)
        self.basic = _loader(sessions, reads.basic_information)
        self.operating = _loader(sessions, reads.operating_information)
        self.credit = _loader(sessions, reads.credit_information)
        self.service_records = _loader(sessions, _per_limit(servicing_reads.latest_service_records), list)
        self.open_complaints = _loader(sessions, servicing_reads.open_complaint_counts, 0)
        self.investments = _loader(sessions, reads.major_investments, list)
        self.events = _loader(sessions, reads.credit_events, list)
        self.guarantees = _loader(sessions, reads.guarantees, list)
        self.statements = _loader(
            sessions, _per_limit(lambda s, ids, limit: reads.financial_statements(s, ids, last=limit)), list
        )
        self.history = _loader(
            sessions, _per_limit(lambda s, ids, limit: history_for(s, ids, major_only=False, limit=limit)), list
        )
        self.major_history = _loader(
            sessions, _per_limit(lambda s, ids, limit: history_for(s, ids, major_only=True, limit=limit)), list
        )


@dataclass
class Context:
    """What every resolver may use; built once per request by the HTTP layer."""

    principal: Principal
    sessions: async_sessionmaker[AsyncSession]
    readers: async_sessionmaker[AsyncSession]  # autocommit: reads only
    settings: Settings
    request_id: str
    now: datetime
    decisions: Decisions
    scope: RowScope
    policies: PolicyHolder
    plugins: PluginHost
    # Grade changes of the current mutation, announced to plugins once it has committed.
    grade_changes: list[GradeChange] = field(default_factory=list)
    audit: AuditTrail = field(init=False)

    def __post_init__(self) -> None:
        self.audit = AuditTrail(self.principal.sub, " ".join(sorted(self.principal.roles)), self.request_id)

    @cached_property
    def loaders(self) -> Loaders:
        """This request's DataLoaders, made when a resolver first asks (planned reads never do)."""
        return Loaders(self.readers, self.principal, self.now)

    def regrader(self) -> Regrader:
        """Re-assesses grades after new figures or credit information, as this principal."""
        return automatic_regrader(
            principal=self.principal, host=self.plugins, timeout=self.settings.grading_timeout_seconds,
            on_change=self.grade_changes.append,
        )

    @cached_property
    def today(self) -> date:
        """Today where the lender is (once per request: resolvers ask per customer)."""
        return business_date(self.now, self.settings.timezone)

    def group_of(self, coordinate: str) -> str | None:
        """The policy group of a schema coordinate (e.g. ``group:financial``)."""
        return self.decisions.policy.group_of(coordinate)

    @property
    def query_context(self) -> QueryContext:
        return QueryContext(stale_cutoff=self.stale_cutoff)

    @cached_property
    def stale_cutoff(self) -> date:
        return stale_cutoff(self.today, self.settings.stale_financials_months)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only (autocommit: no transaction round trips)."""
        async with self.readers() as session:
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back on any error."""
        async with self.sessions.begin() as session:
            yield session


Info = StrawberryInfo[Context, None]
