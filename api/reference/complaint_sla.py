"""Complaint deadlines (R-Q1): SLA policies as data, counted on the lender's calendar dates.

A policy is a list of stages: the first is the decision promised at intake, each later one an
extension with what it needs (a reason, a senior approval, the complainant told). Days are
counted from the day after receipt (the day of receipt is not counted), as calendar days or as
working days of the holiday calendar; a policy may roll a due day that is not a working day to
the next working day. Two presets ship in ``complaint_sla.json``: ``cn_2020`` and ``us_cfpb``.
"""

from __future__ import annotations

import csv
import itertools
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

PRESETS_FILE = "complaint_sla.json"
WEEKEND = frozenset({5, 6})  # Saturday, Sunday (date.weekday())


class Counting(StrEnum):
    """Which days a period counts."""

    CALENDAR = "calendar"
    WORKING = "working"


class Roll(StrEnum):
    """What happens to a due day that is not a working day."""

    NONE = "none"
    NEXT_WORKING_DAY = "next_working_day"


class Need(StrEnum):
    """What an extension to a stage must carry."""

    REASON = "reason"
    SENIOR_APPROVAL = "senior_approval"
    COMPLAINANT_TOLD = "complainant_told"


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """The lender's working days: Monday to Friday, less ``holidays``, plus ``working_days`` (weekend
    days worked in exchange for a holiday, as China's State Council calendar sets them)."""

    holidays: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()

    def is_working(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() not in WEEKEND and day not in self.holidays

    @classmethod
    def read(cls, path: Path) -> HolidayCalendar:
        """A calendar from a CSV file with the header ``date,kind,name``: ``kind`` is ``holiday`` or
        ``working``; a bad line raises ``ValueError`` naming it."""
        holidays: set[date] = set()
        working: set[date] = set()
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"date", "kind"} <= set(reader.fieldnames):
                raise ValueError(f"{path}: the header must name the columns date,kind[,name]")
            for number, row in enumerate(reader, start=2):
                try:
                    day = date.fromisoformat((row["date"] or "").strip())
                except ValueError:
                    raise ValueError(f"{path} line {number}: {row['date']!r} is not a date (YYYY-MM-DD)") from None
                kind = (row["kind"] or "").strip()
                if kind not in ("holiday", "working"):
                    raise ValueError(f"{path} line {number}: kind must be holiday or working, not {kind!r}")
                (holidays if kind == "holiday" else working).add(day)
        both = holidays & working
        if both:
            raise ValueError(f"{path}: {min(both)} is both a holiday and a working day")
        return cls(frozenset(holidays), frozenset(working))


@dataclass(frozen=True, slots=True)
class SlaStage:
    """One deadline of a policy: ``days`` after receipt, and what moving to it needs."""

    name: str
    days: int
    needs: frozenset[Need] = frozenset()


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """A complaint deadline policy: its stages, how days count, and the text it follows."""

    id: str
    title: str
    rule: str
    counting: Counting
    roll: Roll
    roll_rule: str
    stages: tuple[SlaStage, ...]
    calendar: HolidayCalendar = field(default_factory=HolidayCalendar)

    def due_on(self, received_on: date, stage: int = 0) -> date:
        """The day a complaint received on ``received_on`` is due at ``stage`` (0: the first promise)."""
        days = self.stages[stage].days
        if self.counting is Counting.WORKING:
            day, counted = received_on, 0
            while counted < days:
                day += timedelta(days=1)
                counted += self.calendar.is_working(day)
            return day
        day = received_on + timedelta(days=days)
        if self.roll is Roll.NEXT_WORKING_DAY:
            while not self.calendar.is_working(day):
                day += timedelta(days=1)
        return day

    def stage_named(self, name: str) -> int:
        """The index of the stage ``name``; ``KeyError`` when the policy has none."""
        for index, stage in enumerate(self.stages):
            if stage.name == name:
                return index
        raise KeyError(name)


def _policy(key: str, data: dict[str, Any], calendar: HolidayCalendar) -> SlaPolicy:
    stages = tuple(
        SlaStage(str(item["stage"]), int(item["days"]), frozenset(Need(need) for need in item.get("needs", ())))
        for item in data["stages"]
    )
    if not stages or any(stage.days < 1 for stage in stages):
        raise ValueError(f"SLA policy {key!r}: give at least one stage, each of one day or more")
    if any(later.days <= earlier.days for earlier, later in itertools.pairwise(stages)):
        raise ValueError(f"SLA policy {key!r}: each stage must give more days than the one before")
    return SlaPolicy(
        id=key, title=str(data["title"]), rule=str(data["rule"]), counting=Counting(data.get("counting", "calendar")),
        roll=Roll(data.get("roll", "none")), roll_rule=str(data.get("roll_rule", "")), stages=stages,
        calendar=calendar,
    )


def read_policies(path: Path | None = None, calendar: HolidayCalendar | None = None) -> dict[str, SlaPolicy]:
    """Every SLA policy of ``path`` (default: the shipped presets), each counting on ``calendar``."""
    text = (path.read_text("utf-8") if path is not None
            else resources.files("api.reference").joinpath(PRESETS_FILE).read_text("utf-8"))
    data = json.loads(text)
    return {key: _policy(key, value, calendar or HolidayCalendar()) for key, value in data.items()}


@lru_cache(maxsize=8)
def policies_of(sla_file: str | None, calendar_file: str | None) -> dict[str, SlaPolicy]:
    """The SLA policies of ``sla_file`` (None: the presets) on the calendar of ``calendar_file``
    (None: Monday to Friday), read once; a bad file raises ``ValueError`` naming it."""
    try:
        calendar = HolidayCalendar.read(Path(calendar_file)) if calendar_file else HolidayCalendar()
    except OSError as exc:
        raise ValueError(f"holiday calendar {calendar_file}: {exc.strerror}") from None
    try:
        return read_policies(Path(sla_file) if sla_file else None, calendar)
    except (OSError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"complaint SLA policies {sla_file or PRESETS_FILE}: {exc!r}") from None
