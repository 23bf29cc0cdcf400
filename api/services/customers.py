"""Registering and maintaining customers (R-C1…C3): identity, classification, credit status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.base import utcnow
from api.db.compiled import Reader
from api.db.enums import CreditStatus, InfoGroup
from api.db.models import Customer, CustomerChange, StaffMember
from api.errors import Conflict, InvalidInput, NotFound
from api.principal import Principal
from api.reference.identifiers import credit_code_error
from api.reference.industries import get_industry, is_assignable
from api.reference.sizes import SizeRules, default_size_rules
from api.services.history import apply_changes, touch
from api.services.organisation import BranchCode, Username, find_staff_member, require_branch
from api.services.scope import RowScope, within
from api.services.sizing import refresh_size, size_columns
from api.services.validation import Command, LongText, ShortText, parse

INITIAL_CREDIT_STATUS_BASIS = "Initial classification on registration; no rating or repayment record yet."


def _check_industry(code: str) -> str:
    if get_industry(code) is None:
        raise ValueError(f"unknown GB/T 4754 industry code {code!r}")
    if not is_assignable(code):
        raise ValueError("classify at division level or deeper (e.g. 'C13'), not by section alone")
    return code


def _check_credit_code(code: str) -> str:
    code = code.upper()
    problem = credit_code_error(code)
    if problem is not None:
        raise ValueError(f"not a valid Unified Social Credit Code: {problem}")
    return code


IndustryCode = Annotated[str, AfterValidator(_check_industry)]
CreditCode = Annotated[str, Field(max_length=18), AfterValidator(_check_credit_code)]


class CustomerDraft(Command):
    name: ShortText
    credit_code: CreditCode
    industry_code: IndustryCode
    branch_code: BranchCode
    relationship_manager_username: Username


class CustomerEdit(Command):
    name: ShortText | None = None
    industry_code: IndustryCode | None = None
    branch_code: BranchCode | None = None
    relationship_manager_username: Username | None = None


class CreditStatusChange(Command):
    status: CreditStatus
    basis: LongText


async def create_customer(
    session: AsyncSession, *, principal: Principal, scope: RowScope, data: dict[str, Any],
    size_rules: SizeRules | None = None,
) -> Customer:
    """Register a customer; its credit status starts as *general* with that stated as its basis.

    In an industry the size standard does not cover, the size is *not applicable* from the start
    (elsewhere it is unknown until the first annual statement)."""
    draft = parse(CustomerDraft, data)
    await require_branch(session, draft.branch_code, field="input.branchCode")
    manager = await _manager_of_branch(session, draft.relationship_manager_username, draft.branch_code)
    await _refuse_duplicate_credit_code(session, draft.credit_code)
    now = utcnow()
    customer = Customer(
        name=draft.name,
        credit_code=draft.credit_code,
        industry_code=draft.industry_code,
        branch_code=draft.branch_code,
        relationship_manager_id=manager.id,
        credit_status=CreditStatus.GENERAL,
        credit_status_basis=INITIAL_CREDIT_STATUS_BASIS,
        credit_status_set_at=now,
        credit_status_set_by=principal.sub,
        created_at=now,
        created_by=principal.sub,
        updated_at=now,
    )
    rules = size_rules or default_size_rules()
    unsized = rules.not_applicable(draft.industry_code)
    if unsized is not None:
        for column, value in size_columns(unsized, rules).items():
            setattr(customer, column, value)
        customer.size_determined_at = now
    session.add(customer)
    await save(session)
    await _require_in_scope(session, customer.id, scope, "input.relationshipManagerUsername")
    session.add(
        CustomerChange(
            customer_id=customer.id,
            changed_at=now,
            changed_by=principal.sub,
            info_group=InfoGroup.CUSTOMER,
            field="registered",
            old_value=None,
            new_value=draft.credit_code,
            major=False,
        )
    )
    await save(session)
    return customer


async def update_customer(
    session: AsyncSession,
    *,
    principal: Principal,
    scope: RowScope,
    customer_id: int,
    expected_version: int,
    data: dict[str, Any],
    regrade: Callable[[AsyncSession, Customer, str], Awaitable[None]] | None = None,
    size_rules: SizeRules | None = None,
) -> Customer:
    """Change a customer's name, industry, branch or relationship manager.

    A graded customer whose industry changes is re-assessed (``regrade``) by the new industry's
    strategy: a grade stays the work of the strategy that now grades the customer."""
    edit = parse(CustomerEdit, data)
    customer = await customer_for_update(session, customer_id, expected_version, scope=scope)
    values: dict[str, Any] = edit.model_dump(exclude_unset=True, exclude_none=True)
    username = values.pop("relationship_manager_username", None)
    branch_code = values.get("branch_code", customer.branch_code)
    if "branch_code" in values:
        await require_branch(session, branch_code, field="input.branchCode")
    current = await session.get(StaffMember, customer.relationship_manager_id)
    previous_manager = current.username if current else None
    if username is not None or "branch_code" in values:
        # The manager must work at the customer's branch: a move of branch needs a new one too.
        username = username or previous_manager or ""
        values["relationship_manager_id"] = (await _manager_of_branch(session, username, branch_code)).id
    now = utcnow()
    changes = apply_changes(
        customer, values, customer_id=customer.id, group=InfoGroup.CUSTOMER,
        principal=principal, now=now,
    )
    for change in changes:
        if change.field == "relationshipManagerId":  # history speaks of people, not row ids
            change.field, change.old_value, change.new_value = "relationshipManager", previous_manager, username
    industry_changed = any(change.field == "industryCode" for change in changes)
    if "industry_code" in values:
        changes += await refresh_size(session, customer, principal=principal, now=now, rules=size_rules,
                                      field="input.industryCode")
    if industry_changed and customer.grade is not None and regrade is not None:
        await regrade(session, customer, "industry_change")
    result = await commit_changes(session, customer, changes, now)
    # Nobody hands a customer to where they themselves could no longer see it.
    await _require_in_scope(session, customer.id, scope, "input.branchCode" if "branch_code" in values
                            else "input.relationshipManagerUsername")
    return result


async def set_credit_status(
    session: AsyncSession,
    *,
    principal: Principal,
    scope: RowScope,
    customer_id: int,
    expected_version: int,
    data: dict[str, Any],
) -> Customer:
    """Set the credit status (R-C3) together with the basis for it."""
    change = parse(CreditStatusChange, data)
    customer = await customer_for_update(session, customer_id, expected_version, scope=scope)
    now = utcnow()
    changes = apply_changes(
        customer,
        {"credit_status": change.status, "credit_status_basis": change.basis},
        customer_id=customer.id, group=InfoGroup.CUSTOMER, principal=principal, now=now,
    )
    customer.credit_status_set_at = now
    customer.credit_status_set_by = principal.sub
    return await commit_changes(session, customer, changes, now)


async def customer_in_scope(
    session: AsyncSession, customer_id: int, scope: RowScope, *, field: str = "input.customerId"
) -> Customer:
    """The customer, if it exists within ``scope``; out of scope is NOT_FOUND, as missing is."""
    customer = await session.scalar(within(select(Customer).where(Customer.id == customer_id), scope))
    if customer is None:
        raise NotFound("Customer", field=field)
    return customer


async def get_customer(session: AsyncSession, customer_id: int, *, scope: RowScope) -> Customer:
    return await customer_in_scope(session, customer_id, scope, field="id")


async def customers_by_id(session: AsyncSession, ids: list[int], *, scope: RowScope) -> dict[int, Customer]:
    rows = await session.scalars(within(select(Customer).where(Customer.id.in_(ids)), scope))
    return {row.id: row for row in rows}


async def customer_rows_by_id(session: Reader, ids: Sequence[int]) -> dict[int, Any]:
    """Customers by id as read-only Core rows (the customer of rows already read in scope)."""
    table = Customer.__table__
    return {row.id: row for row in await session.execute(select(table).where(table.c.id.in_(list(ids))))}


async def customer_for_update(
    session: AsyncSession, customer_id: int, expected_version: int, *, scope: RowScope,
    field: str = "input.id",
) -> Customer:
    """Load a customer in scope to change it; a version other than the caller's is a conflict."""
    customer = await customer_in_scope(session, customer_id, scope, field=field)
    if customer.version != expected_version:
        raise Conflict("Customer", current_version=customer.version)
    return customer


