"""Recording the four information groups of R-I1, each change kept as history (R-I2)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import business_today
from api.db.base import utcnow
from api.db.enums import (
    AuditOpinion,
    CreditEventKind,
    GuaranteeStatus,
    IdDocumentType,
    IndustryPosition,
    InfoGroup,
    PeriodKind,
)
from api.db.models import (
    BasicInformation,
    CreditEvent,
    CreditInformation,
    Customer,
    CustomerChange,
    FinancialStatement,
    Guarantee,
    MajorInvestment,
    OperatingInformation,
)
from api.errors import InvalidInput
from api.principal import Principal
from api.reference.identifiers import resident_id_error
from api.reference.loan_classification import ClassificationRules
from api.reference.sizes import SizeRules
from api.services.credit_status import refresh_credit_status
from api.services.customers import commit_changes, customer_for_update, save
from api.services.grading import Regrader
from api.services.history import apply_changes, note_event
from api.services.reclassification import reclassify
from api.services.scope import RowScope
from api.services.sizing import refresh_size
from api.services.validation import (
    Command,
    CurrencyCode,
    ListItem,
    LongText,
    Name,
    NonNegativeMoney,
    ShortText,
    SignedMoney,
    parse,
)

Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 -]{4,30}$")]
Reference = Annotated[str, Field(min_length=1, max_length=64)]
ItemList = Annotated[list[ListItem], Field(max_length=50)]


def _no_future(value: date | None) -> date | None:
    if value is not None and value > business_today():
        raise ValueError("must not be in the future")
    return value


PastDate = Annotated[date, AfterValidator(_no_future)]


class Money(Command):
    amount: NonNegativeMoney
    currency: CurrencyCode


class BasicInformationInput(Command):
    registration_authority: ShortText | None = None
    established_on: PastDate | None = None
    licence_issued_on: PastDate | None = None
    business_term_until: date | None = None
    registered_address: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    articles_reference: ShortText | None = None
    articles_adopted_on: PastDate | None = None
    legal_representative_name: Name | None = None
    legal_representative_id_type: IdDocumentType | None = None
    legal_representative_id_number: Reference | None = None
    legal_representative_phone: Phone | None = None
    registered_capital: Money | None = None
    business_scope: LongText | None = None

    @field_validator("legal_representative_id_number")
    @classmethod
    def _identity_document(cls, number: str | None, info: ValidationInfo) -> str | None:
        if number is None:
            return None
        number = number.upper()
        if info.data.get("legal_representative_id_type") is IdDocumentType.RESIDENT_ID_CARD and (
            problem := resident_id_error(number)
        ):
            raise ValueError(f"not a valid resident ID number: {problem}")
        return number


class FinancialStatementInput(Command):
    period_end: PastDate
    period_kind: PeriodKind
    currency: CurrencyCode
    total_assets: NonNegativeMoney
    total_liabilities: NonNegativeMoney
    current_assets: NonNegativeMoney | None = None
    current_liabilities: NonNegativeMoney | None = None
    cash: NonNegativeMoney | None = None
    accounts_receivable: NonNegativeMoney | None = None
    inventory: NonNegativeMoney | None = None
    short_term_debt: NonNegativeMoney | None = None
    long_term_debt: NonNegativeMoney | None = None
    advances_from_customers: NonNegativeMoney | None = None
    equity: SignedMoney
    revenue: NonNegativeMoney
    cost_of_sales: NonNegativeMoney | None = None
    operating_profit: SignedMoney | None = None
    interest_expense: NonNegativeMoney | None = None
    net_profit: SignedMoney
    operating_cash_flow: SignedMoney | None = None
    investing_cash_flow: SignedMoney | None = None
    financing_cash_flow: SignedMoney | None = None
    employees: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    audit_opinion: AuditOpinion
    auditor: ShortText | None = None
    taxes_paid: NonNegativeMoney | None = None
    tax_credit_rating: Annotated[str, Field(pattern=r"^(A|B|M|C|D)$")] | None = None

    @field_validator("current_assets", "current_liabilities")
    @classmethod
    def _part_of_total(cls, part: Decimal | None, info: ValidationInfo) -> Decimal | None:
        total_field = "total_assets" if info.field_name == "current_assets" else "total_liabilities"
        total = info.data.get(total_field)
        if part is not None and total is not None and part > total:
            raise ValueError(f"cannot exceed {to_camel(total_field)}")
        return part


class OperatingInformationInput(Command):
    market_share_percent: Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)] | None = None
    industry_position: IndustryPosition | None = None
    main_products: ItemList | None = None
    sales_channels: ItemList | None = None
    upstream_partners: ItemList | None = None
    downstream_partners: ItemList | None = None


_LIST_FIELDS = frozenset({"main_products", "sales_channels", "upstream_partners", "downstream_partners"})


class MajorInvestmentInput(Command):
    description: Annotated[str, Field(min_length=1, max_length=500)]
    amount: Money
    decided_on: PastDate


class CreditEventInput(Command):
    occurred_on: PastDate
    kind: CreditEventKind
    amount: Money | None = None
    days_past_due: Annotated[int, Field(ge=0, le=36_500)] | None = None
    description: Annotated[str, Field(min_length=1, max_length=500)]


class GuaranteeInput(Command):
    beneficiary: ShortText
    amount: Money
    starts_on: date
    ends_on: date | None = None
    status: GuaranteeStatus = GuaranteeStatus.ACTIVE

    @field_validator("ends_on")
    @classmethod
    def _ordered(cls, ends_on: date | None, info: ValidationInfo) -> date | None:
        starts_on = info.data.get("starts_on")
        if ends_on is not None and starts_on is not None and ends_on < starts_on:
            raise ValueError("must not be before startsOn")
        return ends_on


class CreditInformationInput(Command):
    credit_report_reference: Reference | None = None
    credit_report_date: PastDate | None = None
    external_rating: Annotated[str, Field(min_length=1, max_length=16)] | None = None
    external_rating_agency: ShortText | None = None
    external_rating_date: PastDate | None = None
    bank_debt_total: NonNegativeMoney | None = None
    bank_debt_overdue_long: NonNegativeMoney | None = None
    bank_debt_reported_on: PastDate | None = None
    add_events: Annotated[list[CreditEventInput], Field(max_length=100)] = Field(default_factory=list)
    add_guarantees: Annotated[list[GuaranteeInput], Field(max_length=100)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _bank_debt_whole(self) -> CreditInformationInput:
        given = {"bank_debt_total", "bank_debt_overdue_long", "bank_debt_reported_on"} & self.model_fields_set
        if given and len(given) < 3:
            raise ValueError("the debt at all banks comes whole: bankDebtTotal, bankDebtOverdueLong and "
                             "bankDebtReportedOn together")
        total, overdue = self.bank_debt_total, self.bank_debt_overdue_long
        if (total is None) != (overdue is None) or (total is not None and overdue is not None and overdue > total):
            raise ValueError("bankDebtOverdueLong is part of bankDebtTotal: both given, at most the total")
        return self


def _flatten_money(values: dict[str, Any], key: str, amount: str, currency: str) -> None:
    if key in values:
        money = values.pop(key)
        values[amount] = money["amount"] if money else None
        values[currency] = money["currency"] if money else None


async def _update_group(
    session: AsyncSession, model: Any, customer: Customer, values: dict[str, Any], *,
    group: InfoGroup, principal: Principal, now: datetime, **defaults: Any,
) -> list[CustomerChange]:
    """Apply ``values`` to the customer's one row of ``model`` (made on first use); the history."""
    info = await session.get(model, customer.id)
    is_new = info is None
    if info is None:
        info = model(customer_id=customer.id, **defaults)
        session.add(info)
    changes = apply_changes(info, values, customer_id=customer.id, group=group, principal=principal,
                            now=now, is_new=is_new)
    info.updated_at = now
    return changes


