"""Grades: every assessment kept as history, and overrides awaiting or given approval."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Numeric, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, UTCDateTime, utcnow


class GradeAssessment(Base):
    """One run of a grading strategy for a customer: grade, score, factors, and what it used."""

    __tablename__ = "grade_assessment"
    __table_args__ = (Index("ix_grade_assessment_customer_id_id", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assessed_by: Mapped[str] = mapped_column(String(64))
    # assessment, financial_statement, credit_information, industry_change, regrade
    trigger: Mapped[str] = mapped_column(String(24))
    grade: Mapped[str] = mapped_column(String(1))
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    strategy_id: Mapped[str] = mapped_column(String(100))
    strategy_version: Mapped[str] = mapped_column(String(50))
    plugin_name: Mapped[str] = mapped_column(String(200))
    plugin_distribution: Mapped[str] = mapped_column(String(200))
    plugin_version: Mapped[str] = mapped_column(String(50))
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    knock_outs: Mapped[list[str]] = mapped_column(JSON)
    answers: Mapped[dict[str, str]] = mapped_column(JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)  # financial and credit facts
    # Facts of other data classes, each shown as its class allows.
    established_on: Mapped[date | None] = mapped_column(Date)
    operating_facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Required questions left unanswered: such an assessment is stored but never put in force.
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    missing_answers: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class GradingFailure(Base):
    """An automatic re-grade that failed: the information that triggered it stands, no grade was
    stored, and the relationship manager and administrators can see why."""

    __tablename__ = "grading_failure"
    __table_args__ = (Index("ix_grading_failure_customer_id_id", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Whose change triggered it (token ``sub``), or the bulk run (``regrade:<run id>``).
    triggered_by: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(24))
    strategy_id: Mapped[str] = mapped_column(String(100))
    plugin_name: Mapped[str] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(Text)


class GradeOverride(Base):
    """A proposal to move a grade one step, and the second person's decision on it."""

    __tablename__ = "grade_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("grade_assessment.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    from_grade: Mapped[str] = mapped_column(String(1))
    to_grade: Mapped[str] = mapped_column(String(1))
    direction: Mapped[str] = mapped_column(String(8))  # up, down
    reason_code: Mapped[str] = mapped_column(String(40))
    reason_text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), index=True)  # pending, approved, rejected
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_comment: Mapped[str | None] = mapped_column(Text)


class RegradeRun(Base):
    """A bulk re-grading run, with its checkpoint: an interrupted run resumes where it stopped."""

    __tablename__ = "regrade_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(64))
    industry: Mapped[str | None] = mapped_column(String(8))  # a GB/T 4754 prefix, or all
    last_customer_id: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    # Assessments stored as provisional: required answers missing, so no grade was put in force.
    provisional: Mapped[int] = mapped_column(default=0, server_default="0")
