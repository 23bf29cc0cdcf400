"""What the process holds while it runs: the engine, the session factory, the schema."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from api.authz.store import DatabasePolicyStore, FilePolicyStore, PolicyHolder
from api.authz.watcher import follow, listening, start_watcher, stop_watcher, supervise
from api.db.migrations import head_revision
from api.db.session import DatabaseTimeouts, autocommit, create_engine, create_sessionmaker
from api.reference.sizes import size_rules_for
from api.services.live import LocalBroker, RedisBroker
from api.settings import PolicyStoreKind, Settings
from plugins.manager import PluginHost, keep_until_exit, unpackaged
from schema.planned import Planner
from schema.vocabulary import vocabulary_of


@dataclass
class Runtime:
    """Everything a request needs from the process, on ``app.state.runtime``."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    readers: async_sessionmaker[AsyncSession]  # autocommit, for reads only
    read_engine: AsyncEngine  # autocommit connections: who asks, and planned reads
    schema: strawberry.Schema
    head_revision: str | None
    policies: PolicyHolder
    plugins: PluginHost
    policy_in_sync: Callable[[], bool]
    planner: Planner
    broker: LocalBroker  # live events for subscriptions (api.services.live)
    # Which path served each GraphQL request: planned, regular, fallback (planned shape, regular
    # run) or failed (a fault on the planned path, answered by the regular one). The tests read it.
    read_paths: Counter[str] = field(default_factory=Counter)
    # Shadow checks of planned requests running now (api/asgi/graphql_endpoint.py caps them).
    shadows_running: int = 0


def live_broker(settings: Settings) -> LocalBroker:
    """Where live events go: this process only, or Redis for several instances (``CREDITCARE_LIVE_BROKER``)."""
    if settings.live_broker == "redis":
        return RedisBroker(settings.redis_url, settings.live_channel_prefix)
    return LocalBroker()


_HOSTS: dict[tuple[object, ...], PluginHost] = {}


def plugin_host(settings: Settings) -> PluginHost:
    """The plugins of this installation (entry-point group ``creditcare``), minus the disabled ones.

    One host per configuration for the process's life: its worker processes are started once,
    whatever number of apps the process builds (the tests build one per test)."""
    key = (tuple(sorted(settings.disabled_plugins)), tuple(sorted(settings.grading_preferences.items())),
           tuple(settings.extra_plugins), settings.plugin_isolation, settings.plugin_workers,
           settings.plugin_hook_timeout_seconds)
    host = _HOSTS.get(key)
    if host is None:
        host = _HOSTS[key] = keep_until_exit(PluginHost(
            blocked=settings.disabled_plugins, preferences=settings.grading_preferences,
            isolation=settings.plugin_isolation.value, workers=settings.plugin_workers,
            hook_timeout=settings.plugin_hook_timeout_seconds, sources=unpackaged(settings.extra_plugins),
        ))
    return host


def lifespan_for(
    settings: Settings, schema: strawberry.Schema
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """The application's lifespan: builds the ``Runtime`` on ``app.state.runtime``, disposes of it at the end."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        plugins = plugin_host(settings)  # fails fast, before anything needs stopping
        size_rules_for(settings.size_rules_file)  # a broken rule file stops the start, naming the file
        engine = create_engine(
            # No ping per checkout (three round trips on asyncpg): a request whose connection the
            # server dropped reads once more on a new one (api/asgi/graphql_endpoint.py).
            settings.async_database_url, pool_size=settings.db_pool_size, pre_ping=False,
            timeouts=DatabaseTimeouts.of(settings),  # statement, command, connect, pool, busy
        )
        watcher = supervisor = None
        vocabulary = vocabulary_of(schema)
        store: FilePolicyStore | DatabasePolicyStore
        if settings.policy_store is PolicyStoreKind.DATABASE:
            store = DatabasePolicyStore(settings.policy_dir, engine, vocabulary)
        else:
            store = FilePolicyStore(settings.policy_dir, vocabulary, engine)
        try:
            # A policy that fails its checks stops the start, naming each problem's line.
            policies = await PolicyHolder.open(store)
        except BaseException:
            await engine.dispose()
            raise
        if isinstance(store, DatabasePolicyStore):
            watcher = start_watcher(policies, settings.redis_url, settings.policy_channel)
            supervisor = asyncio.create_task(supervise(watcher, policies, settings.policy_watch_interval_seconds))
        broker = live_broker(settings)
        try:
            await broker.start()
        except BaseException:
            await engine.dispose()
            raise
        follower = asyncio.create_task(follow(policies, settings.policy_poll_interval_seconds))
        read_engine = autocommit(engine)
        app.state.runtime = Runtime(
            settings=settings,
            engine=engine,
            sessions=create_sessionmaker(engine),
            readers=create_sessionmaker(read_engine),
            read_engine=read_engine,
            schema=schema,
            head_revision=head_revision(),
            policies=policies,
            plugins=plugins,
            policy_in_sync=(lambda: listening(watcher)) if watcher is not None else (lambda: True),
            planner=Planner(schema),
            broker=broker,
        )
        try:
            yield
        finally:
            follower.cancel()
            with suppress(asyncio.CancelledError):
                await follower  # not mid-read of the store when the engine goes
            if supervisor is not None:
                supervisor.cancel()
            if watcher is not None:
                stop_watcher(watcher)
            await broker.close()
            await engine.dispose()

    return lifespan