async def record_basic_information(
    session: AsyncSession, *, principal: Principal, scope: RowScope, customer_id: int,
    expected_version: int,
    data: dict[str, Any],
    regrade: Regrader | None = None,
) -> Customer:
    """Set the fields given (a field sent as null is cleared; one left out is kept); a major change
    (legal representative, business scope) is watched for early warnings (``regrade``)."""
    given = parse(BasicInformationInput, data).model_dump(exclude_unset=True)
    customer = await customer_for_update(
        session, customer_id, expected_version, scope=scope, field="input.customerId"
    )
    _flatten_money(given, "registered_capital", "registered_capital", "registered_capital_currency")
    now = utcnow()
    changes = await _update_group(session, BasicInformation, customer, given, group=InfoGroup.BASIC,
                                  principal=principal, now=now)
    await commit_changes(session, customer, changes, now)
    if regrade is not None and any(change.major for change in changes):
        await regrade(session, customer, "basic_information")
        await save(session)
    return customer


async def record_financial_statement(
    session: AsyncSession, *, principal: Principal, scope: RowScope, customer_id: int,
    expected_version: int,
    data: dict[str, Any],
    regrade: Regrader | None = None,
    size_rules: SizeRules | None = None,
) -> tuple[Customer, FinancialStatement]:
    """Add one period's statements; re-derive the size, and re-assess the grade (``regrade``)."""
    statement_input = parse(FinancialStatementInput, data)
    customer = await customer_for_update(
        session, customer_id, expected_version, scope=scope, field="input.customerId"
    )
    duplicate = await session.scalar(
        select(FinancialStatement.id).where(
            FinancialStatement.customer_id == customer.id,
            FinancialStatement.period_end == statement_input.period_end,
            FinancialStatement.period_kind == statement_input.period_kind,
        )
    )
    if duplicate is not None:
        raise InvalidInput.one("input.periodEnd", "a statement for this period is already recorded")
    now = utcnow()
    statement = FinancialStatement(
        customer_id=customer.id, recorded_at=now, recorded_by=principal.sub,
        **statement_input.model_dump(),
    )
    session.add(statement)
    await save(session)
    changes = [
        note_event(
            customer_id=customer.id, group=InfoGroup.FINANCIAL, field="financialStatement",
            new_value=f"{statement.period_kind.value} {statement.period_end.isoformat()}",
            principal=principal, now=now,
        )
    ]
    if customer.latest_statement_period_end is None or statement.period_end > customer.latest_statement_period_end:
        customer.latest_statement_period_end = statement.period_end
    changes += await refresh_size(session, customer, principal=principal, now=now, rules=size_rules)
    if regrade is not None:
        await regrade(session, customer, "financial_statement")
    return await commit_changes(session, customer, changes, now), statement


