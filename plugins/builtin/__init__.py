"""The built-in scorecards and early-warning rules, registered through the same hooks as any external plugin."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from plugins.builtin.warnings import builtin_rules
from plugins.scorecard import Scorecard, load_card
from plugins.spec import hookimpl

CARDS = Path(__file__).resolve().parent / "cards"


@cache
def _shipped_cards() -> tuple[Scorecard, ...]:
    # Cards are immutable and the package's files do not change while it runs: every plugin host
    # of the process (one per app, so one per test) shares one parse.
    return tuple(load_card(path) for path in sorted(CARDS.glob("*.toml")))


def builtin_cards() -> list[Scorecard]:
    """Every card shipped in ``cards/``."""
    return list(_shipped_cards())


@hookimpl
def creditcare_register_grading_strategies() -> list[Scorecard]:
    """Manufacturing, services, wholesale & retail, real estate, and the generic fallback."""
    return builtin_cards()


@hookimpl
def creditcare_register_warning_rules() -> list[object]:
    """Revenue drop, leverage, negative operating cash flow, amounts overdue, adverse credit entries,
    a change of legal representative, guarantees above net assets."""
    return builtin_rules()
