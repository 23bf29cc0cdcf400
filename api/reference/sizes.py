"""Enterprise size (large/medium/small/micro) under China's 2011 SME size standard, and
financial enterprises under the 2015 standard for financial enterprises.

The thresholds live in versioned configuration data (``size_rules_2011.json``) rather than
code, so a revised standard is a new data file and every result records which version
produced it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

_DEFAULT_FILE = "size_rules_2011.json"

# trust_assets: the 2015 rule sizes trust companies by the assets they hold in trust.
METRICS: tuple[str, ...] = ("employees", "revenue", "total_assets", "trust_assets")
NOT_APPLICABLE_RULE = "not_applicable"


class Size(StrEnum):
    """Enterprise size class."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"
    # Sections the standard does not size at all (public administration, international
    # organisations): named, so a customer there is never "unknown, statement missing".
    NOT_APPLICABLE = "not_applicable"


# Tiers are tried from the top down; micro is whatever meets no tier, so it has no thresholds.
_TIER_ORDER: tuple[Size, ...] = (Size.LARGE, Size.MEDIUM, Size.SMALL)


@dataclass(frozen=True, slots=True)
class SizeInputs:
    """The metrics a size rule may use; revenue (annual operating revenue) and assets in yuan."""

    employees: int | None
    revenue: Decimal | None
    total_assets: Decimal | None
    trust_assets: Decimal | None = None  # not on a statement: a trust company's size stays unknown


@dataclass(frozen=True, slots=True)
class SizeResult:
    """A size decision together with what it was based on, for the audit trail."""

    size: Size
    rule_version: str
    rule_id: str
    inputs: dict[str, str]


@dataclass(frozen=True, slots=True)
class SizeTier:
    """One tier: met when every metric reaches its minimum."""

    size: Size
    thresholds: tuple[tuple[str, Decimal], ...]

    def is_met(self, values: dict[str, Decimal]) -> bool:
        """Whether all thresholds are reached by ``values`` (which must hold every metric used)."""
        return all(values[metric] >= minimum for metric, minimum in self.thresholds)


