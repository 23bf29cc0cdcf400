"""Time-bound role links: a ``g`` line with a window.

    g, external_auditor, compliance_auditor, 2027-01-04, 2027-04-01

Compliance grants a role for a while by writing the window on the role link, in the notation of
Casbin's conditional role manager: the first role acts as the second from the first date
(included) until the second date (excluded), in the lender's calendar; ``_`` leaves a side open.
Outside the window the role has only its own rules.

Casbin's own conditional role manager is not used: it needs every ``g`` line to carry a window
(``g = _, _, (_, _)``), and its time functions read the wall clock while deciding, which would
make the per-subject decision cache wrong after midnight and a test at a given ``now``
impossible. Instead the window is read here, and the links in force on a day are resolved when
the request's subject is built (``Policy.subject``), as the agreement is: decisions stay a
function of the subject alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

OPEN = "_"  # an open side of a window
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class TimedLink:
    """``member`` acts as ``role`` on the days from ``start`` (included) to ``end`` (excluded)."""

    member: str
    role: str
    start: date | None
    end: date | None

    def in_force(self, day: date) -> bool:
        """Whether the link holds on ``day`` (a business date)."""
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)

    @property
    def values(self) -> tuple[str, ...]:
        """The policy line: ``("g", member, role, from, until)``."""
        return ("g", self.member, self.role, _text(self.start), _text(self.end))

    def window(self) -> str:
        """The window in words: ``from 2027-01-04 until 2027-04-01``."""
        parts = []
        if self.start is not None:
            parts.append(f"from {self.start.isoformat()}")
        if self.end is not None:
            parts.append(f"until {self.end.isoformat()} (excluded)")
        return " ".join(parts) or "always"

    def __str__(self) -> str:
        return ", ".join(self.values)


def is_timed(values: Sequence[str]) -> bool:
    """Whether a rule line (ptype first) is a time-bound role link."""
    return len(values) == 5 and values[0] == "g"


def timed_link(args: Sequence[str]) -> TimedLink:
    """The link of a ``g`` line's four values (member, role, from, until); ValueError if a date is malformed."""
    member, role, start, end = args
    return TimedLink(member, role, _date(start), _date(end))


def window_problem(start: str, end: str) -> str | None:
    """What is wrong with a window's two values, in words; None when it is sound."""
    try:
        first, last = _date(start), _date(end)
    except ValueError:
        return (f"a time-bound g line ends with two dates (YYYY-MM-DD, or {OPEN} for no bound): "
                f"{start!r} and {end!r} are not")
    if first is not None and last is not None and last <= first:
        return f"the window ends ({end}) before it starts ({start}): the link would never hold"
    return None


def _date(value: str) -> date | None:
    if value == OPEN:
        return None
    # Only YYYY-MM-DD: fromisoformat would also take 20270104 or 2027-W01-1, which compliance
    # would not recognise when reading the policy back.
    if not _ISO_DATE.fullmatch(value):
        raise ValueError(f"not a date: {value!r}")
    return date.fromisoformat(value)


def _text(day: date | None) -> str:
    return OPEN if day is None else day.isoformat()
