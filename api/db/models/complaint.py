"""Complaints from intake to closure (R-Q1 … R-Q4): the complaint, its moves, team, investigations,
plans, feedback, deadline extensions and compensations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, UTCDateTime, utcnow
from api.db.enums import (
    CompensationStatus,
    ComplaintCategory,
    ComplaintCause,
    ComplaintChannel,
    ComplaintOutcome,
    ComplaintStatus,
    TeamCapacity,
    enum_column,
)


class Complaint(Base):
    """A complaint: who complains (a customer, or a party not yet one), about what, when it came in,
    the decision day promised under the SLA policy, and where it stands."""

    __tablename__ = "complaint"
    __table_args__ = (
        # Open complaints per customer are counted by this index.
        Index("ix_complaint_customer_id_status", "customer_id", "status"),
        # The root list pages newest first, and the worklists by the promised day.
        Index("ix_complaint_received_at_id", "received_at", "id"),
        Index("ix_complaint_status_due_on", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    # A party not yet a customer: its name, credit code and how to reach it.
    complainant_name: Mapped[str | None] = mapped_column(String(200))
    complainant_credit_code: Mapped[str | None] = mapped_column(String(18))
    complainant_contact: Mapped[str | None] = mapped_column(String(200))
    # The branch that owns the complaint: the customer's, or where a non-customer's came in.
    branch_code: Mapped[str] = mapped_column(ForeignKey("branch.code"), index=True)
    channel: Mapped[ComplaintChannel] = mapped_column(enum_column(ComplaintChannel, "complaint_channel"))
    channel_reference: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[ComplaintCategory] = mapped_column(enum_column(ComplaintCategory, "complaint_category"))
    status: Mapped[ComplaintStatus] = mapped_column(enum_column(ComplaintStatus, "complaint_status"))
    matter: Mapped[str] = mapped_column(Text)
    request: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The lender's calendar day of receipt, and the decision day promised under ``sla_policy``.
    received_on: Mapped[date] = mapped_column(Date)
    sla_policy: Mapped[str] = mapped_column(String(32))
    sla_stage: Mapped[int] = mapped_column(SmallInteger, default=0)
    first_due_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    handler: Mapped[str] = mapped_column(String(64))
    root_cause: Mapped[ComplaintCause | None] = mapped_column(enum_column(ComplaintCause, "complaint_cause"))
    lender_at_fault: Mapped[bool | None] = mapped_column(Boolean)
    # When the complainant was first told the decision (the first feedback): what the deadline measures.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[ComplaintOutcome | None] = mapped_column(enum_column(ComplaintOutcome, "complaint_outcome"))
    reopened_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Two handlers moving one complaint at once: the second write finds a newer version (CONFLICT).
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy types it as an attribute)


class ComplaintTransition(Base):
    """One move of a complaint between states: who, when, from, to, and the note; never changed."""

    __tablename__ = "complaint_transition"
    __table_args__ = (Index("ix_complaint_transition_complaint_id_id", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    from_status: Mapped[ComplaintStatus | None] = mapped_column(enum_column(ComplaintStatus, "from_status"))
    to_status: Mapped[ComplaintStatus] = mapped_column(enum_column(ComplaintStatus, "to_status"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class ComplaintTeamMember(Base):
    """A member of a complaint's investigation team, in the capacity they sit in (R-Q2)."""

    __tablename__ = "complaint_team_member"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    capacity: Mapped[TeamCapacity] = mapped_column(enum_column(TeamCapacity, "team_capacity"))
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    appointed_by: Mapped[str] = mapped_column(String(64))


class ComplaintInvestigation(Base):
    """What an investigation examined, what it found and the root cause (R-Q2)."""

    __tablename__ = "complaint_investigation"
    __table_args__ = (Index("ix_complaint_investigation_complaint_id_id", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    # [{"kind": "files"|"talk"|"site_visit", "description": …, "on": "YYYY-MM-DD"}]
    examined: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    findings: Mapped[str] = mapped_column(Text)
    root_cause: Mapped[ComplaintCause] = mapped_column(enum_column(ComplaintCause, "root_cause"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(64))


class ComplaintPlan(Base):
    """A handling plan: the responsible department and person, the measures and the deadline (R-Q3)."""

    __tablename__ = "complaint_plan"
    __table_args__ = (Index("ix_complaint_plan_complaint_id_id", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    department: Mapped[str] = mapped_column(String(200))
    responsible: Mapped[str] = mapped_column(String(64))
    measures: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)
    lender_at_fault: Mapped[bool] = mapped_column(Boolean)
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    agreed_by: Mapped[str] = mapped_column(String(64))


class ComplaintFeedback(Base):
    """The result told to the complainant, and their response (R-Q3)."""

    __tablename__ = "complaint_feedback"
    __table_args__ = (Index("ix_complaint_feedback_complaint_id_id", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    explanation: Mapped[str] = mapped_column(Text)
    response: Mapped[str | None] = mapped_column(Text)
    satisfied: Mapped[bool] = mapped_column(Boolean)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    given_by: Mapped[str] = mapped_column(String(64))


class ComplaintExtension(Base):
    """A deadline moved to the SLA policy's next stage, with what that stage needs (R-Q1)."""

    __tablename__ = "complaint_extension"
    __table_args__ = (Index("ix_complaint_extension_complaint_id_id", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(32))
    from_due_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    complainant_told_on: Mapped[date | None] = mapped_column(Date)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(64))


class ComplaintCompensation(Base):
    """A compensation for a complaint where the lender was at fault: proposed by one person, approved
    by another, then recorded as paid (R-Q3)."""

    __tablename__ = "complaint_compensation"
    __table_args__ = (Index("ix_complaint_compensation_complaint_id_id", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[CompensationStatus] = mapped_column(enum_column(CompensationStatus, "compensation_status"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    proposed_by: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_reference: Mapped[str | None] = mapped_column(String(100))
    paid_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy types it as an attribute)
