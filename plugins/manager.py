"""A typed facade over pluggy: load plugins, collect strategies, map industries, call hooks."""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType

import pluggy

from plugins import hookspecs
from plugins.spec import PROJECT, GradingStrategy

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


class PluginHost:
    """The loaded plugins and the industry → strategy map they give. Built once at start-up."""

    def __init__(
        self, *, blocked: Iterable[str] = (), preferences: Mapping[str, str] | None = None,
        extra: Iterable[tuple[str, object]] = (), entry_points: bool = True,
    ) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.blocked = set(blocked)
        for name in self.blocked:
            self.pm.set_blocked(name)
        self._dists: dict[int, tuple[str, str]] = {}
        if entry_points:
            self.pm.load_setuptools_entrypoints(PROJECT)
            for plugin, dist in self.pm.list_plugin_distinfo():
                self._dists[id(plugin)] = (dist.project_name, dist.version)
        for name, plugin in extra:
            if name not in self.blocked:
                self.pm.register(plugin, name=name)
        self.pm.check_pending()
        self.plugins = self._collect()
        self.by_prefix = self._map(preferences or {})

    def _collect(self) -> tuple[PluginInfo, ...]:
        infos = []
        for name, plugin in sorted(self.pm.list_name_plugin(), key=lambda item: item[0]):
            if plugin is None:
                continue
            impl = getattr(plugin, "creditcare_register_grading_strategies", None)
            try:
                strategies = list(impl() or []) if impl is not None else []
            except Exception as exc:  # name the culprit: a bare traceback at start-up helps nobody
                raise PluginConfigurationError(
                    f"plugin {name!r} failed to register its grading strategies: {type(exc).__name__}: {exc}"
                ) from exc
            dist, version = _distribution_of(plugin, self._dists)
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
        """Tell every plugin; one failing is logged and neither stops the others nor undoes the change."""
        for impl in self.pm.hook.creditcare_grade_changed.get_hookimpls():
            try:
                impl.function(
                    customer_ref=customer_ref, previous_grade=previous_grade, new_grade=new_grade,
                    strategy_id=strategy_id, assessed_at=assessed_at,
                )
            except Exception:  # a plugin's reaction must not break grading
                log.exception("plugin %s failed in creditcare_grade_changed", impl.plugin_name)


def builtin_plugins() -> list[tuple[str, ModuleType]]:
    """The built-in strategies, for hosts that do not read entry points (tests, tools)."""
    from plugins import builtin

    return [("creditcare-builtin", builtin)]
