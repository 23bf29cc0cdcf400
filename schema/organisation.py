"""Branches and staff in the schema, and the mutations that create them."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Branch as BranchRow
from api.services import organisation
from schema.context import Info
from schema.convert import from_row, input_dict
from schema.data_classes import classified
from schema.errors import InvalidInputError
from schema.mutation_runner import run_mutation
from schema.reads import Lookup, declare
from schema.resolve import looked_up


@classified("organisation")
@strawberry.type(description="A branch of the lender; every customer belongs to one.")
class Branch:
    code: str = strawberry.field(description="Branch code, e.g. `HZ01`.")
    name: str = strawberry.field(description="Branch name.")


BRANCH = Lookup(
    "branch_code", organisation.branches_by_code, lambda row: from_row(Branch, row),
    sql_table=BranchRow.__table__, sql_key="code",
)


@classified("organisation")
@strawberry.type(description="A member of staff, e.g. a customer's relationship manager.")
class StaffMember:
    username: str = strawberry.field(description="Login name; the `sub` of their token.")
    name: str = strawberry.field(description="Full name.")
    agreement_signed_on: date | None = strawberry.field(description="When they signed the confidentiality agreement.")
    agreement_expires_on: date | None = strawberry.field(description="When that agreement ends, if it does.")
    branch_code: strawberry.Private[str]

    @strawberry.field(description="The branch they work at.", metadata=declare(BRANCH, "organisation"))
    async def branch(self, info: Info) -> Branch:
        return await looked_up(info, BRANCH, self)  # type: ignore[no-any-return]


@strawberry.input(description="A new branch.")
class CreateBranchInput:
    code: str = strawberry.field(description="2–16 capital letters or digits.")
    name: str = strawberry.field(description="Up to 100 characters.")


@strawberry.input(description="A new staff member.")
class CreateStaffMemberInput:
    username: str = strawberry.field(description="Login name (the token's `sub`).")
    name: str = strawberry.field(description="Full name.")
    branch_code: str = strawberry.field(description="Code of an existing branch.")


@strawberry.type(description="The branch was created.")
class BranchPayload:
    branch: Branch


@strawberry.type(description="The staff member was created.")
class StaffMemberPayload:
    staff_member: StaffMember


CreateBranchResult = Annotated[
    BranchPayload | InvalidInputError, strawberry.union("CreateBranchResult")
]
CreateStaffMemberResult = Annotated[
    StaffMemberPayload | InvalidInputError, strawberry.union("CreateStaffMemberResult")
]


@strawberry.type
class OrganisationQuery:
    @strawberry.field(description="All branches, by code.")
    async def branches(self, info: Info) -> list[Branch]:
        async with info.context.reading() as session:
            return [from_row(Branch, row) for row in await organisation.list_branches(session)]


@strawberry.type
class OrganisationMutation:
    @strawberry.mutation(description="Create a branch.")
    async def create_branch(self, info: Info, input: CreateBranchInput) -> CreateBranchResult:
        async def act(session: AsyncSession) -> BranchPayload:
            row = await organisation.create_branch(
                session, principal=info.context.principal, data=input_dict(input)
            )
            return BranchPayload(branch=from_row(Branch, row))

        return await run_mutation(info, act)

    @strawberry.mutation(description="Create a staff member.")
    async def create_staff_member(
        self, info: Info, input: CreateStaffMemberInput
    ) -> CreateStaffMemberResult:
        async def act(session: AsyncSession) -> StaffMemberPayload:
            row = await organisation.create_staff_member(
                session, principal=info.context.principal, data=input_dict(input)
            )
            return StaffMemberPayload(staff_member=from_row(StaffMember, row))

        return await run_mutation(info, act)
