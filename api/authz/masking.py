"""How a masked read shows a value: enough to recognise it, not enough to use it.

Each mask has a Python form (the resolvers) and a SQL form (the planned read, where PostgreSQL
builds the JSON), made from the same parameters; ``tests/test_sql_scalars.py`` holds the two
equal on generated values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Text, case, func, literal, type_coerce

from api.reference.identifiers import mask_identifier


@dataclass(frozen=True, slots=True)
class TextMask:
    """Keep ``keep_start`` and ``keep_end`` characters and star the rest, never showing more than
    half: each end keeps at most a quarter (a 9-character passport number keeps 2 + 2, not 4 + 4)."""

    keep_start: int
    keep_end: int

    def __call__(self, value: Any) -> Any:
        if value is None:
            return None
        text = str(value)
        quarter = len(text) // 4
        return mask_identifier(text, keep_start=min(self.keep_start, quarter), keep_end=min(self.keep_end, quarter))

    def sql(self, value: Any) -> Any:
        """The same mask of a text expression, in SQL (NULL stays NULL)."""
        text = type_coerce(value, Text)
        length = func.length(text, type_=Integer)
        quarter = length // literal(4, Integer)  # integer division, as Python's
        start = func.least(literal(self.keep_start, Integer), quarter)
        end = func.least(literal(self.keep_end, Integer), quarter)
        stars = func.repeat(literal("*", Text), length - start - end, type_=Text)
        # `||`, not concat(): NULL stays NULL.
        masked = func.left(text, start, type_=Text).concat(stars).concat(func.right(text, end, type_=Text))
        return type_coerce(
            case((length <= start + end, func.repeat(literal("*", Text), length)), else_=masked), Text
        )


@dataclass(frozen=True, slots=True)
class Shown:
    """Shown as it is: the kind of an identity document is not secret."""

    def __call__(self, value: Any) -> Any:
        return value

    def sql(self, value: Any) -> Any:
        return value


Mask = TextMask | Shown

# Coordinates that may be read masked, and how (api.authz.policy.MASKED_COORDINATES names the
# same ones). A masked decision on any other coordinate is a denial: a value with no safe masked
# form is not shown.
MASKERS: dict[str, Mask] = {
    "BasicInformation.legalRepresentativeIdNumber": TextMask(4, 4),  # 3301**********1234
    "BasicInformation.legalRepresentativePhone": TextMask(3, 4),
    "BasicInformation.legalRepresentativeIdType": Shown(),
}
