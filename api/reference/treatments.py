"""Treatment by grade (R-G2), held as versioned configuration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class Treatment:
    """What a grade means in practice: limits, pricing, mitigation, revisits, actions."""

    grade: str
    limit_policy: str
    rate_adjustment_bps: int
    mitigation_required: bool
    revisit_interval_days: int
    actions: tuple[str, ...]
    version: str
    approval_days: int = 10  # calendar days from submission to the decision due on a credit application
    green_channel: bool = False  # a shorter deadline and first in the reviewers' queue (R-S2)
    # The most the lender lends with the running facilities: this multiple of the latest annual equity.
    exposure_cap_equity_multiple: Decimal = Decimal(0)


@cache
def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        resources.files("api.reference").joinpath("grade_treatments.json").read_text("utf-8"))
    return loaded


def ungraded_approval_days() -> int:
    """The approval deadline of an applicant not graded yet, in calendar days."""
    return int(_data()["ungraded_approval_days"])


@cache
def treatments() -> dict[str, Treatment]:
    """The treatment of each grade A–D from the shipped configuration."""
    data = _data()
    result = {
        grade: Treatment(
            grade=grade, limit_policy=t["limit_policy"], rate_adjustment_bps=int(t["rate_adjustment_bps"]),
            mitigation_required=bool(t["mitigation_required"]), revisit_interval_days=int(t["revisit_interval_days"]),
            actions=tuple(t["actions"]), version=data["version"], approval_days=int(t["approval_days"]),
            green_channel=bool(t["green_channel"]),
            exposure_cap_equity_multiple=Decimal(str(t["exposure_cap_equity_multiple"])),
        )
        for grade, t in data["treatments"].items()
    }
    if set(result) != {"A", "B", "C", "D"}:
        raise ValueError("grade_treatments.json must give a treatment for each of A, B, C, D")
    return result
