"""The four information groups (basic, financial, operating, credit) as GraphQL types."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay

from api.services import information_reads as reads
from schema.context import Info
from schema.convert import from_row
from schema.data_classes import classes, classified
from schema.reads import Projection, Related, declare
from schema.reference import (
    AuditOpinionEnum,
    CreditEventKindEnum,
    GuaranteeStatusEnum,
    IdDocumentTypeEnum,
    IndustryPositionEnum,
    PeriodKindEnum,
)
from schema.resolve import related
from schema.scalars import CurrencyCode


@strawberry.type(description="An amount of money: exact decimal (a string on the wire) and its currency.")
class Money:
    amount: Decimal = strawberry.field(description="Exact amount, two decimal places.")
    currency: CurrencyCode = strawberry.field(description="ISO 4217 currency code.")


def money(amount: Decimal | None, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money(amount=amount, currency=CurrencyCode(currency))


# Readings of the groups' computed and related fields (``schema.reads``), used by both read paths.
# ``sql``: the columns of the row each was built from (PostgreSQL builds the object from them).
REGISTERED_CAPITAL = Projection(
    (), lambda group: money(group.registered_capital_amount, group.registered_capital_currency),
    sql={"amount": "registered_capital", "currency": "registered_capital_currency"},
    null_if=("registered_capital", "registered_capital_currency"),
)
AMOUNT = Projection(
    (), lambda item: Money(amount=item.amount_value, currency=item.currency),
    sql={"amount": "amount", "currency": "currency"},
)
AMOUNT_IF_ANY = Projection(
    (), lambda item: money(item.amount_value, item.currency), sql={"amount": "amount", "currency": "currency"},
    null_if=("amount", "currency"),
)
INVESTMENTS = Related(
    "customer_id", lambda s, ids, _: reads.major_investments(s, ids),
    lambda row, _: from_row(MajorInvestment, row, amount_value=row.amount),
    sql_rows=reads.investments_sql, order=("decided_on", "id"),
)
EVENTS = Related(
    "customer_id", lambda s, ids, _: reads.credit_events(s, ids),
    lambda row, _: from_row(CreditEvent, row, amount_value=row.amount),
    sql_rows=reads.events_sql, order=("occurred_on", "id"),
)
GUARANTEES = Related(
    "customer_id", lambda s, ids, _: reads.guarantees(s, ids),
    lambda row, _: from_row(Guarantee, row, amount_value=row.amount),
    sql_rows=reads.guarantees_sql, order=("starts_on", "id"),
)


@classified("basic")
@strawberry.type(description="Business licence, articles of association, legal representative, capital and scope.")
class BasicInformation:
    registration_authority: str | None = strawberry.field(description="Authority that issued the business licence.")
    established_on: date | None = strawberry.field(description="Date the company was established.")
    licence_issued_on: date | None = strawberry.field(description="Date the current licence was issued.")
    business_term_until: date | None = strawberry.field(description="End of the business term; null if unlimited.")
    registered_address: str | None = strawberry.field(description="Registered address.")
    articles_reference: str | None = strawberry.field(description="Reference of the articles of association on file.")
    articles_adopted_on: date | None = strawberry.field(description="Date the articles were adopted.")
    legal_representative_name: str | None = strawberry.field(description="Legal representative's name.")
    # A natural person's identity document and phone: identity information, its own class.
    legal_representative_id_type: IdDocumentTypeEnum | None = strawberry.field(
        description="Kind of the legal representative's identity document.", metadata=classes("identity")
    )
    legal_representative_id_number: str | None = strawberry.field(
        description="Number of the legal representative's identity document.", metadata=classes("identity")
    )
    legal_representative_phone: str | None = strawberry.field(
        description="Legal representative's phone.", metadata=classes("identity")
    )
    business_scope: str | None = strawberry.field(description="Business scope as registered.")
    updated_at: datetime = strawberry.field(description="When this group last changed.")
    customer_id: strawberry.Private[int]
    registered_capital_amount: strawberry.Private[Decimal | None]
    registered_capital_currency: strawberry.Private[str | None]

    @strawberry.field(description="Registered capital.", metadata=declare(REGISTERED_CAPITAL, "basic"))
    def registered_capital(self) -> Money | None:
        return REGISTERED_CAPITAL.value(self)  # type: ignore[no-any-return]


def basic_information(row: Any) -> BasicInformation:
    return from_row(
        BasicInformation, row, registered_capital_amount=row.registered_capital
    )


@classified("financial")
@strawberry.type(description="One reporting period's financial statements, audit opinion and tax record.")
class FinancialStatement(relay.Node):
    id: relay.NodeID[int]
    period_end: date = strawberry.field(description="Last day of the period.")
    period_kind: PeriodKindEnum = strawberry.field(description="Annual, semi-annual or quarterly.")
    currency: CurrencyCode = strawberry.field(description="Currency of every figure (ISO 4217).")
    total_assets: Decimal = strawberry.field(description="Balance sheet: total assets.")
    total_liabilities: Decimal = strawberry.field(description="Balance sheet: total liabilities.")
    current_assets: Decimal | None = strawberry.field(description="Balance sheet: current assets.")
    current_liabilities: Decimal | None = strawberry.field(description="Balance sheet: current liabilities.")
    cash: Decimal | None = strawberry.field(description="Balance sheet: cash and equivalents.")
    accounts_receivable: Decimal | None = strawberry.field(description="Balance sheet: accounts receivable.")
    inventory: Decimal | None = strawberry.field(description="Balance sheet: inventory.")
    short_term_debt: Decimal | None = strawberry.field(description="Balance sheet: short-term borrowings.")
    long_term_debt: Decimal | None = strawberry.field(description="Balance sheet: long-term borrowings.")
    advances_from_customers: Decimal | None = strawberry.field(
        description="Balance sheet: advances (contract liabilities) from customers."
    )
    equity: Decimal = strawberry.field(description="Balance sheet: owners' equity.")
    revenue: Decimal = strawberry.field(description="Income statement: operating revenue.")
    cost_of_sales: Decimal | None = strawberry.field(description="Income statement: cost of sales.")
    operating_profit: Decimal | None = strawberry.field(description="Income statement: operating profit.")
    interest_expense: Decimal | None = strawberry.field(description="Income statement: interest expense.")
    net_profit: Decimal = strawberry.field(description="Income statement: net profit.")
    operating_cash_flow: Decimal | None = strawberry.field(description="Cash flow from operating activities.")
    investing_cash_flow: Decimal | None = strawberry.field(description="Cash flow from investing activities.")
    financing_cash_flow: Decimal | None = strawberry.field(description="Cash flow from financing activities.")
    employees: int | None = strawberry.field(description="Headcount at period end.")
    audit_opinion: AuditOpinionEnum = strawberry.field(description="Auditor's opinion.")
    auditor: str | None = strawberry.field(description="Audit firm.")
    taxes_paid: Decimal | None = strawberry.field(description="Taxes paid in the period.")
    tax_credit_rating: str | None = strawberry.field(description="Tax credit rating (A, B, M, C, D).")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    recorded_by: str = strawberry.field(description="Who recorded it.")
    customer_id: strawberry.Private[int]


@classified("operating")
@strawberry.type(description="A major investment by the customer (kept in history as a major change).")
class MajorInvestment(relay.Node):
    id: relay.NodeID[int]
    description: str = strawberry.field(description="What was invested in.")
    decided_on: date = strawberry.field(description="When it was decided.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    customer_id: strawberry.Private[int]
    amount_value: strawberry.Private[Decimal]
    currency: strawberry.Private[str]

    @strawberry.field(description="Amount invested.", metadata=declare(AMOUNT, "operating"))
    def amount(self) -> Money:
        return AMOUNT.value(self)  # type: ignore[no-any-return]


@classified("operating")
@strawberry.type(description="Market share, industry position, products, channels and partners.")
class OperatingInformation:
    market_share_percent: Decimal | None = strawberry.field(description="Market share, percent (0–100).")
    industry_position: IndustryPositionEnum | None = strawberry.field(description="Standing in its industry.")
    main_products: list[str] = strawberry.field(description="Main products or services.")
    sales_channels: list[str] = strawberry.field(description="Sales channels.")
    upstream_partners: list[str] = strawberry.field(description="Main suppliers.")
    downstream_partners: list[str] = strawberry.field(description="Main buyers.")
    updated_at: datetime = strawberry.field(description="When this group last changed.")
    customer_id: strawberry.Private[int]

    @strawberry.field(description="Major investments, newest first.", metadata=declare(INVESTMENTS, "operating"))
    async def major_investments(self, info: Info) -> list[MajorInvestment]:
        return await related(info, INVESTMENTS, self)  # type: ignore[no-any-return]


@classified("credit")
@strawberry.type(description="One event of the customer's credit history.")
class CreditEvent(relay.Node):
    id: relay.NodeID[int]
    occurred_on: date = strawberry.field(description="When it happened.")
    kind: CreditEventKindEnum = strawberry.field(description="What kind of event.")
    days_past_due: int | None = strawberry.field(description="Days past due, for overdue events.")
    description: str = strawberry.field(description="What happened.")
    customer_id: strawberry.Private[int]
    amount_value: strawberry.Private[Decimal | None]
    currency: strawberry.Private[str | None]

    @strawberry.field(description="Amount concerned, if any.", metadata=declare(AMOUNT_IF_ANY, "credit"))
    def amount(self) -> Money | None:
        return AMOUNT_IF_ANY.value(self)  # type: ignore[no-any-return]


@classified("credit")
@strawberry.type(description="A guarantee the customer gave to a third party.")
class Guarantee(relay.Node):
    id: relay.NodeID[int]
    beneficiary: str = strawberry.field(description="Whose debt is guaranteed.")
    starts_on: date = strawberry.field(description="Start of the guarantee.")
    ends_on: date | None = strawberry.field(description="End of the guarantee, if fixed.")
    status: GuaranteeStatusEnum = strawberry.field(description="Active, released or called.")
    customer_id: strawberry.Private[int]
    amount_value: strawberry.Private[Decimal]
    currency: strawberry.Private[str]

    @strawberry.field(description="Amount guaranteed.", metadata=declare(AMOUNT, "credit"))
    def amount(self) -> Money:
        return AMOUNT.value(self)  # type: ignore[no-any-return]


@classified("credit")
@strawberry.type(description="Credit report, external rating, credit history and guarantees given.")
class CreditInformation:
    credit_report_reference: str | None = strawberry.field(description="Reference of the latest credit report.")
    credit_report_date: date | None = strawberry.field(description="Date of that report.")
    external_rating: str | None = strawberry.field(description="External credit rating, e.g. `AA`.")
    external_rating_agency: str | None = strawberry.field(description="Agency that gave the rating.")
    external_rating_date: date | None = strawberry.field(description="Date of the rating.")
    bank_debt_total: Decimal | None = strawberry.field(description="The borrower's debt at all banks (credit report).")
    bank_debt_overdue_long: Decimal | None = strawberry.field(
        description="How much of the debt at all banks is overdue more than 90 days.")
    bank_debt_reported_on: date | None = strawberry.field(description="The day of the report of the debt at all banks.")
    updated_at: datetime = strawberry.field(description="When this group last changed.")
    customer_id: strawberry.Private[int]

    @strawberry.field(description="Credit history, newest first.", metadata=declare(EVENTS, "credit"))
    async def events(self, info: Info) -> list[CreditEvent]:
        return await related(info, EVENTS, self)  # type: ignore[no-any-return]

    @strawberry.field(description="Guarantees given to others, newest first.", metadata=declare(GUARANTEES, "credit"))
    async def guarantees(self, info: Info) -> list[Guarantee]:
        return await related(info, GUARANTEES, self)  # type: ignore[no-any-return]
