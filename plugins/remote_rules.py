"""An early-warning rule that lives in a plugin's worker processes, seen from the service.

It carries what the worker described (id, version, title, parameters) and evaluates by sending
(facts, parameters) to the plugin's pool. Findings are rebuilt as they came, wrong types
included: the service's own checks refuse a bad finding, whichever process made it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plugins.sandbox import Failed, PluginPool
from plugins.spec import Finding, Severity, WarningFacts


def _severity(value: Any) -> Any:
    try:
        return Severity(value)
    except ValueError:
        return value  # refused by the service's check, which names it


def findings_of(raw: Any) -> tuple[Finding, ...] | Failed:
    """The findings a worker sent; a ``Failed`` when they are not findings at all."""
    if not isinstance(raw, list):
        kind = raw.get("$type", "malformed value") if isinstance(raw, dict) else type(raw).__name__
        return Failed(f"returned a {kind}, not a tuple of findings")
    found = []
    for item in raw:
        if not isinstance(item, dict) or "$type" in item:
            kind = item.get("$type", "malformed value") if isinstance(item, dict) else type(item).__name__
            return Failed(f"returned a {kind}, not a Finding")
        try:
            found.append(Finding(_severity(item["severity"]), item["message"], item["key"], item["evidence"]))
        except KeyError:
            return Failed("returned a malformed finding")
    return tuple(found)


class RemoteRule:
    """A warning rule evaluated by its plugin's workers (``plugins.sandbox.PluginPool``)."""

    def __init__(self, pool: PluginPool, described: dict[str, Any], timeout: float = 2.0) -> None:
        self.pool = pool
        self.timeout = timeout
        self.id: str = described["id"]
        self.version: str = described["version"]
        self.title: str = described["title"]
        self.parameters: Mapping[str, str] = described["parameters"]

    @property
    def plugin(self) -> str:
        return self.pool.source.name

    def run(
        self, items: Sequence[tuple[WarningFacts, Mapping[str, str]]], timeout: float
    ) -> list[tuple[Finding, ...] | Failed]:
        """Each item's findings (as sent) or why there are none, in order."""
        results: list[tuple[Finding, ...] | Failed] = []
        for reply in self.pool.evaluate(self.id, items, timeout):
            if isinstance(reply, Failed):
                results.append(reply)
            elif "error" in reply:
                results.append(Failed(f"raised {str(reply['error']).split(':', 1)[0]} (details in the server log)",
                                      str(reply["error"])))
            else:
                results.append(findings_of(reply.get("findings")))
        return results

    def evaluate(self, facts: WarningFacts, parameters: Mapping[str, str]) -> tuple[Finding, ...]:
        """The protocol's call, for tools: one item, raising ``RuntimeError`` when it fails."""
        [result] = self.run([(facts, parameters)], self.timeout)
        if isinstance(result, Failed):
            raise RuntimeError(f"rule {self.id!r}: {result.message}")
        return result
