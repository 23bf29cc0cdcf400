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
from schema.scalars import CurrencyCode


@strawberry.input(description="An amount of money.")
class MoneyInput:
    amount: Decimal = strawberry.field(
        description="Exact amount (a string such as \"1250000.00\"), at most two decimals."
    )
    currency: CurrencyCode = strawberry.field(description="Active ISO 4217 code, e.g. CNY.")


@strawberry.input(description="A new customer.")
class CreateCustomerInput:
    name: str = strawberry.field(description="Registered name (1–200 characters).")
    credit_code: str = strawberry.field(
        description="18-character Unified Social Credit Code; its check character is verified."
    )
    industry_code: str = strawberry.field(description="GB/T 4754-2017 code at division level or deeper, e.g. `C13`.")
    branch_code: str = strawberry.field(description="Branch the customer belongs to.")
    relationship_manager_username: str = strawberry.field(description="A staff member of that branch.")


# Every mutation of a customer names it and carries the version read (optimistic concurrency).
_CUSTOMER = "The customer's global ID."
_VERSION = "The customer's `version` as you read it; a stale one is a CONFLICT and nothing changes."
_KEPT = " Left out: kept; null: cleared."


@strawberry.input(description="Changes to a customer's identity and assignment; fields left out are kept.")
class UpdateCustomerInput:
    id: strawberry.ID = strawberry.field(description=_CUSTOMER)
    version: int = strawberry.field(description=_VERSION)
    name: str | None = strawberry.field(default=UNSET, description="New registered name (1–200 characters).")
    industry_code: str | None = strawberry.field(
        default=UNSET, description="New GB/T 4754-2017 code at division level or deeper; re-derives the size."
    )
    branch_code: str | None = strawberry.field(default=UNSET, description="The branch the customer moves to.")
    relationship_manager_username: str | None = strawberry.field(
        default=UNSET, description="The staff member to look after the customer, of its (new) branch."
    )


@strawberry.input(description="A new credit status and its basis.")
class SetCreditStatusInput:
    customer_id: strawberry.ID = strawberry.field(description=_CUSTOMER)
    version: int = strawberry.field(description=_VERSION)
    status: CreditStatusEnum = strawberry.field(description="The new status.")
    basis: str = strawberry.field(description="The rating and repayment record it rests on (1–4000 characters).")


@strawberry.input(description="Basic information; fields left out are kept, fields sent as null are cleared.")
class BasicInformationInput:
    customer_id: strawberry.ID = strawberry.field(description=_CUSTOMER)
    version: int = strawberry.field(description=_VERSION)
    registration_authority: str | None = strawberry.field(
        default=UNSET, description="Authority that issued the business licence (1–200 characters)." + _KEPT
    )
    established_on: date | None = strawberry.field(
        default=UNSET, description="Date the company was established; not in the future." + _KEPT
    )
    licence_issued_on: date | None = strawberry.field(
        default=UNSET, description="Date the current licence was issued; not in the future." + _KEPT
    )
    business_term_until: date | None = strawberry.field(
        default=UNSET, description="End of the business term; null if unlimited." + _KEPT
    )
    registered_address: str | None = strawberry.field(
        default=UNSET, description="Registered address (1–500 characters)." + _KEPT
    )
    articles_reference: str | None = strawberry.field(
        default=UNSET, description="Reference of the articles of association on file." + _KEPT
    )
    articles_adopted_on: date | None = strawberry.field(
        default=UNSET, description="Date the articles were adopted; not in the future." + _KEPT
    )
    legal_representative_name: str | None = strawberry.field(
        default=UNSET, description="Legal representative's name; a change is a major change." + _KEPT
    )
    legal_representative_id_type: IdDocumentTypeEnum | None = strawberry.field(
        default=UNSET, description="Kind of the legal representative's identity document." + _KEPT
    )
    legal_representative_id_number: str | None = strawberry.field(
        default=UNSET,
        description="Number of that document; a resident ID card's check character is verified; a change is "
        "a major change." + _KEPT,
    )
    legal_representative_phone: str | None = strawberry.field(
        default=UNSET, description="Legal representative's phone: digits, spaces and dashes, optionally `+`." + _KEPT
    )
    registered_capital: MoneyInput | None = strawberry.field(default=UNSET, description="Registered capital." + _KEPT)
    business_scope: str | None = strawberry.field(
        default=UNSET, description="Business scope as registered (1–4000 characters); a change is a major change."
        + _KEPT
    )


