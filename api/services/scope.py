"""Row scope: which customers a principal may know exist, applied in SQL to every customer read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, exists, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from api.db.models import Consent, Customer

S = TypeVar("S", bound="Select[*tuple[Any, ...]]")


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
    def everything(cls) -> RowScope:
        return cls(all=True)

    @classmethod
    def of_shape(cls, shape: tuple[bool, bool, bool, bool]) -> RowScope:
        """A scope of ``shape`` with placeholder values: its ``condition()`` is the SQL of every
        scope of that shape (a compiled statement gets each request's ``values()``)."""
        everything, branch, own, consented = shape
        return cls(
            all=everything, branch_code="" if branch else None, staff_id=0 if own else None,
            third_party="" if consented else None, at=datetime.min.replace(tzinfo=UTC) if consented else None,
        )

    @property
    def shape(self) -> tuple[bool, bool, bool, bool]:
        """Which parts the condition has: scopes of one shape share one SQL text."""
        consented = self.third_party is not None and self.at is not None
        return (self.all, self.branch_code is not None, self.staff_id is not None, consented)

    def condition(self) -> ColumnElement[bool] | None:
        """SQL limiting ``customer`` rows to this scope (None: no limit).

        Its values are named bind parameters (``scope_*``), so a statement compiled once for
        one scope runs for any scope of the same ``shape`` given ``values()``: the planned
        reads' prepared statements and every other customer read share this one builder.
        """
        everything, branch, own, consented = self.shape
        if everything:
            return None
        customer = Customer.__table__.c
        parts: list[ColumnElement[bool]] = []
        if branch:
            branch_code = customer.branch_code
            parts.append(branch_code == bindparam("scope_branch_code", self.branch_code, branch_code.type))
        if own:
            manager = customer.relationship_manager_id
            parts.append(manager == bindparam("scope_staff_id", self.staff_id, manager.type))
        if consented:
            consent = Consent.__table__.c
            granted = consents_in_force(
                bindparam("scope_third_party", self.third_party, consent.third_party.type),
                bindparam("scope_at", self.at, consent.valid_from.type),
            )
            parts.append(exists(granted.where(Consent.customer_id == customer.id)))
        return or_(*parts) if parts else false()

    def values(self) -> dict[str, Any]:
        """The bind parameters of ``condition()``."""
        return {
            "scope_branch_code": self.branch_code, "scope_staff_id": self.staff_id,
            "scope_third_party": self.third_party, "scope_at": self.at,
        }


def consents_in_force(third_party: Any, at: Any) -> Select[int]:
    """Consents to ``third_party`` valid at ``at``: started, not expired, not revoked."""
    return select(Consent.id).where(
        Consent.third_party == third_party,
        Consent.valid_from <= at,
        or_(Consent.valid_until.is_(None), Consent.valid_until > at),
        Consent.revoked_at.is_(None),
    )


def within(stmt: S, scope: RowScope) -> S:
    """``stmt`` (a select over customers) limited to ``scope``."""
    condition = scope.condition()
    return stmt if condition is None else stmt.where(condition)
