"""The lender's credit business (R-S2, R-C3, R-M2): applications and their moves, facilities with their
repayment schedules and repayments, and their five-category risk classification as effective-dated
history.

Arrears (days past due, overdue amount) and the outstanding balance are computed from the
schedule and the repayments (``api.services.arrears``), never typed in; the facility row keeps
the latest computation so that lists, counts and indicators read it without recomputing.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, Money, UTCDateTime, utcnow
from api.db.enums import ApplicationStatus, FacilityStatus, RiskCategory, enum_column

_CUSTOMER_FK = "customer.id"
_FACILITY_FK = "credit_facility.id"


class CreditFacility(Base):
    """A credit facility granted to a customer: its terms, and where it stands on ``classified_on``."""

    __tablename__ = "credit_facility"
    __table_args__ = (Index("ix_credit_facility_customer_id_id", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey(_CUSTOMER_FK, ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    product: Mapped[str] = mapped_column(String(100))
    limit_amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    drawn_amount: Mapped[Decimal] = mapped_column(Money)
    start_on: Mapped[date] = mapped_column(Date)
    maturity_on: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Numeric(9, 6))  # yearly, as a fraction (0.0435 is 4.35 %)
    renewal_of_id: Mapped[int | None] = mapped_column(ForeignKey(_FACILITY_FK), index=True)
    # The approved application it was booked from; none for a facility granted before it was recorded here.
    application_id: Mapped[int | None] = mapped_column(ForeignKey("credit_application.id"), unique=True)
    restructured_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[FacilityStatus] = mapped_column(
        enum_column(FacilityStatus, "facility_status"), default=FacilityStatus.ACTIVE, server_default="active")
    # Computed from the schedule and the repayments on ``classified_on`` (api.services.arrears).
    outstanding: Mapped[Decimal] = mapped_column(Money)
    days_past_due: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    overdue_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    category: Mapped[RiskCategory] = mapped_column(
        enum_column(RiskCategory, "risk_category"), default=RiskCategory.NORMAL, server_default="normal")
    category_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    classified_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy types it as an attribute)


class RepaymentInstallment(Base):
    """One installment of a facility's repayment schedule."""

    __tablename__ = "repayment_installment"
    __table_args__ = (UniqueConstraint("facility_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey(_FACILITY_FK, ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    principal: Mapped[Decimal] = mapped_column(Money)
    interest: Mapped[Decimal] = mapped_column(Money)


class Repayment(Base):
    """A repayment received. Its reference is unique per facility: importing a file twice adds nothing."""

    __tablename__ = "repayment"
    __table_args__ = (
        UniqueConstraint("facility_id", "reference"),
        Index("ix_repayment_facility_id_paid_on", "facility_id", "paid_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey(_FACILITY_FK, ondelete="CASCADE"))
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    reference: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(64))


class FacilityClassification(Base):
    """A facility's category from ``effective_on`` until the next entry: kept for ever, with its reasons."""

    __tablename__ = "facility_classification"
    __table_args__ = (
        Index("ix_facility_classification_facility_id_effective_on", "facility_id", "effective_on"),
        Index("ix_facility_classification_customer_id_effective_on", "customer_id", "effective_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey(_FACILITY_FK, ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey(_CUSTOMER_FK, ondelete="CASCADE"))
    category: Mapped[RiskCategory] = mapped_column(enum_column(RiskCategory, "risk_category"))
    effective_on: Mapped[date] = mapped_column(Date)
    days_past_due: Mapped[int] = mapped_column(Integer)
    overdue_amount: Mapped[Decimal] = mapped_column(Money)
    outstanding: Mapped[Decimal] = mapped_column(Money)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules_version: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BorrowerClassification(Base):
    """A borrower's category (its worst facility's, after the borrower-level rules) from ``effective_on``."""

    __tablename__ = "borrower_classification"
    __table_args__ = (
        Index("ix_borrower_classification_customer_id_effective_on", "customer_id", "effective_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey(_CUSTOMER_FK, ondelete="CASCADE"))
    category: Mapped[RiskCategory] = mapped_column(enum_column(RiskCategory, "risk_category"))
    effective_on: Mapped[date] = mapped_column(Date)
    days_past_due: Mapped[int] = mapped_column(Integer)  # the worst facility's
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules_version: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditApplication(Base):
    """A credit application (R-S2): what is asked for, offered as mitigation, and where its review stands.

    The approval deadline comes from the applicant's grade at submission (its treatment's
    ``approval_days``); a green-channel grade puts it first in the reviewers' queue.
    """

    __tablename__ = "credit_application"
    __table_args__ = (
        Index("ix_credit_application_customer_id_id", "customer_id", "id"),
        # The reviewers' queue: open ones, green channel first, then by the day due.
        Index("ix_credit_application_queue", "status", "green_channel", "due_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey(_CUSTOMER_FK, ondelete="CASCADE"))
    product: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(Text)
    collateral: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # kind, description, value
    guarantees: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # guarantor, amount
    status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus, "application_status"))
    grade: Mapped[str | None] = mapped_column(String(1))  # the applicant's grade in force at submission
    green_channel: Mapped[bool] = mapped_column(Boolean, default=False)
    received_on: Mapped[date] = mapped_column(Date)  # the lender's day it came in: the deadline counts from it
    due_on: Mapped[date] = mapped_column(Date)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[str | None] = mapped_column(String(64))
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str | None] = mapped_column(Text)
    exception_reason: Mapped[str | None] = mapped_column(Text)
    approved_amount: Mapped[Decimal | None] = mapped_column(Money)
    approved_rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy types it as an attribute)


class CreditApplicationStep(Base):
    """One move of an application between states, kept for ever: who, when, from, to, and what was said."""

    __tablename__ = "credit_application_step"
    __table_args__ = (Index("ix_credit_application_step_application_id_id", "application_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("credit_application.id", ondelete="CASCADE"))
    from_status: Mapped[ApplicationStatus | None] = mapped_column(enum_column(ApplicationStatus, "from_status"))
    to_status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus, "to_status"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
