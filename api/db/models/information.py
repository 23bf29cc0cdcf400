"""The four information groups kept for each customer (R-I1): basic, financial, operating, credit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, Money, UTCDateTime, utcnow
from api.db.enums import (
    AuditOpinion,
    CreditEventKind,
    GuaranteeStatus,
    IdDocumentType,
    IndustryPosition,
    PeriodKind,
    enum_column,
)

_CUSTOMER_FK = "customer.id"


class BasicInformation(Base):
    """Licence, articles, legal representative, registered capital, business scope."""

    __tablename__ = "basic_information"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey(_CUSTOMER_FK, ondelete="CASCADE"), primary_key=True
    )
    registration_authority: Mapped[str | None] = mapped_column(String(200))
    established_on: Mapped[date | None] = mapped_column(Date)
    licence_issued_on: Mapped[date | None] = mapped_column(Date)
    business_term_until: Mapped[date | None] = mapped_column(Date)
    registered_address: Mapped[str | None] = mapped_column(String(500))
    articles_reference: Mapped[str | None] = mapped_column(String(200))
    articles_adopted_on: Mapped[date | None] = mapped_column(Date)
    legal_representative_name: Mapped[str | None] = mapped_column(String(100))
    legal_representative_id_type: Mapped[IdDocumentType | None] = mapped_column(
        enum_column(IdDocumentType, "id_type")
    )
    legal_representative_id_number: Mapped[str | None] = mapped_column(String(64))
    legal_representative_phone: Mapped[str | None] = mapped_column(String(32))
    registered_capital: Mapped[Decimal | None] = mapped_column(Money)
    registered_capital_currency: Mapped[str | None] = mapped_column(String(3))
    business_scope: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FinancialStatement(Base):
    """One reporting period's balance sheet, income and cash-flow figures, audit and tax."""

    __tablename__ = "financial_statement"
    __table_args__ = (UniqueConstraint("customer_id", "period_end", "period_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey(_CUSTOMER_FK, ondelete="CASCADE"), index=True
    )
    period_end: Mapped[date] = mapped_column(Date)
    period_kind: Mapped[PeriodKind] = mapped_column(enum_column(PeriodKind, "period_kind"))
    currency: Mapped[str] = mapped_column(String(3))
    # Balance sheet
    total_assets: Mapped[Decimal] = mapped_column(Money)
    total_liabilities: Mapped[Decimal] = mapped_column(Money)
    current_assets: Mapped[Decimal | None] = mapped_column(Money)
    current_liabilities: Mapped[Decimal | None] = mapped_column(Money)
    cash: Mapped[Decimal | None] = mapped_column(Money)
    accounts_receivable: Mapped[Decimal | None] = mapped_column(Money)
    inventory: Mapped[Decimal | None] = mapped_column(Money)
    short_term_debt: Mapped[Decimal | None] = mapped_column(Money)
    long_term_debt: Mapped[Decimal | None] = mapped_column(Money)
    advances_from_customers: Mapped[Decimal | None] = mapped_column(Money)
    equity: Mapped[Decimal] = mapped_column(Money)
    # Income statement
    revenue: Mapped[Decimal] = mapped_column(Money)
    cost_of_sales: Mapped[Decimal | None] = mapped_column(Money)
    operating_profit: Mapped[Decimal | None] = mapped_column(Money)
    interest_expense: Mapped[Decimal | None] = mapped_column(Money)
    net_profit: Mapped[Decimal] = mapped_column(Money)
    # Cash-flow statement
    operating_cash_flow: Mapped[Decimal | None] = mapped_column(Money)
    investing_cash_flow: Mapped[Decimal | None] = mapped_column(Money)
    financing_cash_flow: Mapped[Decimal | None] = mapped_column(Money)
    employees: Mapped[int | None] = mapped_column(Integer)
    # Audit report and tax records
    audit_opinion: Mapped[AuditOpinion] = mapped_column(enum_column(AuditOpinion, "audit_opinion"))
    auditor: Mapped[str | None] = mapped_column(String(200))
    taxes_paid: Mapped[Decimal | None] = mapped_column(Money)
    tax_credit_rating: Mapped[str | None] = mapped_column(String(2))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(64))


class OperatingInformation(Base):
    """Market share, industry position, products, channels, upstream and downstream partners."""

    __tablename__ = "operating_information"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey(_CUSTOMER_FK, ondelete="CASCADE"), primary_key=True
    )
    market_share_percent: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    industry_position: Mapped[IndustryPosition | None] = mapped_column(
        enum_column(IndustryPosition, "industry_position")
    )
    main_products: Mapped[list[str]] = mapped_column(JSON, default=list)
    sales_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    upstream_partners: Mapped[list[str]] = mapped_column(JSON, default=list)
    downstream_partners: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MajorInvestment(Base):
    """A major investment by the customer: a major change under R-I2."""

    __tablename__ = "major_investment"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey(_CUSTOMER_FK, ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(String(500))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    decided_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(64))


class CreditInformation(Base):
    """Credit report reference and external rating."""

    __tablename__ = "credit_information"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey(_CUSTOMER_FK, ondelete="CASCADE"), primary_key=True
    )
    credit_report_reference: Mapped[str | None] = mapped_column(String(64))
    credit_report_date: Mapped[date | None] = mapped_column(Date)
    external_rating: Mapped[str | None] = mapped_column(String(16))
    external_rating_agency: Mapped[str | None] = mapped_column(String(100))
    external_rating_date: Mapped[date | None] = mapped_column(Date)
    # The borrower's debt at all banks, and how much of it is overdue more than 90 days (from the
    # credit report of ``bank_debt_reported_on``): the classification's borrower rule reads it.
    bank_debt_total: Mapped[Decimal | None] = mapped_column(Money)
    bank_debt_overdue_long: Mapped[Decimal | None] = mapped_column(Money)
    bank_debt_reported_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditEvent(Base):
    """One event of the customer's credit history (repaid, overdue, default, litigation...)."""

    __tablename__ = "credit_event"
    __table_args__ = (Index("ix_credit_event_customer_id_occurred_on", "customer_id", "occurred_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey(_CUSTOMER_FK, ondelete="CASCADE"))
    occurred_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[CreditEventKind] = mapped_column(enum_column(CreditEventKind, "event_kind"))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    days_past_due: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(64))


class Guarantee(Base):
    """A guarantee the customer has given to a third party (a contingent liability)."""

    __tablename__ = "guarantee"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey(_CUSTOMER_FK, ondelete="CASCADE"), index=True
    )
    beneficiary: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[GuaranteeStatus] = mapped_column(enum_column(GuaranteeStatus, "guarantee_status"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(64))
