"""Treatment by grade (R-G2), held as versioned configuration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class TaskTemplate:
    """A task the treatment raises when a customer comes to its grade (R-G1), due ``due_days`` later."""

    kind: str  # a TreatmentActionKind value
    title: str
    due_days: int


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
    tasks: tuple[TaskTemplate, ...] = ()  # the actions tracked as tasks (as shipped: D's plan and recall)


@cache
def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        resources.files("api.reference").joinpath("grade_treatments.json").read_text("utf-8"))
    return loaded


def ungraded_approval_days() -> int:
    """The approval deadline of an applicant not graded yet, in calendar days."""
    return int(_data()["ungraded_approval_days"])


_TASK_KINDS = frozenset({"exposure_reduction", "early_recall"})


def _task(grade: str, task: dict[str, Any]) -> TaskTemplate:
    if task.get("kind") not in _TASK_KINDS:
        raise ValueError(f"grade_treatments.json: grade {grade} has a task of unknown kind {task.get('kind')!r} "
                         f"(known: {', '.join(sorted(_TASK_KINDS))})")
    due_days = int(task["due_days"])
    if due_days < 1:
        raise ValueError(f"grade_treatments.json: grade {grade}'s {task['kind']} task is due at least a day later")
    return TaskTemplate(kind=task["kind"], title=str(task["title"])[:200], due_days=due_days)


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
            tasks=tuple(_task(grade, task) for task in t.get("tasks", ())),
        )
        for grade, t in data["treatments"].items()
    }
    if set(result) != {"A", "B", "C", "D"}:
        raise ValueError("grade_treatments.json must give a treatment for each of A, B, C, D")
    return result
