"""Service contacts before, during and after a loan (R-S1 … R-S3), their versions and follow-ups."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, UTCDateTime, utcnow
from api.db.enums import ServiceChannel, ServiceKind, ServiceStage, enum_column


class ServiceRecord(Base):
    """One contact with a customer, as its newest version says: stage, kind, who, when, what.

    A correction writes a new ``ServiceRecordVersion`` and brings this row up to it; every
    version, the first included, stays as it was written.
    """

    __tablename__ = "service_record"
    # The newest records of a customer are read by this index, never by sorting the table.
    __table_args__ = (
        Index("ix_service_record_customer_id_occurred_at", "customer_id", "occurred_at", "id"),
        # The root list pages by time across customers, and by who recorded.
        Index("ix_service_record_occurred_at_id", "occurred_at", "id"),
        Index("ix_service_record_recorded_by_occurred_at", "recorded_by", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    stage: Mapped[ServiceStage] = mapped_column(enum_column(ServiceStage, "service_stage"))
    kind: Mapped[ServiceKind] = mapped_column(enum_column(ServiceKind, "service_kind"))
    channel: Mapped[ServiceChannel | None] = mapped_column(enum_column(ServiceChannel, "service_channel"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(64))
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    # Information groups the contact confirmed as current (a revisit's verification, R-I3).
    verified: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrected_by: Mapped[str | None] = mapped_column(String(64))


class ServiceRecordVersion(Base):
    """One version of a service contact as it was written: never changed, never deleted."""

    __tablename__ = "service_record_version"
    __table_args__ = (UniqueConstraint("service_record_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_record_id: Mapped[int] = mapped_column(ForeignKey("service_record.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    written_by: Mapped[str] = mapped_column(String(64))
    # Why a correction was made; null for the first version.
    reason: Mapped[str | None] = mapped_column(Text)
    # The contact's fields as this version gave them (``ServiceRecord``'s columns, JSON values).
    content: Mapped[dict[str, Any]] = mapped_column(JSON)


class ServiceFollowUp(Base):
    """An action agreed in a contact, with the member of staff who owns it and its due date."""

    __tablename__ = "service_follow_up"
    __table_args__ = (
        Index("ix_service_follow_up_owner_due_on", "owner", "due_on", "id"),
        Index("ix_service_follow_up_service_record_id", "service_record_id"),
        Index("ix_service_follow_up_customer_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_record_id: Mapped[int] = mapped_column(ForeignKey("service_record.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(64))  # a staff member's username
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(64))
    done_note: Mapped[str | None] = mapped_column(Text)