@dataclass(frozen=True, slots=True)
class SizeRule:
    """The thresholds for one industry group of the standard."""

    id: str
    industry_prefixes: tuple[str, ...]
    tiers: tuple[SizeTier, ...]

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics this rule needs, in canonical order."""
        used = {metric for tier in self.tiers for metric, _ in tier.thresholds}
        return tuple(m for m in METRICS if m in used)


@dataclass(frozen=True)
class SizeRules:
    """A validated, versioned set of size rules."""

    version: str
    title: str
    rules: tuple[SizeRule, ...]
    fallback_rule_id: str
    not_applicable_prefixes: tuple[str, ...] = ()

    def not_applicable(self, industry_code: str) -> SizeResult | None:
        """The result for an industry the standard does not size (``not_applicable.prefixes``), else None."""
        if not any(industry_code.startswith(prefix) for prefix in self.not_applicable_prefixes):
            return None
        return SizeResult(size=Size.NOT_APPLICABLE, rule_version=self.version, rule_id=NOT_APPLICABLE_RULE, inputs={})

    def rule_for(self, industry_code: str) -> SizeRule:
        """Pick the rule whose prefix is the longest match for ``industry_code``.

        Matching is purely textual, so a bare division such as "K70" matches no rule
        (only K701 and K702 are listed) and falls back: the standard sizes real-estate
        development and property management only, and a division-level code does not say
        which of the two (or neither) the customer does.
        """
        best: SizeRule | None = None
        best_len = -1
        for rule in self.rules:
            for prefix in rule.industry_prefixes:
                if industry_code.startswith(prefix) and len(prefix) > best_len:
                    best, best_len = rule, len(prefix)
        if best is not None:
            return best
        return next(rule for rule in self.rules if rule.id == self.fallback_rule_id)


def _fail(source: str, problem: str) -> ValueError:
    return ValueError(f"invalid size rules in {source}: {problem}")


def _require_str(obj: dict[str, Any], key: str, where: str, source: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, f"{where} needs a non-empty string '{key}'")
    return value


def _parse_threshold(raw: Any, where: str, source: str) -> Decimal:
    # Strings only: a JSON float would already have lost precision before we see it.
    if not isinstance(raw, str):
        raise _fail(source, f"{where} must be a string, got {type(raw).__name__}")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise _fail(source, f"{where} is not a number: {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise _fail(source, f"{where} must be a finite non-negative number: {raw!r}")
    return value


def _parse_tier(size: Size, raw: Any, where: str, source: str) -> SizeTier:
    if not isinstance(raw, dict) or not raw:
        raise _fail(source, f"{where} must be a non-empty object of metric thresholds")
    thresholds: list[tuple[str, Decimal]] = []
    for metric in raw:
        if metric not in METRICS:
            raise _fail(source, f"{where} has unknown metric {metric!r} (allowed: {', '.join(METRICS)})")
    for metric in METRICS:
        if metric in raw:
            thresholds.append((metric, _parse_threshold(raw[metric], f"{where}.{metric}", source)))
    return SizeTier(size=size, thresholds=tuple(thresholds))


def _check_tiers_consistent(tiers: tuple[SizeTier, ...], where: str, source: str) -> None:
    # Same metrics in every tier, each non-increasing downwards: otherwise "which metrics
    # does this rule need" is ill-defined and a higher tier could be easier to reach.
    first = [metric for metric, _ in tiers[0].thresholds]
    for upper, lower in pairwise(tiers):
        if [metric for metric, _ in lower.thresholds] != first:
            raise _fail(source, f"{where}: tier '{lower.size}' uses different metrics from tier '{tiers[0].size}'")
        for (metric, high), (_, low) in zip(upper.thresholds, lower.thresholds, strict=True):
            if low > high:
                raise _fail(source, f"{where}: tier '{lower.size}' {metric} threshold exceeds tier '{upper.size}'")


def _parse_rule(raw: Any, index: int, source: str) -> SizeRule:
    if not isinstance(raw, dict):
        raise _fail(source, f"rules[{index}] must be an object")
    rule_id = _require_str(raw, "id", f"rules[{index}]", source)
    where = f"rule '{rule_id}'"
    prefixes = raw.get("industry_prefixes")
    if not isinstance(prefixes, list) or not all(isinstance(p, str) and p for p in prefixes):
        raise _fail(source, f"{where} needs 'industry_prefixes' as a list of non-empty strings")
    tiers_raw = raw.get("tiers")
    if not isinstance(tiers_raw, dict):
        raise _fail(source, f"{where} needs 'tiers' as an object")
    expected = {str(size) for size in _TIER_ORDER}
    if set(tiers_raw) != expected:
        raise _fail(source, f"{where} tiers must be exactly large, medium, small; got {sorted(tiers_raw)}")
    tiers = tuple(_parse_tier(size, tiers_raw[str(size)], f"{where} tier '{size}'", source) for size in _TIER_ORDER)
    _check_tiers_consistent(tiers, where, source)
    return SizeRule(id=rule_id, industry_prefixes=tuple(prefixes), tiers=tiers)


def _parse_rules(doc: Any, source: str) -> SizeRules:
    if not isinstance(doc, dict):
        raise _fail(source, "top level must be an object")
    version = _require_str(doc, "version", "top level", source)
    title = _require_str(doc, "title", "top level", source)
    fallback = _require_str(doc, "fallback_rule", "top level", source)
    raw_rules = doc.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise _fail(source, "'rules' must be a non-empty list")
    rules = tuple(_parse_rule(raw, i, source) for i, raw in enumerate(raw_rules))
    ids: set[str] = set()
    owner: dict[str, str] = {}
    for rule in rules:
        if rule.id in ids:
            raise _fail(source, f"duplicate rule id {rule.id!r}")
        ids.add(rule.id)
        for prefix in rule.industry_prefixes:
            if prefix in owner:
                raise _fail(source, f"industry prefix {prefix!r} is claimed by both '{owner[prefix]}' and '{rule.id}'")
            owner[prefix] = rule.id
    if fallback not in ids:
        raise _fail(source, f"fallback_rule {fallback!r} is not a rule id")
    unsized = doc.get("not_applicable", {"prefixes": []})
    prefixes = unsized.get("prefixes") if isinstance(unsized, dict) else None
    if not isinstance(prefixes, list) or not all(isinstance(p, str) and p for p in prefixes):
        raise _fail(source, "'not_applicable.prefixes' must be a list of GB/T 4754 code prefixes")
    for prefix in prefixes:
        if prefix in owner:
            raise _fail(source, f"industry prefix {prefix!r} is both sized by '{owner[prefix]}' and not applicable")
    return SizeRules(version=version, title=title, rules=rules, fallback_rule_id=fallback,
                     not_applicable_prefixes=tuple(prefixes))


def load_size_rules(path: str | os.PathLike[str] | None = None) -> SizeRules:
    """Load and validate a size-rules file; the shipped 2011 rules when ``path`` is None.

    Raises ValueError naming the file and the problem when the file is malformed.
    """
    if path is None:
        source = _DEFAULT_FILE
        text = resources.files(__package__).joinpath(_DEFAULT_FILE).read_text(encoding="utf-8")
    else:
        source = os.fspath(path)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(source, f"not valid JSON ({exc})") from None
    return _parse_rules(doc, source)


@cache
def default_size_rules() -> SizeRules:
    """The shipped rules, loaded once."""
    return load_size_rules()


@cache
def size_rules_for(path: str | None) -> SizeRules:
    """The rules of the file at ``path`` (``CREDITCARE_SIZE_RULES_FILE``), or the shipped ones; loaded once."""
    return default_size_rules() if path is None else load_size_rules(path)


def _metric_values(inputs: SizeInputs) -> dict[str, Decimal | None]:
    return {
        "employees": None if inputs.employees is None else Decimal(inputs.employees),
        "revenue": inputs.revenue,
        "total_assets": inputs.total_assets,
        "trust_assets": inputs.trust_assets,
    }


def _metric_text(inputs: SizeInputs, metric: str) -> str:
    return str(getattr(inputs, metric))


def classify_size(industry_code: str, inputs: SizeInputs, rules: SizeRules | None = None) -> SizeResult | None:
    """Classify an enterprise's size for its industry code.

    Returns None when a metric the matching rule needs is missing: the size is then
    unknown, and guessing would put a wrong class on a credit file.
    """
    rules = rules if rules is not None else default_size_rules()
    unsized = rules.not_applicable(industry_code)
    if unsized is not None:
        return unsized
    rule = rules.rule_for(industry_code)
    all_values = _metric_values(inputs)
    values: dict[str, Decimal] = {}
    for metric in rule.metrics:
        value = all_values[metric]
        if value is None:
            return None
        values[metric] = value
    size = next((tier.size for tier in rule.tiers if tier.is_met(values)), Size.MICRO)
    return SizeResult(
        size=size,
        rule_version=rules.version,
        rule_id=rule.id,
        inputs={metric: _metric_text(inputs, metric) for metric in rule.metrics},
    )
