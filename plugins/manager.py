"""A typed facade over pluggy: load plugins, collect strategies, map industries, call hooks.

Two ways to run a plugin's code: in worker processes (``isolation="process"``, what the service
does: ``plugins.sandbox``), where the service never imports the plugin, or in this process
(``"none"``: plugin objects handed over directly, as tests and tools do).
"""

from __future__ import annotations

import atexit
import importlib.metadata
import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

import pluggy

from plugins import hookspecs
from plugins.remote import RemoteStrategy
from plugins.rules import RuleConfigurationError, RuleInfo, collect_rules
from plugins.sandbox import Failed, PluginFailed, PluginPool, PluginSource
from plugins.spec import PROJECT, Facts, GradingStrategy

log = logging.getLogger(__name__)
FALLBACK = "*"


class PluginConfigurationError(RuntimeError):
    """Plugins that cannot work together as configured (e.g. two claiming one industry)."""


@dataclass(frozen=True, slots=True)
class StrategyInfo:
    id: str
    version: str
    industries: tuple[str, ...]
    plugin: str
    distribution: str
    distribution_version: str
    strategy: GradingStrategy


@dataclass(frozen=True, slots=True)
class PluginInfo:
    name: str
    distribution: str
    distribution_version: str
    strategies: tuple[StrategyInfo, ...]


def _distribution_of(plugin: object, dists: Mapping[int, tuple[str, str]]) -> tuple[str, str]:
    return dists.get(id(plugin), ("creditcare", _own_version()))


def _own_version() -> str:
    try:
        return importlib.metadata.version("creditcare")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def installed_plugins(blocked: Iterable[str] = ()) -> list[PluginSource]:
    """The plugins installed under the entry-point group ``creditcare``, minus ``blocked``; none is imported."""
    skipped = set(blocked)
    return [
        PluginSource(ep.name, ep.value, ep.dist.name if ep.dist else "?", ep.dist.version if ep.dist else "?")
        for ep in sorted(importlib.metadata.entry_points(group=PROJECT), key=lambda ep: ep.name)
        if ep.name not in skipped
    ]


def unpackaged(references: Iterable[str]) -> list[PluginSource]:
    """Plugins named by import reference (``name=module[:attribute]``), each credited to the
    distribution that installed its top-level module, if one did."""
    owners = importlib.metadata.packages_distributions()
    sources = []
    for entry in references:
        name, _, reference = (part.strip() for part in entry.partition("="))
        top = reference.split(":", 1)[0].split(".", 1)[0]
        distribution = next(iter(owners.get(top, ())), None)
        version = importlib.metadata.version(distribution) if distribution else "unpackaged"
        sources.append(PluginSource(name, reference, distribution or top, version))
    return sources


def _disable_hint(name: str) -> str:
    return f"disable it with CREDITCARE_DISABLED_PLUGINS={name}"


