"""GB/T 4754-2017 national economic industry classification (sections, divisions, K70 groups)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Literal

_DATA_FILE = "gbt4754_2017.csv"


class IndustryCategory(StrEnum):
    """The lender's coarse industry classes (R-C1)."""

    MANUFACTURING = "manufacturing"
    SERVICES = "services"
    WHOLESALE_RETAIL = "wholesale_retail"
    REAL_ESTATE = "real_estate"
    OTHER = "other"


_CATEGORY_BY_SECTION: dict[str, IndustryCategory] = {
    "C": IndustryCategory.MANUFACTURING,
    "F": IndustryCategory.WHOLESALE_RETAIL,
    "K": IndustryCategory.REAL_ESTATE,
    **{s: IndustryCategory.SERVICES for s in "GHILMNOPQR"},
}


@dataclass(frozen=True, slots=True)
class Industry:
    """One entry of the code list: a section, a division or a group."""

    code: str
    section: str
    division: str | None
    name: str
    name_zh: str
    category: IndustryCategory

    @property
    def level(self) -> Literal["section", "division", "group"]:
        """How deep in the classification this code sits."""
        if self.division is None:
            return "section"
        if len(self.code) == 3:
            return "division"
        return "group"


def _category_for(section: str) -> IndustryCategory:
    return _CATEGORY_BY_SECTION.get(section, IndustryCategory.OTHER)


def _parse_row(row: dict[str, str]) -> Industry:
    code = row["code"]
    section = row["section"]
    # Codes are the section letter followed by the 2-digit division and, for groups, one more digit.
    division = code[1:3] if len(code) > 1 else None
    return Industry(
        code=code,
        section=section,
        division=division,
        name=row["name"],
        name_zh=row["name_zh"],
        category=_category_for(section),
    )


@cache
def all_industries() -> tuple[Industry, ...]:
    """Return every code in code-list order (sections, then their divisions and groups)."""
    text = resources.files(__package__).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    return tuple(_parse_row(row) for row in csv.DictReader(io.StringIO(text)))


@cache
def _by_code() -> dict[str, Industry]:
    return {industry.code: industry for industry in all_industries()}


def get_industry(code: str) -> Industry | None:
    """Look up a code exactly (case-sensitive); None when the code is not in the list."""
    return _by_code().get(code)


def is_assignable(code: str) -> bool:
    """Whether a customer may be classified under this code.

    A section letter alone is too coarse for credit policy, so only division- or
    group-level codes are accepted.
    """
    industry = get_industry(code)
    return industry is not None and industry.level != "section"
