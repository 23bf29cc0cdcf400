"""Treatment by grade (R-G2), held as versioned configuration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


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


@cache
def treatments() -> dict[str, Treatment]:
    """The treatment of each grade A–D from the shipped configuration."""
    data = json.loads(resources.files("api.reference").joinpath("grade_treatments.json").read_text("utf-8"))
    result = {
        grade: Treatment(
            grade=grade, limit_policy=t["limit_policy"], rate_adjustment_bps=int(t["rate_adjustment_bps"]),
            mitigation_required=bool(t["mitigation_required"]), revisit_interval_days=int(t["revisit_interval_days"]),
            actions=tuple(t["actions"]), version=data["version"],
        )
        for grade, t in data["treatments"].items()
    }
    if set(result) != {"A", "B", "C", "D"}:
        raise ValueError("grade_treatments.json must give a treatment for each of A, B, C, D")
    return result
