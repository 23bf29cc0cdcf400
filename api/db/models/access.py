"""Access to customer information: written consents, the audit log, and stored policy rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, UTCDateTime, utcnow


class Consent(Base):
    """A customer's written consent to disclose some information groups to a third party (R-I4)."""

    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_third_party_customer_id", "third_party", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    third_party: Mapped[str] = mapped_column(String(64))  # the third party's principal (token sub)
    groups: Mapped[list[str]] = mapped_column(JSON)  # of basic, financial, operating, credit
    document_reference: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """One line of the audit log. Append-only: the database refuses updates and deletes."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    principal: Mapped[str] = mapped_column(String(64), index=True)
    roles: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(16), index=True)  # read, deny, disclose, write
    # No foreign key: the log outlives whatever it mentions.
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    object: Mapped[str] = mapped_column(String(200))
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The service's id of the request; the client's own X-Request-ID, if it sent one, beside it.
    request_id: Mapped[str] = mapped_column(String(64))
    client_request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class CasbinRule(Base):
    """Policy lines when ``CREDITCARE_POLICY_STORE=database`` (the casbin SQLAlchemy adapter's table)."""

    __tablename__ = "casbin_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    ptype: Mapped[str] = mapped_column(String(255))
    v0: Mapped[str | None] = mapped_column(String(255))
    v1: Mapped[str | None] = mapped_column(String(255))
    v2: Mapped[str | None] = mapped_column(String(255))
    v3: Mapped[str | None] = mapped_column(String(255))
    v4: Mapped[str | None] = mapped_column(String(255))
    v5: Mapped[str | None] = mapped_column(String(255))

    def as_line(self) -> list[Any]:
        values = [self.v0, self.v1, self.v2, self.v3, self.v4, self.v5]
        return [self.ptype, *[v for v in values if v is not None]]

    def __str__(self) -> str:
        # The adapter loads each row by parsing str(row) as a policy line.
        return ", ".join(self.as_line())