async def record_operating_information(
    session: AsyncSession, *, principal: Principal, scope: RowScope, customer_id: int,
    expected_version: int,
    data: dict[str, Any],
) -> Customer:
    """Set the operating fields given (omitted ones are kept)."""
    given = parse(OperatingInformationInput, data).model_dump(exclude_unset=True)
    customer = await customer_for_update(
        session, customer_id, expected_version, scope=scope, field="input.customerId"
    )
    # A list sent as null means "none": lists are never null.
    given = {k: [] if v is None and k in _LIST_FIELDS else v for k, v in given.items()}
    now = utcnow()
    changes = await _update_group(
        session, OperatingInformation, customer, given, group=InfoGroup.OPERATING, principal=principal, now=now,
        **{name: [] for name in _LIST_FIELDS},
    )
    return await commit_changes(session, customer, changes, now)


async def record_major_investment(
    session: AsyncSession, *, principal: Principal, scope: RowScope, customer_id: int,
    expected_version: int,
    data: dict[str, Any],
    regrade: Regrader | None = None,
) -> Customer:
    """Record a major investment: always a *major* change (R-I2), watched for early warnings (``regrade``)."""
    investment = parse(MajorInvestmentInput, data)
    customer = await customer_for_update(
        session, customer_id, expected_version, scope=scope, field="input.customerId"
    )
    now = utcnow()
    session.add(
        MajorInvestment(
            customer_id=customer.id, description=investment.description,
            amount=investment.amount.amount, currency=investment.amount.currency,
            decided_on=investment.decided_on, recorded_at=now, recorded_by=principal.sub,
        )
    )
    change = note_event(
        customer_id=customer.id, group=InfoGroup.OPERATING, field="majorInvestment",
        new_value=f"{investment.description} ({investment.amount.currency} {investment.amount.amount})",
        principal=principal, now=now, major=True,
    )
    await commit_changes(session, customer, [change], now)
    if regrade is not None:
        await regrade(session, customer, "major_investment")
        await save(session)
    return customer


async def record_credit_information(
    session: AsyncSession, *, principal: Principal, scope: RowScope, customer_id: int,
    expected_version: int,
    data: dict[str, Any],
    regrade: Regrader | None = None,
    classification: tuple[date, ClassificationRules] | None = None,
) -> Customer:
    """Set the credit report and rating; append credit events and guarantees; re-classify the borrower
    when its debt at all banks changed (``classification``: the lender's day and rules); re-assess the
    grade."""
    credit = parse(CreditInformationInput, data)
    customer = await customer_for_update(
        session, customer_id, expected_version, scope=scope, field="input.customerId"
    )
    given = credit.model_dump(exclude_unset=True, exclude={"add_events", "add_guarantees"})
    now = utcnow()
    changes = await _update_group(session, CreditInformation, customer, given, group=InfoGroup.CREDIT,
                                  principal=principal, now=now)
    for event in credit.add_events:
        session.add(
            CreditEvent(
                customer_id=customer.id, occurred_on=event.occurred_on, kind=event.kind,
                amount=event.amount.amount if event.amount else None,
                currency=event.amount.currency if event.amount else None,
                days_past_due=event.days_past_due, description=event.description,
                recorded_at=now, recorded_by=principal.sub,
            )
        )
        changes.append(
            note_event(
                customer_id=customer.id, group=InfoGroup.CREDIT, field="creditEvent",
                new_value=f"{event.kind.value} {event.occurred_on.isoformat()}: {event.description}",
                principal=principal, now=now,
            )
        )
    for guarantee in credit.add_guarantees:
        session.add(
            Guarantee(
                customer_id=customer.id, beneficiary=guarantee.beneficiary,
                amount=guarantee.amount.amount, currency=guarantee.amount.currency,
                starts_on=guarantee.starts_on, ends_on=guarantee.ends_on, status=guarantee.status,
                recorded_at=now, recorded_by=principal.sub,
            )
        )
        changes.append(
            note_event(
                customer_id=customer.id, group=InfoGroup.CREDIT, field="guarantee",
                new_value=f"{guarantee.beneficiary} {guarantee.amount.currency} {guarantee.amount.amount}",
                principal=principal, now=now,
            )
        )
    if classification is not None and "bank_debt_total" in given:
        await save(session)
        today, rules = classification
        await reclassify(session, [customer.id], as_of=today, rules=rules)
        await refresh_credit_status(session, [customer.id], as_of=today, by=f"classification:{rules.version}")
    if regrade is not None:
        await save(session)
        await regrade(session, customer, "credit_information")
    return await commit_changes(session, customer, changes, now)