_AMOUNT = " An amount in `currency`: a string, at most two decimals."
_OPTIONAL_AMOUNT = _AMOUNT + " Optional."


@strawberry.input(description="One period's financial statements. Amounts are in `currency`.")
class FinancialStatementInput:
    customer_id: strawberry.ID = strawberry.field(description=_CUSTOMER)
    version: int = strawberry.field(description=_VERSION)
    period_end: date = strawberry.field(description="Last day of the period; not in the future.")
    period_kind: PeriodKindEnum = strawberry.field(description="Length of the period.")
    currency: CurrencyCode = strawberry.field(description="Currency of every amount of the statement.")
    total_assets: Decimal = strawberry.field(description="Balance sheet: total assets; not negative." + _AMOUNT)
    total_liabilities: Decimal = strawberry.field(
        description="Balance sheet: total liabilities; not negative." + _AMOUNT
    )
    equity: Decimal = strawberry.field(description="Balance sheet: owners' equity; may be negative." + _AMOUNT)
    revenue: Decimal = strawberry.field(description="Income statement: operating revenue; not negative." + _AMOUNT)
    net_profit: Decimal = strawberry.field(description="Income statement: net profit; may be negative." + _AMOUNT)
    audit_opinion: AuditOpinionEnum = strawberry.field(description="The auditor's opinion (`UNAUDITED` if none).")
    current_assets: Decimal | None = strawberry.field(
        default=UNSET, description="Balance sheet: current assets; at most `totalAssets`." + _OPTIONAL_AMOUNT
    )
    current_liabilities: Decimal | None = strawberry.field(
        default=UNSET,
        description="Balance sheet: current liabilities; at most `totalLiabilities`." + _OPTIONAL_AMOUNT,
    )
    cash: Decimal | None = strawberry.field(
        default=UNSET, description="Balance sheet: cash and equivalents." + _OPTIONAL_AMOUNT
    )
    accounts_receivable: Decimal | None = strawberry.field(
        default=UNSET, description="Balance sheet: accounts receivable." + _OPTIONAL_AMOUNT
    )
    inventory: Decimal | None = strawberry.field(
        default=UNSET, description="Balance sheet: inventory." + _OPTIONAL_AMOUNT
    )
    short_term_debt: Decimal | None = strawberry.field(
        default=UNSET, description="Balance sheet: short-term borrowings." + _OPTIONAL_AMOUNT
    )
    long_term_debt: Decimal | None = strawberry.field(
        default=UNSET, description="Balance sheet: long-term borrowings." + _OPTIONAL_AMOUNT
    )
    advances_from_customers: Decimal | None = strawberry.field(
        default=UNSET, description="Balance sheet: advances (contract liabilities) from customers." + _OPTIONAL_AMOUNT
    )
    cost_of_sales: Decimal | None = strawberry.field(
        default=UNSET, description="Income statement: cost of sales." + _OPTIONAL_AMOUNT
    )
    operating_profit: Decimal | None = strawberry.field(
        default=UNSET, description="Income statement: operating profit; may be negative." + _OPTIONAL_AMOUNT
    )
    interest_expense: Decimal | None = strawberry.field(
        default=UNSET, description="Income statement: interest expense." + _OPTIONAL_AMOUNT
    )
    operating_cash_flow: Decimal | None = strawberry.field(
        default=UNSET, description="Cash flow from operating activities; may be negative." + _OPTIONAL_AMOUNT
    )
    investing_cash_flow: Decimal | None = strawberry.field(
        default=UNSET, description="Cash flow from investing activities; may be negative." + _OPTIONAL_AMOUNT
    )
    financing_cash_flow: Decimal | None = strawberry.field(
        default=UNSET, description="Cash flow from financing activities; may be negative." + _OPTIONAL_AMOUNT
    )
    employees: int | None = strawberry.field(default=UNSET, description="Headcount at period end. Optional.")
    auditor: str | None = strawberry.field(default=UNSET, description="Audit firm (1–200 characters). Optional.")
    taxes_paid: Decimal | None = strawberry.field(
        default=UNSET, description="Taxes paid in the period." + _OPTIONAL_AMOUNT
    )
    tax_credit_rating: str | None = strawberry.field(
        default=UNSET, description="Tax credit rating: A, B, M, C or D. Optional."
    )


_LIST = " Up to 50 entries of 1–200 characters; the list sent replaces the list kept. Left out: kept; null: emptied."


