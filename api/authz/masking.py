"""How a masked read shows a value: enough to recognise it, not enough to use it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.reference.identifiers import mask_identifier


def _mask_text(keep_start: int, keep_end: int) -> Callable[[Any], Any]:
    def mask(value: Any) -> Any:
        if value is None:
            return None
        text = str(value)
        # Never show more than half: a 9-character passport number keeps 2 + 2, not 4 + 4.
        quarter = len(text) // 4
        return mask_identifier(text, keep_start=min(keep_start, quarter), keep_end=min(keep_end, quarter))

    return mask


def _as_is(value: Any) -> Any:
    return value


# Coordinates that may be read masked, and how (api.authz.policy.MASKED_COORDINATES names the
# same ones). A masked decision on any other coordinate is a denial: a value with no safe masked
# form is not shown.
MASKERS: dict[str, Callable[[Any], Any]] = {
    "BasicInformation.legalRepresentativeIdNumber": _mask_text(4, 4),  # 3301**********1234
    "BasicInformation.legalRepresentativePhone": _mask_text(3, 4),
    "BasicInformation.legalRepresentativeIdType": _as_is,  # the kind of document is not secret
}
