"""Service contacts before, during and after a loan (R-S1 … R-S3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, UTCDateTime, utcnow
from api.db.enums import ServiceKind, ServiceStage, enum_column


class ServiceRecord(Base):
    """One contact with a customer: stage, kind, who, when, what, and the follow-up agreed."""

    __tablename__ = "service_record"
    # The newest records of a customer are read by this index, never by sorting the table.
    __table_args__ = (Index("ix_service_record_customer_id_occurred_at", "customer_id", "occurred_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    stage: Mapped[ServiceStage] = mapped_column(enum_column(ServiceStage, "service_stage"))
    kind: Mapped[ServiceKind] = mapped_column(enum_column(ServiceKind, "service_kind"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