@strawberry.input(description="Operating information; fields left out are kept.")
class OperatingInformationInput:
    customer_id: strawberry.ID = strawberry.field(description=_CUSTOMER)
    version: int = strawberry.field(description=_VERSION)
    market_share_percent: Decimal | None = strawberry.field(
        default=UNSET, description="Market share in percent, 0–100, up to four decimals (a string)." + _KEPT
    )
    industry_position: IndustryPositionEnum | None = strawberry.field(
        default=UNSET, description="Standing in its industry." + _KEPT
    )
    main_products: list[str] | None = strawberry.field(default=UNSET, description="Main products or services." + _LIST)
    sales_channels: list[str] | None = strawberry.field(default=UNSET, description="Sales channels." + _LIST)
    upstream_partners: list[str] | None = strawberry.field(default=UNSET, description="Main suppliers." + _LIST)
    downstream_partners: list[str] | None = strawberry.field(default=UNSET, description="Main buyers." + _LIST)


@strawberry.input(description="A major investment by the customer.")
class MajorInvestmentInput:
    customer_id: strawberry.ID = strawberry.field(description=_CUSTOMER)
    version: int = strawberry.field(description=_VERSION)
    description: str = strawberry.field(description="What is invested in (1–500 characters).")
    amount: MoneyInput = strawberry.field(description="Amount invested.")
    decided_on: date = strawberry.field(description="When it was decided; not in the future.")


@strawberry.input(description="A credit-history event.")
class CreditEventInput:
    occurred_on: date = strawberry.field(description="When it happened; not in the future.")
    kind: CreditEventKindEnum = strawberry.field(description="What kind of event.")
    description: str = strawberry.field(description="What happened (1–500 characters).")
    amount: MoneyInput | None = strawberry.field(default=UNSET, description="Amount concerned, if any.")
    days_past_due: int | None = strawberry.field(
        default=UNSET, description="Days past due, for an overdue payment (0–36500)."
    )


@strawberry.input(description="A guarantee given to a third party.")
class GuaranteeInput:
    beneficiary: str = strawberry.field(description="Whose debt is guaranteed (1–200 characters).")
    amount: MoneyInput = strawberry.field(description="Amount guaranteed.")
    starts_on: date = strawberry.field(description="Start of the guarantee.")
    ends_on: date | None = strawberry.field(
        default=UNSET, description="End of the guarantee, if fixed; not before `startsOn`."
    )
    status: GuaranteeStatusEnum | None = strawberry.field(default=UNSET, description="Its state; `ACTIVE` if left out.")


@strawberry.input(
    description="Credit information: report and rating fields left out are kept; events and guarantees are added."
)
class CreditInformationInput:
    customer_id: strawberry.ID = strawberry.field(description=_CUSTOMER)
    version: int = strawberry.field(description=_VERSION)
    credit_report_reference: str | None = strawberry.field(
        default=UNSET, description="Reference of the latest credit report (1–64 characters)." + _KEPT
    )
    credit_report_date: date | None = strawberry.field(
        default=UNSET, description="Date of that report; not in the future." + _KEPT
    )
    external_rating: str | None = strawberry.field(
        default=UNSET, description="External credit rating, e.g. `AA` (1–16 characters)." + _KEPT
    )
    external_rating_agency: str | None = strawberry.field(
        default=UNSET, description="Agency that gave the rating." + _KEPT
    )
    external_rating_date: date | None = strawberry.field(
        default=UNSET, description="Date of the rating; not in the future." + _KEPT
    )
    bank_debt_total: Decimal | None = strawberry.field(
        default=UNSET, description="The borrower's debt at all banks, from the credit report (given with "
        "`bankDebtOverdueLong` and `bankDebtReportedOn`; the borrower is classified again)." + _KEPT
    )
    bank_debt_overdue_long: Decimal | None = strawberry.field(
        default=UNSET, description="How much of that debt is overdue more than 90 days: at most the total." + _KEPT
    )
    bank_debt_reported_on: date | None = strawberry.field(
        default=UNSET, description="The day of the report those figures come from; not in the future." + _KEPT
    )
    add_events: list[CreditEventInput] | None = strawberry.field(
        default=UNSET, description="Credit-history events to add (up to 100); events are never changed."
    )
    add_guarantees: list[GuaranteeInput] | None = strawberry.field(
        default=UNSET, description="Guarantees to add (up to 100)."
    )
