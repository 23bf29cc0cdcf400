"""GB/T 4754-2017 national economic industry classification: its 20 sections, 97 divisions,
473 groups and 1,381 classes, with their Chinese names as published and English names (the
standard is published in Chinese; the English names of groups and classes are this project's
translation, those of sections and divisions follow common usage)."""

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
    """One entry of the code list: a section, a division, a group or a class."""

    code: str
    section: str
    division: str | None
    name: str
    name_zh: str
    category: IndustryCategory

    @property
    def level(self) -> Literal["section", "division", "group", "class"]:
        """How deep in the classification this code sits."""
        return LEVELS[len(self.code)]

    @property
    def parent(self) -> str | None:
        """The code one level up (a class's group, a group's division, a division's section)."""
        return None if len(self.code) == 1 else self.code[: {3: 1, 4: 3, 5: 4}[len(self.code)]]


LEVELS: dict[int, Literal["section", "division", "group", "class"]] = {
    1: "section", 3: "division", 4: "group", 5: "class",
}


def _category_for(section: str) -> IndustryCategory:
    return _CATEGORY_BY_SECTION.get(section, IndustryCategory.OTHER)


def _parse_row(row: dict[str, str]) -> Industry:
    code = row["code"]
    section = row["section"]
    # Codes are the section letter, the 2-digit division, one more digit for a group, and one more
    # for a class: C, C34, C341, C3411.
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

    A section letter alone is too coarse for credit policy, so only division-, group- or
    class-level codes are accepted.
    """
    industry = get_industry(code)
    return industry is not None and industry.level != "section"