class PluginHost:
    """The loaded plugins and the industry → strategy map they give. Built once at start-up.

    ``isolation="process"``: installed plugins run in worker processes, ``workers`` per plugin;
    event hooks there too, each bounded by ``hook_timeout`` seconds. ``extra`` plugin objects
    always run in this process.
    """

    def __init__(
        self, *, blocked: Iterable[str] = (), preferences: Mapping[str, str] | None = None,
        extra: Iterable[tuple[str, object]] = (), entry_points: bool = True, isolation: str = "none",
        workers: int = 2, hook_timeout: float = 5.0, start_timeout: float = 30.0,
        sources: Iterable[PluginSource] = (),
    ) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.blocked = set(blocked)
        self.isolation = isolation
        self.hook_timeout = hook_timeout
        for name in self.blocked:
            self.pm.set_blocked(name)
        self._dists: dict[int, tuple[str, str]] = {}
        self.pools: dict[str, PluginPool] = {}
        # A plugin named by reference replaces an installed one of the same name (the copy under work).
        remote = list({s.name: s for s in [*(installed_plugins(self.blocked) if entry_points else ()), *sources]
                       if s.name not in self.blocked}.values())
        try:
            if isolation == "process":
                for source in remote:
                    self.pools[source.name] = self._pool(source, workers, start_timeout)
            else:
                for source in remote:
                    self._load_here(source)
            for name, plugin in extra:
                if name not in self.blocked:
                    self.pm.register(plugin, name=name)
            self.pm.check_pending()
            self.plugins = self._collect()
            self.by_prefix = self._map(preferences or {})
            self.rules: tuple[RuleInfo, ...] = collect_rules(
                self.pm, self.pools, self._distribution_named, _disable_hint
            )
        except RuleConfigurationError as exc:
            self.close()
            raise PluginConfigurationError(str(exc)) from exc
        except BaseException:
            self.close()
            raise

    def _pool(self, source: PluginSource, workers: int, start_timeout: float) -> PluginPool:
        try:
            return PluginPool(source, size=workers, start_timeout=start_timeout)
        except PluginFailed as exc:
            raise PluginConfigurationError(
                f"{exc} (distribution {source.distribution} {source.version}); {_disable_hint(source.name)}"
            ) from None

    def _load_here(self, source: PluginSource) -> None:
        try:
            plugin = importlib.metadata.EntryPoint(source.name, source.reference, PROJECT).load()
        except Exception as exc:  # one line naming the package, not a traceback
            raise PluginConfigurationError(
                f"plugin {source.name!r} (distribution {source.distribution} {source.version}) failed to load: "
                f"{type(exc).__name__}: {exc}; {_disable_hint(source.name)}"
            ) from exc
        self.pm.register(plugin, name=source.name)
        self._dists[id(plugin)] = (source.distribution, source.version)

    def _distribution_named(self, name: str) -> tuple[str, str]:
        """The distribution and version of the plugin registered as ``name``."""
        if name in self.pools:
            source = self.pools[name].source
            return source.distribution, source.version
        return _distribution_of(self.pm.get_plugin(name), self._dists)

    def rule(self, rule_id: str) -> RuleInfo | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def _registered(self) -> list[tuple[str, str, str, list[Any]]]:
        """Each plugin's name, distribution, version and the strategies it registered."""
        found: list[tuple[str, str, str, list[Any]]] = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            impl = getattr(plugin, "creditcare_register_grading_strategies", None)
            try:
                strategies = list(impl() or []) if impl is not None else []
            except Exception as exc:  # name the culprit: a bare traceback at start-up helps nobody
                raise PluginConfigurationError(
                    f"plugin {name!r} failed to register its grading strategies: {type(exc).__name__}: {exc}; "
                    f"{_disable_hint(name)}"
                ) from exc
            found.append((name, *_distribution_of(plugin, self._dists), strategies))
        for name, pool in self.pools.items():
            strategies = []
            for described in pool.description["strategies"]:
                if "$type" in described:
                    strategies.append(described["$type"])  # refused below, named as returned
                else:
                    strategies.append(RemoteStrategy(pool, described))
            found.append((name, pool.source.distribution, pool.source.version, strategies))
        return sorted(found, key=lambda item: item[0])

    def _collect(self) -> tuple[PluginInfo, ...]:
        infos = []
        for name, dist, version, strategies in self._registered():
            found = []
            for strategy in strategies:
                if not isinstance(strategy, GradingStrategy):
                    raise PluginConfigurationError(
                        f"plugin {name!r} returned {strategy!r}, which is not a GradingStrategy"
                    )
                industries = strategy.industries
                if isinstance(industries, str) or not all(isinstance(i, str) and i for i in industries):
                    raise PluginConfigurationError(
                        f"strategy {strategy.id!r} of plugin {name!r}: industries must be a tuple of GB/T 4754 prefixes"
                    )
                unique = tuple(dict.fromkeys(industries))  # a prefix listed twice is one claim
                found.append(StrategyInfo(strategy.id, strategy.version, unique, name, dist, version, strategy))
            infos.append(PluginInfo(name, dist, version, tuple(found)))
        return tuple(infos)

    def _map(self, preferences: Mapping[str, str]) -> dict[str, StrategyInfo]:
        claims: dict[str, list[StrategyInfo]] = {}
        for plugin in self.plugins:
            for strategy in plugin.strategies:
                for prefix in strategy.industries:
                    claims.setdefault(prefix, []).append(strategy)
        mapping: dict[str, StrategyInfo] = {}
        self.claims = claims
        for prefix, claimants in claims.items():
            if len(claimants) == 1:
                mapping[prefix] = claimants[0]
                continue
            preferred = preferences.get(prefix)
            chosen = [s for s in claimants if s.id == preferred]
            if not chosen:
                names = " and ".join(
                    f"{s.id!r} (plugin {s.plugin}, {s.distribution} {s.distribution_version})" for s in claimants
                )
                raise PluginConfigurationError(
                    f"industry {prefix!r} is claimed by {names}; set CREDITCARE_GRADING_PREFERENCES "
                    f'(e.g. {{"{prefix}": "{claimants[0].id}"}}) to choose one'
                )
            mapping[prefix] = chosen[0]
        if FALLBACK not in mapping:
            raise PluginConfigurationError("no fallback grading strategy (industries = [\"*\"]) is registered")
        return mapping

    def routing(self) -> list[tuple[str, StrategyInfo, str]]:
        """Each claimed prefix, the strategy that grades it, and why that one (``plugins list``)."""
        rows = []
        for prefix in sorted(self.by_prefix, key=lambda p: (p == FALLBACK, p)):
            chosen = self.by_prefix[prefix]
            others = [s for s in self.claims[prefix] if s is not chosen]
            where = f"plugin {chosen.plugin}, {chosen.distribution} {chosen.distribution_version}"
            if others:
                beaten = ", ".join(repr(s.id) for s in others)
                why = f"{where}; chosen over {beaten} by CREDITCARE_GRADING_PREFERENCES"
            else:
                why = f"{where}; the only strategy claiming it"
            rows.append((prefix, chosen, why))
        return rows

    def strategy_for(self, industry_code: str) -> StrategyInfo:
        """The strategy for an industry code: the longest claimed prefix, else the fallback."""
        for length in range(len(industry_code), 0, -1):
            found = self.by_prefix.get(industry_code[:length])
            if found is not None:
                return found
        return self.by_prefix[FALLBACK]

    def strategy(self, strategy_id: str) -> StrategyInfo | None:
        return next((s for p in self.plugins for s in p.strategies if s.id == strategy_id), None)

    def grade_changed(
        self, *, customer_ref: str, previous_grade: str | None, new_grade: str, strategy_id: str, assessed_at: datetime
    ) -> None:
        """Tell every plugin; one failing is logged and neither stops the others nor undoes the change.

        Plugins in workers are told from their own threads, each call bounded by ``hook_timeout``:
        this returns at once, and a slow plugin delays nobody."""
        arguments = {"customer_ref": customer_ref, "previous_grade": previous_grade, "new_grade": new_grade,
                     "strategy_id": strategy_id, "assessed_at": assessed_at}
        for pool in self.pools.values():
            if "creditcare_grade_changed" in pool.description["hooks"]:
                pool.executor.submit(pool.call_hook, "creditcare_grade_changed", arguments, self.hook_timeout)
        for impl in self.pm.hook.creditcare_grade_changed.get_hookimpls():
            try:
                impl.function(
                    customer_ref=customer_ref, previous_grade=previous_grade, new_grade=new_grade,
                    strategy_id=strategy_id, assessed_at=assessed_at,
                )
            except Exception:  # a plugin's reaction must not break grading
                log.exception("plugin %s failed in creditcare_grade_changed", impl.plugin_name)


    def close(self) -> None:
        """Stop the worker processes (a host in this process only: nothing to stop)."""
        for pool in getattr(self, "pools", {}).values():
            pool.close()


