"""The complaint state machine (R-Q1 … R-Q3): which moves it allows, and each move kept as history.

received → investigating → plan agreed → feedback given → closed; feedback given may go back to
investigating (the complainant is not satisfied: re-investigation) or give feedback again (further
explanation); a closed complaint may be reopened, and any open one escalated. No step is skipped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.enums import ComplaintStatus as S
from api.db.models import Complaint, ComplaintTransition
from api.errors import DomainError

MOVES: dict[S, tuple[S, ...]] = {
    S.RECEIVED: (S.INVESTIGATING, S.ESCALATED),
    S.INVESTIGATING: (S.PLAN_AGREED, S.ESCALATED),
    S.PLAN_AGREED: (S.FEEDBACK_GIVEN, S.ESCALATED),
    S.FEEDBACK_GIVEN: (S.FEEDBACK_GIVEN, S.INVESTIGATING, S.CLOSED, S.ESCALATED),
    S.CLOSED: (S.REOPENED,),
    S.REOPENED: (S.INVESTIGATING, S.ESCALATED),
    S.ESCALATED: (S.INVESTIGATING,),
}


class TransitionNotAllowed(DomainError):
    """The complaint's state does not allow this move; nothing was written."""

    code = "TRANSITION_NOT_ALLOWED"

    def __init__(self, current: S, attempted: S) -> None:
        self.current, self.attempted, self.allowed = current, attempted, MOVES[current]
        allowed = ", ".join(state.name for state in self.allowed) or "none"
        super().__init__(f"a complaint {current.name} cannot move to {attempted.name}; it can move to: {allowed}")


def check_move(complaint: Complaint, to: S) -> None:
    """Refuse a move the machine does not allow from the complaint's state."""
    if to not in MOVES[complaint.status]:
        raise TransitionNotAllowed(complaint.status, to)


def move(session: AsyncSession, complaint: Complaint, to: S, *, by: str, at: datetime, note: str | None) -> None:
    """Move ``complaint`` to ``to`` (allowed by ``check_move``) and keep the move as history."""
    check_move(complaint, to)
    session.add(ComplaintTransition(complaint_id=complaint.id, from_status=complaint.status, to_status=to, at=at,
                                    by=by, note=note))
    complaint.status = to
