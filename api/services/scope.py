"""Row scope: which customers a principal may know exist, applied in SQL to every customer read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from api.db.models import Consent, Customer


@dataclass(frozen=True, slots=True)
class RowScope:
    """The union of the row sets a principal's roles grant; nothing granted means no rows.

    ``all`` needs nothing else; ``branch_code`` grants that branch's customers; ``staff_id`` the
    relationship manager's own portfolio; ``third_party`` the customers with a consent to that
    third party in force at ``at``.
    """

    all: bool = False
    branch_code: str | None = None
    staff_id: int | None = None
    third_party: str | None = None
    at: datetime | None = None

    @classmethod
    def everything(cls) -> "RowScope":
        return cls(all=True)

    def condition(self) -> ColumnElement[bool] | None:
        """SQL limiting ``customer`` rows to this scope (None: no limit)."""
        if self.all:
            return None
        parts: list[ColumnElement[bool]] = []
        if self.branch_code is not None:
            parts.append(Customer.branch_code == self.branch_code)
        if self.staff_id is not None:
            parts.append(Customer.relationship_manager_id == self.staff_id)
        if self.third_party is not None and self.at is not None:
            parts.append(exists(consents_in_force(self.third_party, self.at).where(Consent.customer_id == Customer.id)))
        return or_(*parts) if parts else false()


def consents_in_force(third_party: str, at: datetime):  # type: ignore[no-untyped-def]
    """Consents to ``third_party`` valid at ``at``: started, not expired, not revoked."""
    return select(Consent.id).where(
        Consent.third_party == third_party,
        Consent.valid_from <= at,
        or_(Consent.valid_until.is_(None), Consent.valid_until > at),
        Consent.revoked_at.is_(None),
    )


def within(stmt, scope: RowScope):  # type: ignore[no-untyped-def]
    """``stmt`` (a select over customers) limited to ``scope``."""
    condition = scope.condition()
    return stmt if condition is None else stmt.where(condition)

