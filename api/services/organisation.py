"""Branches and staff members: who a customer belongs to and who looks after it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import Field, field_validator
from sqlalchemy import Select, bindparam, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.compiled import CompiledQuery, Reader
from api.db.models import Branch, Customer, StaffMember
from api.db.models.organisation import agreement_in_force
from api.errors import InvalidInput
from api.principal import Principal
from api.services.filtering import FilterSql, QueryContext, Searchable
from api.services.pagination import Page
from api.services.validation import Command, Name, parse

BranchCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{2,16}$")]
Username = Annotated[str, Field(pattern=r"^[A-Za-z0-9._@-]{1,64}$")]


class BranchDraft(Command):
    code: BranchCode
    name: Name


class StaffMemberDraft(Command):
    username: Username
    name: Name
    branch_code: BranchCode

    @field_validator("username")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


async def create_branch(session: AsyncSession, *, principal: Principal, data: dict[str, object]) -> Branch:
    draft = parse(BranchDraft, data)
    if await session.get(Branch, draft.code) is not None:
        raise InvalidInput.one("input.code", "a branch with this code already exists")
    branch = Branch(code=draft.code, name=draft.name)
    session.add(branch)
    await session.flush()
    return branch


async def create_staff_member(
    session: AsyncSession, *, principal: Principal, data: dict[str, object]
) -> StaffMember:
    draft = parse(StaffMemberDraft, data)
    await require_branch(session, draft.branch_code, field="input.branchCode")
    if await find_staff_member(session, draft.username) is not None:
        raise InvalidInput.one("input.username", "a staff member with this username already exists")
    member = StaffMember(username=draft.username, name=draft.name, branch_code=draft.branch_code)
    session.add(member)
    await session.flush()
    return member


async def require_branch(session: AsyncSession, code: str, *, field: str) -> Branch:
    branch = await session.get(Branch, code)
    if branch is None:
        raise InvalidInput.one(field, f"unknown branch {code!r}")
    return branch


async def find_staff_member(session: AsyncSession, username: str) -> StaffMember | None:
    return await session.scalar(select(StaffMember).where(StaffMember.username == username.lower()))


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """What every request needs of the caller's staff record: branch, portfolio, agreement."""

    id: int
    branch_code: str
    agreement_signed_on: date | None
    agreement_expires_on: date | None

    def agreement_valid_on(self, day: date) -> bool:
        return agreement_in_force(self.agreement_signed_on, self.agreement_expires_on, day)


_STAFF = StaffMember.__table__.c
_STAFF_RECORD = CompiledQuery(
    select(_STAFF.id, _STAFF.branch_code, _STAFF.agreement_signed_on, _STAFF.agreement_expires_on)
    .where(_STAFF.username == bindparam("username"))
)


async def unknown_staff(session: AsyncSession, usernames: Iterable[str]) -> set[str]:
    """Which of ``usernames`` (compared in lower case) name no member of staff on record."""
    wanted = {name.lower() for name in usernames}
    if not wanted:
        return set()
    known = await session.scalars(select(StaffMember.username).where(StaffMember.username.in_(wanted)))
    return wanted - set(known)


async def find_staff_record(session: Reader, username: str) -> StaffRecord | None:
    """The caller's staff record, or None (asked on every request: one compiled statement)."""
    rows = await _STAFF_RECORD.rows(session, {"username": username.lower()})
    return StaffRecord(*rows[0]) if rows else None


async def list_branches(session: AsyncSession) -> Sequence[Branch]:
    return (await session.scalars(select(Branch).order_by(Branch.code))).all()


async def branches_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, Branch]:
    rows = await session.scalars(select(Branch).where(Branch.code.in_(codes)))
    return {row.code: row for row in rows}


async def staff_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, StaffMember]:
    rows = await session.scalars(select(StaffMember).where(StaffMember.id.in_(ids)))
    return {row.id: row for row in rows}


@dataclass(frozen=True, slots=True)
class StaffScope:
    """Which staff records a principal may list: every one, one branch's, or their own (a union).

    It follows the customers they see (``schema.organisation.staff_scope_for``): whoever sees every
    customer, or administers staff, sees every member of staff; whoever sees a branch's customers
    sees that branch's staff; a relationship manager sees their own record.
    """

    all: bool = False
    branch_code: str | None = None
    staff_id: int | None = None

    def condition(self) -> ColumnElement[bool] | None:
        """SQL limiting ``staff_member`` rows to this scope (None: no limit)."""
        if self.all:
            return None
        parts: list[ColumnElement[bool]] = []
        if self.branch_code is not None:
            parts.append(StaffMember.branch_code == self.branch_code)
        if self.staff_id is not None:
            parts.append(StaffMember.id == self.staff_id)
        return or_(*parts) if parts else false()


def _staff_within(stmt: Select[Any], scope: StaffScope) -> Select[Any]:
    condition = scope.condition()
    return stmt if condition is None else stmt.where(condition)


def has_portfolio_condition(wanted: bool) -> ColumnElement[bool]:
    """Staff who look after at least one customer (``wanted``), or none: the relationship managers.

    Roles live in tokens, not in staff records; a portfolio is the one role the records show.
    """
    managing = exists(select(Customer.id).where(Customer.relationship_manager_id == StaffMember.id))
    return managing if wanted else ~managing


HAS_PORTFOLIO_FILTER = FilterSql(custom=lambda op, wanted, ctx: has_portfolio_condition(bool(wanted)))


async def find_staff_members(
    session: Reader,
    *,
    where: Mapping[str, Any] | None,
    order_by: Sequence[tuple[str, bool]],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    fields: Searchable,
    ctx: QueryContext,
    scope: StaffScope,
) -> Page[StaffMember]:
    """One keyset page of the staff in ``scope`` matching ``where``, in the requested order (id last)."""
    return await fields.page(
        session, _staff_within(select(StaffMember), scope), ctx, where=where, order_by=order_by, first=first,
        after=after, last=last, before=before,
    )


async def count_staff_members(
    session: Reader, *, where: Mapping[str, Any] | None, fields: Searchable, ctx: QueryContext, scope: StaffScope
) -> int:
    """How many staff in ``scope`` match ``where`` (the whole list, not the page)."""
    return await fields.count(session, _staff_within(select(func.count()).select_from(StaffMember), scope), ctx, where)


async def staff_members_in_scope(
    session: AsyncSession, ids: Sequence[int], scope: StaffScope
) -> dict[int, StaffMember]:
    """The staff records of ``ids`` that ``scope`` lets the caller see (others are simply absent)."""
    rows = await session.scalars(_staff_within(select(StaffMember).where(StaffMember.id.in_(ids)), scope))
    return {row.id: row for row in rows}
