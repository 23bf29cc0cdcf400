"""The built-in early-warning rules (R-S3), registered through the same hook as any external plugin.

Each is pure: it reads ``WarningFacts`` and the parameters in force (its ``parameters`` as
defaults, the lender's configuration over them). State found in a statement is keyed by the
statement's period, an entry or a change by its reference: each condition is raised once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from plugins.spec import Finding, Severity, StatementFigures, WarningFacts

HUNDRED = Decimal(100)
# Credit entries that speak against the customer.
ADVERSE_KINDS = frozenset({"overdue", "default", "restructuring", "litigation", "enforcement"})
LEGAL_REPRESENTATIVE_FIELDS = frozenset({"legalRepresentativeName", "legalRepresentativeIdNumber"})


def _percent(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}%"


def _period(statement: StatementFigures) -> str:
    return statement.period_end.isoformat()


class RevenueDrop:
    """Revenue down more than the limit year on year (the two newest annual statements)."""

    id = "REVENUE_DROP"
    version = "1.0"
    title = "Revenue down sharply year on year"
    parameters: Mapping[str, str] = {"max_drop_percent": "30"}

    def evaluate(self, facts: WarningFacts, parameters: Mapping[str, str]) -> tuple[Finding, ...]:
        latest, previous = facts.facts.latest, facts.facts.previous
        if latest is None or previous is None or previous.revenue <= 0:
            return ()
        drop = (previous.revenue - latest.revenue) / previous.revenue * HUNDRED
        limit = Decimal(parameters["max_drop_percent"])
        if drop <= limit:
            return ()
        return (Finding(
            Severity.MEDIUM, f"Revenue fell {_percent(drop)} year on year (limit {_percent(limit)})", _period(latest),
            {"revenue": str(latest.revenue), "previous_revenue": str(previous.revenue), "drop_percent": str(drop),
             "period_end": _period(latest), "previous_period_end": _period(previous)},
        ),)


class Leverage:
    """Liabilities over the limit share of assets, or up more than the limit in points in a year."""

    id = "LEVERAGE"
    version = "1.0"
    title = "High or rising leverage"
    parameters: Mapping[str, str] = {"max_liabilities_to_assets_percent": "70", "max_rise_points": "10"}

    def evaluate(self, facts: WarningFacts, parameters: Mapping[str, str]) -> tuple[Finding, ...]:
        latest, previous = facts.facts.latest, facts.facts.previous
        if latest is None or latest.total_assets <= 0:
            return ()
        level = latest.total_liabilities / latest.total_assets * HUNDRED
        found = []
        limit = Decimal(parameters["max_liabilities_to_assets_percent"])
        if level > limit:
            found.append(Finding(
                Severity.MEDIUM, f"Liabilities are {_percent(level)} of assets (limit {_percent(limit)})",
                f"level:{_period(latest)}",
                {"liabilities_to_assets_percent": str(level), "period_end": _period(latest)},
            ))
        if previous is not None and previous.total_assets > 0:
            before = previous.total_liabilities / previous.total_assets * HUNDRED
            rise, most = level - before, Decimal(parameters["max_rise_points"])
            if rise > most:
                found.append(Finding(
                    Severity.MEDIUM,
                    f"Liabilities to assets rose {rise.quantize(Decimal('0.1'))} points in a year (limit {most})",
                    f"rise:{_period(latest)}",
                    {"liabilities_to_assets_percent": str(level), "previous_percent": str(before),
                     "rise_points": str(rise), "period_end": _period(latest)},
                ))
        return tuple(found)


class NegativeOperatingCashFlow:
    """Operating cash flow below zero in the two newest annual statements."""

    id = "NEGATIVE_OPERATING_CASH_FLOW"
    version = "1.0"
    title = "Negative operating cash flow two periods running"
    parameters: Mapping[str, str] = {}

    def evaluate(self, facts: WarningFacts, parameters: Mapping[str, str]) -> tuple[Finding, ...]:
        latest, previous = facts.facts.latest, facts.facts.previous
        if latest is None or previous is None:
            return ()
        flows = (latest.operating_cash_flow, previous.operating_cash_flow)
        if flows[0] is None or flows[1] is None or flows[0] >= 0 or flows[1] >= 0:
            return ()
        return (Finding(
            Severity.MEDIUM, "Operating cash flow was negative in the last two annual statements", _period(latest),
            {"operating_cash_flow": str(flows[0]), "previous_operating_cash_flow": str(flows[1]),
             "period_end": _period(latest), "previous_period_end": _period(previous)},
        ),)


class AmountOverdue:
    """Any amount overdue now: the newest credit entry is an overdue one."""

    id = "AMOUNT_OVERDUE"
    version = "1.0"
    title = "An amount is overdue"
    parameters: Mapping[str, str] = {}

    def evaluate(self, facts: WarningFacts, parameters: Mapping[str, str]) -> tuple[Finding, ...]:
        if facts.facts.days_past_due <= 0 or not facts.credit_entries:
            return ()
        entry = max(facts.credit_entries, key=lambda e: e.occurred_on)
        return (Finding(
            Severity.HIGH, f"{facts.facts.days_past_due} days past due", entry.reference,
            {"days_past_due": str(facts.facts.days_past_due), "occurred_on": entry.occurred_on.isoformat(),
             "amount": "" if entry.amount is None else str(entry.amount)},
        ),)


class AdverseCreditEntry:
    """A new adverse entry in the credit information (overdue, default, restructuring, litigation,
    enforcement) dated within the look-back window."""

    id = "ADVERSE_CREDIT_ENTRY"
    version = "1.0"
    title = "New adverse credit information"
    parameters: Mapping[str, str] = {"lookback_days": "90"}

    def evaluate(self, facts: WarningFacts, parameters: Mapping[str, str]) -> tuple[Finding, ...]:
        since = facts.facts.as_of - timedelta(days=int(parameters["lookback_days"]))
        return tuple(
            Finding(Severity.HIGH, f"Adverse credit entry: {entry.kind.replace('_', ' ')} on {entry.occurred_on}",
                    entry.reference,
                    {"kind": entry.kind, "occurred_on": entry.occurred_on.isoformat(),
                     "amount": "" if entry.amount is None else str(entry.amount)})
            for entry in facts.credit_entries
            if entry.kind in ADVERSE_KINDS and entry.occurred_on >= since
        )


class LegalRepresentativeChange:
    """The legal representative changed within the look-back window."""

    id = "LEGAL_REPRESENTATIVE_CHANGE"
    version = "1.0"
    title = "Change of legal representative"
    parameters: Mapping[str, str] = {"lookback_days": "90"}

    def evaluate(self, facts: WarningFacts, parameters: Mapping[str, str]) -> tuple[Finding, ...]:
        since = facts.facts.as_of - timedelta(days=int(parameters["lookback_days"]))
        return tuple(
            Finding(Severity.MEDIUM, f"The legal representative changed on {change.changed_on}", change.reference,
                    {"field": change.field, "changed_on": change.changed_on.isoformat()})
            for change in facts.changes
            if change.field in LEGAL_REPRESENTATIVE_FIELDS and change.changed_on >= since
        )


class GuaranteesAboveNetAssets:
    """Active guarantees given to others above the net assets (equity) of the newest statement."""

    id = "GUARANTEES_ABOVE_NET_ASSETS"
    version = "1.0"
    title = "Guarantees given above net assets"
    parameters: Mapping[str, str] = {}

    def evaluate(self, facts: WarningFacts, parameters: Mapping[str, str]) -> tuple[Finding, ...]:
        latest, given = facts.facts.latest, facts.facts.guarantees_given
        if latest is None or given <= 0 or given <= latest.equity:  # no guarantee, no warning (equity < 0 too)
            return ()
        return (Finding(
            Severity.HIGH, f"Guarantees given ({given}) exceed net assets ({latest.equity})",
            f"{_period(latest)}:{given}",
            {"guarantees_given": str(given), "net_assets": str(latest.equity), "period_end": _period(latest)},
        ),)


def builtin_rules() -> list[object]:
    """Every built-in rule, thresholds at their defaults."""
    return [RevenueDrop(), Leverage(), NegativeOperatingCashFlow(), AmountOverdue(), AdverseCreditEntry(),
            LegalRepresentativeChange(), GuaranteesAboveNetAssets()]
