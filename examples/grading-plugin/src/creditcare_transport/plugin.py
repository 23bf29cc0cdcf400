"""The plugin creditcare loads (entry point ``transport-scorecard`` in the group ``creditcare``)."""

from __future__ import annotations

from functools import cache

from plugins.spec import GradingStrategy, hookimpl

from creditcare_transport.scorecard import load_card


@cache
def _card() -> GradingStrategy:
    return load_card()


@hookimpl
def creditcare_register_grading_strategies() -> list[GradingStrategy]:
    """The transport & logistics scorecard (id ``transport-logistics``) for GB/T 4754 section G."""
    return [_card()]
