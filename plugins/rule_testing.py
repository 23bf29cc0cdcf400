"""Test helpers for authors of early-warning rules: sample facts, and a contract check.

Call them from your plugin's own pytest suite, beside ``plugins.testing`` for strategies::

    from plugins.rule_testing import check_rule_plugin, warning_facts
    import my_package.plugin

    def test_my_rules_keep_the_contract():
        [rule] = check_rule_plugin(my_package.plugin)

    def test_a_thin_margin_is_warned():
        [rule] = check_rule_plugin(my_package.plugin)
        findings = rule.evaluate(warning_facts(weak=True), rule.parameters)
        assert [f.severity for f in findings] == ["high"]

Every check raises ``AssertionError`` naming the rule and what is wrong. The checks are what
creditcare relies on when it calls a rule (``plugins.rules.finding_problem`` is the service's own
check of each finding); they do not say the rule warns when it should: test that yourself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from plugins.rules import IDENTITY_LENGTHS, REGISTER_RULES, findings_problem
from plugins.spec import CreditEntry, RecordedChange, WarningFacts, WarningRule
from plugins.testing import empty_facts, sample_facts, weak_facts

_RULE_ID = re.compile(r"[A-Z][A-Z0-9_]{1,63}")


def warning_facts(
    *, weak: bool = False, credit_entries: Iterable[CreditEntry] = (), changes: Iterable[RecordedChange] = (),
    **overrides: Any,
) -> WarningFacts:
    """What a rule sees: the grading sample facts (``weak``: the struggling company's), with the
    credit entries and major changes given; ``overrides`` as in ``plugins.testing.facts_with``."""
    facts = weak_facts(**overrides) if weak else sample_facts(**overrides)
    return WarningFacts(facts=facts, credit_entries=tuple(credit_entries), changes=tuple(changes))


def _samples() -> list[tuple[str, WarningFacts]]:
    as_of = sample_facts().as_of
    return [
        ("healthy facts", warning_facts()),
        ("weak facts", warning_facts(
            weak=True, credit_entries=[CreditEntry("1", as_of, "overdue", days_past_due=40)],
            changes=[RecordedChange("7", as_of, "legalRepresentativeName")],
        )),
        ("no statements", WarningFacts(facts=empty_facts())),
    ]


def _fail(rule: object, message: str) -> AssertionError:
    name = getattr(rule, "id", None)
    return AssertionError(f"rule {name!r}: {message}" if isinstance(name, str) else f"rule {rule!r}: {message}")


def check_warning_rule(rule: object) -> WarningRule:
    """Check one rule against the contract; returns it. Raises ``AssertionError`` naming what is wrong."""
    if not isinstance(rule, WarningRule):
        raise _fail(rule, "is not a WarningRule (id, version, title, parameters, evaluate(facts, parameters))")
    if not isinstance(rule.id, str) or not _RULE_ID.fullmatch(rule.id):
        raise _fail(rule, "id must be 2–64 capitals, digits and underscores, starting with a capital")
    # ...and, like version and title, text the service stores (collect_rules checks the same).
    for name, limit in IDENTITY_LENGTHS.items():
        value = getattr(rule, name)
        if not isinstance(value, str) or not 0 < len(value) <= limit:
            raise _fail(rule, f"{name} must be text of 1–{limit} characters")
    parameters = rule.parameters
    if not isinstance(parameters, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in parameters.items()):
        raise _fail(rule, "parameters must be a dict of text to text (the defaults the lender may override)")
    for label, facts in _samples():
        try:
            findings = rule.evaluate(facts, dict(parameters))
        except Exception as exc:
            raise _fail(rule, f"raised {type(exc).__name__} on {label}: {exc}") from exc
        problem = findings_problem(findings)
        if problem is not None:
            raise _fail(rule, f"{problem} on {label}")
        if tuple(rule.evaluate(facts, dict(parameters))) != tuple(findings):
            raise _fail(rule, f"is not pure: two evaluations of {label} differ")
    return rule


def check_rule_plugin(plugin: ModuleType | object) -> list[WarningRule]:
    """Check every rule a plugin registers (``creditcare_register_warning_rules``) and that no
    two share an id; returns them."""
    register = getattr(plugin, REGISTER_RULES, None)
    if register is None:
        raise AssertionError(f"{plugin!r} has no {REGISTER_RULES} hook implementation")
    rules = [check_warning_rule(rule) for rule in register() or ()]
    ids = [rule.id for rule in rules]
    if len(set(ids)) != len(ids):
        raise AssertionError(f"{plugin!r} registers one rule id twice: {ids}")
    return rules


__all__ = ["check_rule_plugin", "check_warning_rule", "warning_facts"]
