"""Complaints from intake to closure (R-Q1 … R-Q4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, UTCDateTime, utcnow
from api.db.enums import ComplaintChannel, ComplaintStatus, enum_column


class Complaint(Base):
    """A customer's complaint: the matter, when it came in, the promised deadline, its state."""

    __tablename__ = "complaint"
    # Open complaints per customer are counted by this index.
    __table_args__ = (Index("ix_complaint_customer_id_status", "customer_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    channel: Mapped[ComplaintChannel] = mapped_column(enum_column(ComplaintChannel, "complaint_channel"))
    status: Mapped[ComplaintStatus] = mapped_column(enum_column(ComplaintStatus, "complaint_status"))
    matter: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handler: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
