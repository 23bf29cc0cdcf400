"""Risk classification rules (five categories) as data: which arrears, restructurings and
borrower-level facts put a loan at least in which category.

The shipped rules (``loan_classification.json``) follow China's 2023 measures for the risk
classification of commercial banks' financial assets; a lender with other rules points
``CREDITCARE_LOAN_CLASSIFICATION_FILE`` at a file of the same shape.
"""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

RULES_FILE = "loan_classification.json"


class RiskCategory(StrEnum):
    """The five categories, from the best to the worst."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    @property
    def non_performing(self) -> bool:
        """Substandard, doubtful and loss are non-performing."""
        return self.rank >= _ORDER.index(RiskCategory.SUBSTANDARD)

    def at_least(self, floor: RiskCategory) -> RiskCategory:
        """The worse of this category and ``floor``."""
        return self if self.rank >= floor.rank else floor


_ORDER = tuple(RiskCategory)


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at_least: RiskCategory
    rule: str = Field(min_length=1)


class OverdueRule(_Rule):
    """Overdue more than ``over_days`` days (principal, interest or income): at least ``at_least``."""

    over_days: int = Field(ge=0)


class RestructuredRule(_Rule):
    """A restructured loan stays at least ``at_least`` for ``observation_days`` after restructuring."""

    observation_days: int = Field(gt=0)


class ShareRule(_Rule):
    """A share of a borrower's debt above ``share_over`` puts every claim on it at least ``at_least``."""

    share_over: Decimal = Field(ge=0, lt=1)
    over_days: int | None = Field(default=None, ge=0)


class BorrowerRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    overdue_at_all_banks: ShareRule
    non_performing_here: ShareRule


class ClassificationRules(BaseModel):
    """One set of classification rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    title: str
    source: str
    overdue: tuple[OverdueRule, ...] = Field(min_length=1)
    restructured: RestructuredRule
    borrower: BorrowerRules

    @model_validator(mode="after")
    def _ascending(self) -> ClassificationRules:
        days = [rule.over_days for rule in self.overdue]
        ranks = [rule.at_least.rank for rule in self.overdue]
        if days != sorted(set(days)) or ranks != sorted(ranks):
            raise ValueError("overdue rules go from the fewest days to the most, each as bad as the one before "
                             "or worse")
        return self

    def for_overdue(self, days_past_due: int) -> OverdueRule | None:
        """The worst overdue rule that ``days_past_due`` meets (none when nothing is overdue)."""
        met = [rule for rule in self.overdue if days_past_due > rule.over_days]
        return met[-1] if met else None


@lru_cache(maxsize=8)
def classification_rules(path: Path | None = None) -> ClassificationRules:
    """The rules in ``path``, or the shipped ones (parsed once per file)."""
    text = path.read_text(encoding="utf-8") if path is not None else (
        resources.files("api.reference").joinpath(RULES_FILE).read_text(encoding="utf-8"))
    return ClassificationRules.model_validate(json.loads(text))
