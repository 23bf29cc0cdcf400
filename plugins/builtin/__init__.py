"""The built-in scorecards, registered through the same hook as any external plugin."""

from __future__ import annotations

from plugins.builtin.scorecard import Scorecard, builtin_cards
from plugins.spec import hookimpl


@hookimpl
def creditcare_register_grading_strategies() -> list[Scorecard]:
    """Manufacturing, services, wholesale & retail, real estate, and the generic fallback."""
    return builtin_cards()
