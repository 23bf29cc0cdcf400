"""What an assessment stores of a decision is what the strategy decided, exactly."""

from __future__ import annotations

import pytest

from api.services.grading import factor_json, snapshot
from plugins.builtin import builtin_cards
from plugins.testing import empty_facts, sample_facts, weak_facts


@pytest.mark.parametrize("facts", [sample_facts, weak_facts, empty_facts], ids=["healthy", "weak", "no-figures"])
def test_a_stored_factor_is_the_snapshot_of_the_factor_the_strategy_returned(facts) -> None:
    for card in builtin_cards():
        decision = card.grade(facts(industry_code="C34"))
        assert [factor_json(f) for f in decision.factors] == [snapshot(f) for f in decision.factors]
        if facts is empty_facts:  # factors without a value are stored as such
            assert any(f.value is None for f in decision.factors)