def grade_many(strategy: GradingStrategy, items: Sequence[Facts], timeout: float) -> Iterator[Any]:
    """Grade ``items`` with ``strategy``: each a decision as returned, or a ``Failed``, in order.

    In workers for a remote strategy (each result as soon as it is in); here, one after another,
    for an in-process one (where a slow grading is only found slow once it returns)."""
    if isinstance(strategy, RemoteStrategy):
        return strategy.stream(items, timeout)
    return (_here(strategy, facts, timeout) for facts in items)


def _here(strategy: GradingStrategy, facts: Facts, timeout: float) -> Any:
    started = time.perf_counter()
    try:
        decision = strategy.grade(facts)
    except Exception as exc:  # the plugin's fault, reported as such
        return Failed(f"raised {type(exc).__name__} (details in the server log)", f"{type(exc).__name__}: {exc}")
    if time.perf_counter() - started > timeout:
        return Failed(f"took longer than {timeout:g} s")
    return decision


_OPEN_HOSTS: list[PluginHost] = []


@atexit.register
def _stop_workers() -> None:
    for host in _OPEN_HOSTS:
        host.close()


def keep_until_exit(host: PluginHost) -> PluginHost:
    """Stop ``host``'s workers when the process ends (for a host shared for the process's life)."""
    _OPEN_HOSTS.append(host)
    return host


def builtin_plugins() -> list[tuple[str, ModuleType]]:
    """The built-in strategies, for hosts that do not read entry points (tests, tools)."""
    from plugins import builtin

    return [("creditcare-builtin", builtin)]
