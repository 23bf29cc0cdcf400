"""The lender's own organisation: branches and staff."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, UTCDateTime, utcnow


class Branch(Base):
    __tablename__ = "branch"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffMember(Base):
    __tablename__ = "staff_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The token's ``sub``: how a request is tied to a staff record.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    branch_code: Mapped[str] = mapped_column(ForeignKey("branch.code"), index=True)
    # The confidentiality agreement (R-I5): without a valid one, no confidential information.
    agreement_signed_on: Mapped[date | None] = mapped_column(Date)
    agreement_expires_on: Mapped[date | None] = mapped_column(Date)
    agreement_reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def agreement_valid_on(self, day: date) -> bool:
        """Whether a signed agreement is in force on ``day``."""
        return agreement_in_force(self.agreement_signed_on, self.agreement_expires_on, day)


def agreement_in_force(signed: date | None, expires: date | None, day: date) -> bool:
    """Whether an agreement signed on ``signed`` (None: never) and expiring on ``expires`` holds on ``day``."""
    return signed is not None and signed <= day and (expires is None or day < expires)
