"""The customer (the aggregate root) and its change history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, UTCDateTime, utcnow
from api.db.enums import CreditStatus, EnterpriseSize, InfoGroup, enum_column


class Customer(Base):
    __tablename__ = "customer"
    # A branch's or a relationship manager's page in id order reads its own index range.
    __table_args__ = (
        Index("ix_customer_branch_code_id", "branch_code", "id"),
        Index("ix_customer_relationship_manager_id_id", "relationship_manager_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    industry_code: Mapped[str] = mapped_column(String(8), index=True)
    branch_code: Mapped[str] = mapped_column(ForeignKey("branch.code"), index=True)
    relationship_manager_id: Mapped[int] = mapped_column(
        ForeignKey("staff_member.id"), index=True
    )

    size: Mapped[EnterpriseSize | None] = mapped_column(
        enum_column(EnterpriseSize, "size"), index=True
    )
    size_rule_version: Mapped[str | None] = mapped_column(String(32))
    size_rule_id: Mapped[str | None] = mapped_column(String(48))
    size_inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    size_determined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    credit_status: Mapped[CreditStatus] = mapped_column(
        enum_column(CreditStatus, "credit_status"), index=True
    )
    credit_status_basis: Mapped[str] = mapped_column(Text)
    credit_status_set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    credit_status_set_by: Mapped[str] = mapped_column(String(64))

    # The grade in force (latest assessment, or its approved override), kept on the row so that
    # lists filter by it and a page reads it without a join.
    grade: Mapped[str | None] = mapped_column(String(1), index=True)
    grade_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), index=True)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Kept on the row so "stale" and "recent major change" filter and sort with an index.
    latest_statement_period_end: Mapped[date | None] = mapped_column(Date, index=True)
    last_major_change_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    # Revisits (R-I2, R-I3): the schedule follows the grade's treatment; a revisit or site visit
    # confirms information groups as current on its day. Not part of the record's version: a
    # contact or a schedule never conflicts with an edit of the customer.
    next_revisit_on: Mapped[date | None] = mapped_column(Date, index=True)
    last_revisit_on: Mapped[date | None] = mapped_column(Date)
    basic_verified_on: Mapped[date | None] = mapped_column(Date)
    financial_verified_on: Mapped[date | None] = mapped_column(Date)
    operating_verified_on: Mapped[date | None] = mapped_column(Date)
    credit_verified_on: Mapped[date | None] = mapped_column(Date)

    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    # Every UPDATE checks and bumps the version: two writers of one version cannot both win.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy types it as an attribute, not a ClassVar)


class CustomerChange(Base):
    """One field of a customer changed: who, when, old → new, and whether it is a major change."""

    __tablename__ = "customer_change"
    __table_args__ = (Index("ix_customer_change_customer_id_id", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(64))
    info_group: Mapped[InfoGroup] = mapped_column(enum_column(InfoGroup, "info_group"))
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    major: Mapped[bool] = mapped_column(Boolean, default=False)
