"""The plugin creditcare loads (entry point ``transport-scorecard`` in the group ``creditcare``)."""

from __future__ import annotations

from functools import cache

from plugins.scorecard import Scorecard, card_from_package
from plugins.spec import hookimpl

CARD = "transport.toml"


@cache
def _card() -> Scorecard:
    # creditcare's scorecard engine reads the card shipped as this package's data: the plugin
    # holds no numbers, only the card.
    return card_from_package(__package__ or "creditcare_transport", CARD)


@hookimpl
def creditcare_register_grading_strategies() -> list[Scorecard]:
    """The transport & logistics scorecard (id ``transport-logistics``) for GB/T 4754 section G."""
    return [_card()]
