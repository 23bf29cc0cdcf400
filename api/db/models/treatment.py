"""The actions a grade's treatment asks for (R-G1, R-G2), kept as tasks: who owns each, when it is due,
and how far it has come (a D-grade customer's exposure reduction plan and its early recall decisions).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, Money, UTCDateTime, utcnow
from api.db.enums import TreatmentActionKind, TreatmentActionStatus, enum_column


class TreatmentAction(Base):
    """One task of a grade's treatment, raised when the customer came to that grade.

    It is owned by the customer's relationship manager and due a configured number of days after
    it was raised; it is done by its owner (with what was done), or withdrawn by the service when
    the grade leaves the treatment that asked for it.
    """

    __tablename__ = "treatment_action"
    __table_args__ = (
        Index("ix_treatment_action_customer_id_id", "customer_id", "id"),
        # Each owner's worklist: open ones soonest due first.
        Index("ix_treatment_action_owner", "owner", "status", "due_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    kind: Mapped[TreatmentActionKind] = mapped_column(enum_column(TreatmentActionKind, "treatment_action_kind"))
    title: Mapped[str] = mapped_column(String(200))
    grade: Mapped[str] = mapped_column(String(1))  # the grade whose treatment asked for it
    treatment_version: Mapped[str] = mapped_column(String(32))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    raised_by: Mapped[str] = mapped_column(String(64))  # grading:<strategy> or the override's approver
    due_on: Mapped[date] = mapped_column(Date)
    owner: Mapped[str | None] = mapped_column(String(64))  # the relationship manager's username
    status: Mapped[TreatmentActionStatus] = mapped_column(
        enum_column(TreatmentActionStatus, "treatment_action_status"))
    # An exposure reduction plan: from what balance, to what balance, by when (one currency).
    currency: Mapped[str | None] = mapped_column(String(3))
    baseline_balance: Mapped[Decimal | None] = mapped_column(Money)
    target_balance: Mapped[Decimal | None] = mapped_column(Money)
    target_on: Mapped[date | None] = mapped_column(Date)
    plan: Mapped[str | None] = mapped_column(Text)
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    planned_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_on: Mapped[date | None] = mapped_column(Date)  # the lender's day: on time when by ``due_on``
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closing_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy types it as an attribute)


class RecallDecision(Base):
    """Whether to recall one facility early, decided once per facility of an early recall task."""

    __tablename__ = "recall_decision"
    __table_args__ = (UniqueConstraint("action_id", "facility_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("treatment_action.id", ondelete="CASCADE"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("credit_facility.id", ondelete="CASCADE"), index=True)
    recall: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[Decimal | None] = mapped_column(Money)  # what is called in, when recalled
    recall_on: Mapped[date | None] = mapped_column(Date)  # by which day
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(64))
