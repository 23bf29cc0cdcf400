"""The early-warning rules the plugins register, collected once, and their evaluation.

Rules of plugins in worker processes are evaluated there (``plugins.remote_rules``); rules of
plugins in this process (the built-in ones, tests' and tools' objects) are called here. Either
way a failure is a ``Failed`` naming the rule, never an exception.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import pluggy

from plugins.remote_rules import RemoteRule
from plugins.sandbox import Failed, PluginPool
from plugins.spec import Finding, Severity, WarningFacts, WarningRule

REGISTER_RULES = "creditcare_register_warning_rules"
MAX_MESSAGE = 500
MAX_KEY = 200  # the length of early_warning.key (the service checks the two agree)
MAX_FINDINGS = 20  # per rule and customer: more is a fault of the rule, and nothing of it is stored
# A rule's id, version and title, as stored with each warning: text of these lengths.
IDENTITY_LENGTHS = {"id": 64, "version": 32, "title": 200}
MAX_EVIDENCE_ITEMS = 50
MAX_EVIDENCE_TEXT = 1000


class RuleConfigurationError(RuntimeError):
    """Rules that cannot work together (two with one id), or a plugin's answer that is no rule."""


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A registered rule, where it comes from, and its default parameters."""

    id: str
    version: str
    title: str
    parameters: Mapping[str, str]
    plugin: str
    distribution: str
    distribution_version: str
    rule: WarningRule


def _in_process(pm: pluggy.PluginManager, hint: Callable[[str], str]) -> list[tuple[str, list[Any]]]:
    found = []
    for name, plugin in pm.list_name_plugin():
        impl = getattr(plugin, REGISTER_RULES, None) if plugin is not None else None
        if impl is None:
            continue
        try:
            found.append((name, list(impl() or [])))
        except Exception as exc:  # name the culprit: a bare traceback at start-up helps nobody
            raise RuleConfigurationError(
                f"plugin {name!r} failed to register its warning rules: {type(exc).__name__}: {exc}; {hint(name)}"
            ) from exc
    return found


def collect_rules(
    pm: pluggy.PluginManager, pools: Mapping[str, PluginPool], distribution: Callable[[str], tuple[str, str]],
    hint: Callable[[str], str],
) -> tuple[RuleInfo, ...]:
    """Every rule of every plugin, checked: each a ``WarningRule`` with parameters of text, ids unique."""
    registered = _in_process(pm, hint)
    for name, pool in pools.items():
        registered.append((name, [
            described["$type"] if "$type" in described else RemoteRule(pool, described)
            for described in pool.description.get("rules", [])
        ]))
    rules: dict[str, RuleInfo] = {}
    for name, found in sorted(registered, key=lambda item: item[0]):
        for rule in found:
            if not isinstance(rule, WarningRule):
                raise RuleConfigurationError(f"plugin {name!r} returned {rule!r}, which is not a WarningRule")
            for attribute, length in IDENTITY_LENGTHS.items():
                value = getattr(rule, attribute)
                if not isinstance(value, str) or not 0 < len(value) <= length:
                    raise RuleConfigurationError(
                        f"a rule of plugin {name!r}: {attribute} must be text of 1–{length} characters, not {value!r}"
                    )
            parameters = rule.parameters
            if not isinstance(parameters, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in parameters.items()
            ):
                raise RuleConfigurationError(f"rule {rule.id!r} of plugin {name!r}: parameters must map text to text")
            if rule.id in rules:
                other = rules[rule.id]
                raise RuleConfigurationError(
                    f"warning rule {rule.id!r} is registered by plugin {other.plugin!r} and by plugin {name!r}; "
                    f"{hint(name)}"
                )
            rules[rule.id] = RuleInfo(rule.id, rule.version, rule.title, dict(parameters), name,
                                      *distribution(name), rule)
    return tuple(rules.values())


def finding_problem(finding: object) -> str | None:
    """Why a rule's answer is no acceptable finding; None when it is one."""
    if not isinstance(finding, Finding):
        return f"returned a {type(finding).__name__}, not a Finding"
    if not isinstance(finding.severity, Severity):
        return f"returned the severity {finding.severity!r}, not LOW, MEDIUM or HIGH"
    if not isinstance(finding.message, str) or not 0 < len(finding.message) <= MAX_MESSAGE:
        return f"returned a message that is not text of 1–{MAX_MESSAGE} characters"
    if not isinstance(finding.key, str) or len(finding.key) > MAX_KEY:
        return f"returned a key that is not text of at most {MAX_KEY} characters"
    evidence = finding.evidence
    if not isinstance(evidence, Mapping) or len(evidence) > MAX_EVIDENCE_ITEMS or not all(
        isinstance(k, str) and isinstance(v, str) and len(k) <= 100 and len(v) <= MAX_EVIDENCE_TEXT
        for k, v in evidence.items()
    ):
        return f"returned evidence that is not at most {MAX_EVIDENCE_ITEMS} names with text values"
    return None


def findings_problem(findings: object) -> str | None:
    """Why a rule's answer for one customer is no acceptable tuple of findings; None when it is."""
    if not isinstance(findings, tuple | list):
        return f"returned a {type(findings).__name__}, not a tuple of findings"
    if len(findings) > MAX_FINDINGS:
        return f"returned {len(findings)} findings, more than the {MAX_FINDINGS} allowed for one customer"
    return next((problem for f in findings if (problem := finding_problem(f)) is not None), None)


def evaluate_many(
    rule: RuleInfo, items: Sequence[tuple[WarningFacts, Mapping[str, str]]], timeout: float
) -> list[tuple[Finding, ...] | Failed]:
    """Each item's findings as returned, or a ``Failed``, in order. Blocks: a remote rule's waits
    on its workers; call it from the rule's own threads (``executor_of``)."""
    if isinstance(rule.rule, RemoteRule):
        return rule.rule.run(items, timeout)
    return [_here(rule.rule, facts, parameters, timeout) for facts, parameters in items]


def executor_of(rule: RuleInfo) -> Executor | None:
    """Where to wait for ``rule``: its plugin's threads (a hung plugin holds only its own), or none
    for a rule in this process (the built-in ones), which runs where it is called."""
    return rule.rule.pool.executor if isinstance(rule.rule, RemoteRule) else None


def _here(rule: WarningRule, facts: WarningFacts, parameters: Mapping[str, str], timeout: float) -> Any:
    started = time.perf_counter()
    try:
        findings = rule.evaluate(facts, parameters)
    except Exception as exc:  # the plugin's fault, reported as such
        return Failed(f"raised {type(exc).__name__} (details in the server log)", f"{type(exc).__name__}: {exc}")
    if time.perf_counter() - started > timeout:
        return Failed(f"took longer than {timeout:g} s")
    return findings
