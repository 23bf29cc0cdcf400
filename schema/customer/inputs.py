"""Inputs of the customer mutations. Optional fields left out are kept; sent as null, cleared."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry import UNSET

from schema.reference import (
    AuditOpinionEnum,
    CreditEventKindEnum,
    CreditStatusEnum,
    GuaranteeStatusEnum,
    IdDocumentTypeEnum,
    IndustryPositionEnum,
    PeriodKindEnum,
)


@strawberry.input(description="An amount of money.")
class MoneyInput:
    amount: Decimal = strawberry.field(
        description="Exact amount (a string such as \"1250000.00\"), at most two decimals."
    )
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY.")


@strawberry.input(description="A new customer.")
class CreateCustomerInput:
    name: str = strawberry.field(description="Registered name (1–200 characters).")
    credit_code: str = strawberry.field(
        description="18-character Unified Social Credit Code; its check character is verified."
    )
    industry_code: str = strawberry.field(description="GB/T 4754-2017 code at division level or deeper, e.g. `C13`.")
    branch_code: str = strawberry.field(description="Branch the customer belongs to.")
    relationship_manager_username: str = strawberry.field(description="A staff member of that branch.")


@strawberry.input(description="Changes to a customer's identity and assignment.")
class UpdateCustomerInput:
    id: strawberry.ID = strawberry.field(description="The customer's global ID.")
    version: int = strawberry.field(description="The version you read; a stale one is a CONFLICT.")
    name: str | None = UNSET
    industry_code: str | None = UNSET
    branch_code: str | None = UNSET
    relationship_manager_username: str | None = UNSET


@strawberry.input(description="A new credit status and its basis.")
class SetCreditStatusInput:
    customer_id: strawberry.ID
    version: int
    status: CreditStatusEnum
    basis: str = strawberry.field(description="The rating and repayment record it rests on (1–4000 characters).")


@strawberry.input(description="Basic information; fields left out are kept, fields sent as null are cleared.")
class BasicInformationInput:
    customer_id: strawberry.ID
    version: int
    registration_authority: str | None = UNSET
    established_on: date | None = UNSET
    licence_issued_on: date | None = UNSET
    business_term_until: date | None = UNSET
    registered_address: str | None = UNSET
    articles_reference: str | None = UNSET
    articles_adopted_on: date | None = UNSET
    legal_representative_name: str | None = UNSET
    legal_representative_id_type: IdDocumentTypeEnum | None = UNSET
    legal_representative_id_number: str | None = UNSET
    legal_representative_phone: str | None = UNSET
    registered_capital: MoneyInput | None = UNSET
    business_scope: str | None = UNSET


@strawberry.input(description="One period's financial statements. Amounts are in `currency`.")
class FinancialStatementInput:
    customer_id: strawberry.ID
    version: int
    period_end: date
    period_kind: PeriodKindEnum
    currency: str
    total_assets: Decimal
    total_liabilities: Decimal
    equity: Decimal
    revenue: Decimal
    net_profit: Decimal
    audit_opinion: AuditOpinionEnum
    current_assets: Decimal | None = UNSET
    current_liabilities: Decimal | None = UNSET
    cash: Decimal | None = UNSET
    accounts_receivable: Decimal | None = UNSET
    inventory: Decimal | None = UNSET
    short_term_debt: Decimal | None = UNSET
    long_term_debt: Decimal | None = UNSET
    advances_from_customers: Decimal | None = UNSET
    cost_of_sales: Decimal | None = UNSET
    operating_profit: Decimal | None = UNSET
    interest_expense: Decimal | None = UNSET
    operating_cash_flow: Decimal | None = UNSET
    investing_cash_flow: Decimal | None = UNSET
    financing_cash_flow: Decimal | None = UNSET
    employees: int | None = UNSET
    auditor: str | None = UNSET
    taxes_paid: Decimal | None = UNSET
    tax_credit_rating: str | None = UNSET


@strawberry.input(description="Operating information; fields left out are kept.")
class OperatingInformationInput:
    customer_id: strawberry.ID
    version: int
    market_share_percent: Decimal | None = UNSET
    industry_position: IndustryPositionEnum | None = UNSET
    main_products: list[str] | None = UNSET
    sales_channels: list[str] | None = UNSET
    upstream_partners: list[str] | None = UNSET
    downstream_partners: list[str] | None = UNSET


@strawberry.input(description="A major investment by the customer.")
class MajorInvestmentInput:
    customer_id: strawberry.ID
    version: int
    description: str
    amount: MoneyInput
    decided_on: date


@strawberry.input(description="A credit-history event.")
class CreditEventInput:
    occurred_on: date
    kind: CreditEventKindEnum
    description: str
    amount: MoneyInput | None = UNSET
    days_past_due: int | None = UNSET


@strawberry.input(description="A guarantee given to a third party.")
class GuaranteeInput:
    beneficiary: str
    amount: MoneyInput
    starts_on: date
    ends_on: date | None = UNSET
    status: GuaranteeStatusEnum | None = UNSET


@strawberry.input(
    description="Credit information: report and rating fields left out are kept; events and guarantees are added."
)
class CreditInformationInput:
    customer_id: strawberry.ID
    version: int
    credit_report_reference: str | None = UNSET
    credit_report_date: date | None = UNSET
    external_rating: str | None = UNSET
    external_rating_agency: str | None = UNSET
    external_rating_date: date | None = UNSET
    add_events: list[CreditEventInput] | None = UNSET
    add_guarantees: list[GuaranteeInput] | None = UNSET
