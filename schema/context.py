"""The per-request context: who asks, database sessions, settings and DataLoaders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from api.authz.policy import Decisions
from api.authz.store import PolicyHolder
from api.clock import business_date
from api.principal import Principal
from api.reference.sizes import SizeRules, size_rules_for
from api.services import access, complaint_reads
from api.services.audit import AuditTrail
from api.services.customer_query import stale_cutoff
from api.services.filtering import QueryContext
from api.services.grading import GradeChange, Regrader, automatic_regrader
from api.services.live import LocalBroker
from api.services.scope import RowScope
from api.services.warning_runs import information_watcher, warning_config
from api.settings import Settings
from plugins.manager import PluginHost
from schema.reads import Count, Lookup, Related


def _loader(
    sessions: async_sessionmaker[AsyncSession],
    fetch: Callable[[AsyncSession, list[Any]], Awaitable[Mapping[Any, Any]]],
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
    fetch: Callable[[AsyncSession, list[int], int], Awaitable[Mapping[int, Any]]], missing: Any = list,
) -> Callable[[AsyncSession, list[tuple[int, int]]], Awaitable[dict[tuple[int, int], Any]]]:
    """Batch keys ``(customer_id, limit)``: one statement per distinct limit."""

    async def run(session: AsyncSession, keys: list[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        result: dict[tuple[int, int], Any] = {}
        for limit in {limit for _, limit in keys}:
            ids = [cid for cid, lim in keys if lim == limit]
            found = await fetch(session, ids, limit)
            result.update({(cid, limit): found.get(cid, missing() if callable(missing) else missing) for cid in ids})
        return result

    return run


class Loaders:
    """One set of DataLoaders per request, so nothing is cached across principals."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], principal: Principal, now: datetime) -> None:
        self._sessions = sessions
        self._declared: dict[int, DataLoader[Any, Any]] = {}
        self.consents = _loader(
            sessions, lambda s, ids: access.consented_groups(s, principal.sub, ids, now), set
        )
        # Whether the principal sits on each complaint's investigation team (``read_on_team``).
        self.complaint_teams = _loader(
            sessions, lambda s, ids: complaint_reads.teams_joined(s, principal.sub, ids), bool
        )

    def of(self, reading: Related | Lookup | Count) -> DataLoader[Any, Any]:
        """The DataLoader of a declared reading (``schema.reads``): ``Related`` keys are
        ``(key, limit)``, ``Lookup`` and ``Count`` keys the source's key."""
        found = self._declared.get(id(reading))
        if found is None:
            if isinstance(reading, Related):  # one statement per distinct limit
                missing = None if reading.single else list
                found = _loader(self._sessions, _per_limit(reading.fetch, missing), missing)
            elif isinstance(reading, Lookup):
                found = _loader(self._sessions, reading.fetch)
            elif isinstance(reading, Count):
                found = _loader(self._sessions, reading.fetch, 0)
            else:
                raise TypeError(f"{reading!r} reads from its source row: no loader")
            self._declared[id(reading)] = found
        return found


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
    broker: LocalBroker
    # The X-Request-ID the client sent, if any: kept beside the service's own ``request_id``.
    client_request_id: str | None = None
    # Grade changes of the current mutation, announced to plugins once it has committed.
    grade_changes: list[GradeChange] = field(default_factory=list)
    # Live events of the current mutation (channel, message), published once it has committed.
    live_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # What a WebSocket client sent on connecting (its token): strawberry fills it in.
    connection_params: dict[str, Any] | None = None
    # A long-lived connection's: applies the policy in force again (who the caller is, what they see).
    refresh: Callable[[], Awaitable[None]] | None = None
    audit: AuditTrail = field(init=False)

    def __post_init__(self) -> None:
        self.audit = AuditTrail(
            self.principal.sub, " ".join(sorted(self.principal.roles)), self.request_id, self.client_request_id
        )

    @cached_property
    def loaders(self) -> Loaders:
        """This request's DataLoaders, made when a resolver first asks (planned reads never do)."""
        return Loaders(self.readers, self.principal, self.now)

    def regrader(self) -> Regrader:
        """After new information about a customer, as this principal: re-assesses the grade where the
        information feeds it and evaluates the early-warning rules."""
        regrade = automatic_regrader(
            principal=self.principal, host=self.plugins, timeout=self.settings.grading_timeout_seconds,
            on_change=self.grade_changes.append,
        )
        config = warning_config(self.settings, self.plugins, lambda channel, message: self.live_events.append(
            (channel, message)))
        return information_watcher(regrade=regrade, config=config)

    @property
    def size_rules(self) -> SizeRules:
        """The enterprise-size rules in force (``CREDITCARE_SIZE_RULES_FILE``, loaded once)."""
        return size_rules_for(self.settings.size_rules_file)

    @cached_property
    def today(self) -> date:
        """Today where the lender is (once per request: resolvers ask per customer)."""
        return business_date(self.now, self.settings.timezone)

    def group_of(self, coordinate: str) -> str | None:
        """The policy group of a schema coordinate (e.g. ``group:financial``)."""
        return self.decisions.policy.group_of(coordinate)

    @property
    def query_context(self) -> QueryContext:
        return QueryContext(
            stale_cutoff=self.stale_cutoff, today=self.today, max_filter_terms=self.settings.max_filter_terms
        )

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