async def commit_changes(
    session: AsyncSession, customer: Customer, changes: list[CustomerChange], now: datetime
) -> Customer:
    """Write the history and bump the customer's version, in the caller's transaction."""
    if changes:
        touch(customer, changes, now)
        session.add_all(changes)
    await save(session)
    return customer


async def save(session: AsyncSession) -> None:
    """Flush, turning a duplicate credit code or statement period into bad input.

    A lost race (a stale version) is left to the mutation runner, which maps every kind of it."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if "credit_code" in str(exc.orig):
            raise InvalidInput.one("input.creditCode", "a customer with this credit code exists") from None
        if "financial_statement" in str(exc.orig):  # the same period recorded concurrently
            raise InvalidInput.one("input.periodEnd", "a statement for this period is already recorded") from None
        raise


async def _manager_of_branch(session: AsyncSession, username: str, branch_code: str) -> StaffMember:
    manager = await find_staff_member(session, username)
    if manager is None:
        raise InvalidInput.one("input.relationshipManagerUsername", f"unknown staff member {username!r}")
    if manager.branch_code != branch_code:
        raise InvalidInput.one(
            "input.relationshipManagerUsername",
            f"{username!r} works at branch {manager.branch_code}, not {branch_code}",
        )
    return manager


async def _require_in_scope(session: AsyncSession, customer_id: int, scope: RowScope, field: str) -> None:
    if await session.scalar(within(select(Customer.id).where(Customer.id == customer_id), scope)) is None:
        raise InvalidInput.one(field, "outside the customers you may maintain")


async def _refuse_duplicate_credit_code(session: AsyncSession, credit_code: str) -> None:
    exists = await session.scalar(select(Customer.id).where(Customer.credit_code == credit_code))
    if exists is not None:
        raise InvalidInput.one("input.creditCode", "a customer with this credit code exists")
