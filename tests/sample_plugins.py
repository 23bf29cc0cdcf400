"""Plugins that misbehave, as an outside integrator's might: each is loaded by reference
(``sample_plugins:<name>``) into worker processes, exactly as an installed plugin is.

Each grades section C (preferred over the built-in manufacturing card by the test), but ``steady_plugin``,
which grades F51 (wholesale of farm produce)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from plugins.spec import Decision, FactorResult, Facts, Finding, Grade, Severity, WarningFacts, hookimpl

#: Where the hook plugins note what they were told (the test sets it through the facts' answers).
NOTES = "notes.jsonl"


class Card:
    version = "1.0"
    questions = ()
    reason_codes = ("STEADY",)

    def __init__(self, id: str, grade: Callable[[Facts], Any], industries: tuple[str, ...] = ("C",)) -> None:
        self.id = id
        self._grade = grade
        self.industries = industries

    def grade(self, facts: Facts) -> Decision:
        return self._grade(facts)  # type: ignore[no-any-return]


def steady(facts: Facts) -> Decision:
    factor = FactorResult("STEADY", "Steady", "1", "fair", Decimal(60), Decimal(100), "Steady as it goes.")
    return Decision(Grade.B, Decimal(60), (factor,), ("Steady as it goes.",))


def _always_a(facts: Facts) -> Decision:
    """Ignores every knock-out: the service applies them anyway."""
    factor = FactorResult("STEADY", "Steady", "1", "strong", Decimal(95), Decimal(100), "Never worried.")
    return Decision(Grade.A, Decimal(95), (factor,), ("Never worried.",))


def _echo(facts: Facts) -> Decision:
    """Puts the stored facts a strategy may use where the test can read them."""
    seen = {
        "external_rating": [facts.external_rating, facts.external_rating_agency],
        "external_rating_date": facts.external_rating_date.isoformat() if facts.external_rating_date else None,
        "tax_credit_rating": facts.latest.tax_credit_rating if facts.latest else None,
        "taxes_paid": str(facts.latest.taxes_paid) if facts.latest else None,
    }
    decision = steady(facts)
    return Decision(decision.grade, decision.score, decision.factors, (json.dumps(seen),))


def _hang(facts: Facts) -> Decision:
    time.sleep(3600)
    raise AssertionError("unreachable")


def _crash(facts: Facts) -> Decision:
    os._exit(3)


def _snoop(facts: Facts) -> Decision:
    """Everything within reach that the service holds secret, put where the service shows it."""
    found: dict[str, Any] = {
        "environment": {k: v for k, v in os.environ.items() if "CREDITCARE" in k or "DATABASE" in k or "SECRET" in k},
        "cwd": sorted(os.listdir(".")),
    }
    try:
        from api.settings import get_settings

        settings = get_settings()
        found["settings"] = [settings.secret_key, settings.database_url]
    except Exception as exc:
        found["settings"] = repr(exc)
    decision = steady(facts)
    return Decision(decision.grade, decision.score, decision.factors, (json.dumps(found),))


def _verbose(facts: Facts) -> Decision:
    decision = steady(facts)
    return Decision(decision.grade, decision.score, decision.factors, ("x" * 5_000,))


def _undeclared_code(facts: Facts) -> Decision:
    factor = FactorResult("SECRET_SAUCE", "Sauce", None, "fair", Decimal(60), Decimal(100), "Undeclared.")
    return Decision(Grade.B, Decimal(60), (factor,), ("Undeclared.",))


class Plugin:
    def __init__(self, card: Card) -> None:
        self.card = card

    @hookimpl
    def creditcare_register_grading_strategies(self) -> list[Card]:
        return [self.card]


class Listener(Plugin):
    """Grades steadily and notes every grade change in a file, after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(Card("listener", steady))
        self.delay = delay

    @hookimpl
    def creditcare_grade_changed(self, customer_ref: str, new_grade: str) -> None:
        time.sleep(self.delay)
        directory = os.environ.get("TMPDIR", ".")
        with Path(directory, NOTES).open("a") as notes:
            notes.write(json.dumps({"customer": customer_ref, "grade": new_grade}) + "\n")


lenient = Plugin(Card("lenient", _always_a))
echo = Plugin(Card("echo", _echo))
hangs = Plugin(Card("hangs", _hang))
crashes = Plugin(Card("crashes", _crash))
snoops = Plugin(Card("snoops", _snoop))
verbose = Plugin(Card("verbose", _verbose))
undeclared = Plugin(Card("undeclared", _undeclared_code))
steady_plugin = Plugin(Card("steady", steady, industries=("F51",)))  # wholesale of farm produce
slow_listener = Listener(delay=30)
quick_listener = Listener(delay=0)


# ------------------------------------------------------------------------------ warning rules


class ThinMargin:
    """Warns HIGH when the newest statement's net margin is under a threshold."""

    id = "THIN_MARGIN"
    version = "2.1"
    title = "Thin net margin"
    parameters = {"min_margin_percent": "5"}  # noqa: RUF012 (the contract reads it as data)

    def evaluate(self, facts: WarningFacts, parameters: dict[str, str]) -> tuple[Finding, ...]:
        latest = facts.facts.latest
        if latest is None or latest.revenue <= 0:
            return ()
        margin = latest.net_profit / latest.revenue * 100
        if margin >= Decimal(parameters["min_margin_percent"]):
            return ()
        return (Finding(Severity.HIGH, f"Net margin {margin:.1f}%", latest.period_end.isoformat(),
                        {"margin_percent": str(margin), "limit": parameters["min_margin_percent"]}),)


class HangingRule(ThinMargin):
    id = "HANGS_FOREVER"

    def evaluate(self, facts: WarningFacts, parameters: dict[str, str]) -> tuple[Finding, ...]:
        time.sleep(3600)
        raise AssertionError("unreachable")


class TwinRule(ThinMargin):
    id = "REVENUE_DROP"  # the built-in rule's id


class Rules:
    def __init__(self, *rules: object) -> None:
        self.rules = rules

    @hookimpl
    def creditcare_register_warning_rules(self) -> list[object]:
        return list(self.rules)


watchful = Rules(ThinMargin())
hanging_rules = Rules(HangingRule())
twin_rules = Rules(TwinRule())
