"""The external environment (R-I3): events outside the customers, and each touched customer's review."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, UTCDateTime, utcnow
from api.db.enums import ExternalEffect, ExternalEventKind, enum_column


class ExternalEvent(Base):
    """A policy change or market shock, against industry code prefixes and/or branches (regions)."""

    __tablename__ = "external_event"
    __table_args__ = (Index("ix_external_event_occurred_on_id", "occurred_on", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ExternalEventKind] = mapped_column(enum_column(ExternalEventKind, "external_event_kind"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date] = mapped_column(Date)
    industry_prefixes: Mapped[list[str]] = mapped_column(JSON)
    branch_codes: Mapped[list[str]] = mapped_column(JSON)
    customers_touched: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExternalReview(Base):
    """One customer an external event touches: open until its relationship manager assesses the effect."""

    __tablename__ = "external_review"
    __table_args__ = (
        UniqueConstraint("event_id", "customer_id"),
        Index("ix_external_review_customer_id_id", "customer_id", "id"),
        Index("ix_external_review_assessed_at_id", "assessed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("external_event.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    effect: Mapped[ExternalEffect | None] = mapped_column(enum_column(ExternalEffect, "external_effect"))
    assessment: Mapped[str | None] = mapped_column(Text)
    assessed_by: Mapped[str | None] = mapped_column(String(64))
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
