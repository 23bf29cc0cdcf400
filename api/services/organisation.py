"""Branches and staff members: who a customer belongs to and who looks after it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import Field, field_validator
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.compiled import CompiledQuery, Reader
from api.db.models import Branch, StaffMember
from api.db.models.organisation import agreement_in_force
from api.errors import InvalidInput
from api.principal import Principal
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
