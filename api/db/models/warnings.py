"""Early warnings (R-S3): a rule's finding about a customer, and what staff did about it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, UTCDateTime, utcnow
from api.db.enums import WarningSeverity, WarningStatus, enum_column


class EarlyWarning(Base):
    """One warning: which rule (and version) found what, with its evidence, and its lifecycle."""

    __tablename__ = "early_warning"
    __table_args__ = (
        # One warning per rule and condition, ever: the same condition is never raised twice.
        UniqueConstraint("customer_id", "rule_id", "key"),
        Index("ix_early_warning_customer_id_raised_at", "customer_id", "raised_at", "id"),
        Index("ix_early_warning_raised_at_id", "raised_at", "id"),
        Index("ix_early_warning_status_raised_at", "status", "raised_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(64))
    rule_version: Mapped[str] = mapped_column(String(32))
    plugin_name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    severity: Mapped[WarningSeverity] = mapped_column(enum_column(WarningSeverity, "warning_severity"))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    trigger: Mapped[str] = mapped_column(String(32))
    status: Mapped[WarningStatus] = mapped_column(enum_column(WarningStatus, "warning_status"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    measures: Mapped[str | None] = mapped_column(Text)
    measures_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    measures_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    close_note: Mapped[str | None] = mapped_column(Text)
