"""Branches and staff in the schema: the `staffMembers` list, and the mutations that create them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from api.authz.policy import FieldAccess
from api.db.models import Branch as BranchRow
from api.db.models import StaffMember as StaffRow
from api.services import organisation
from api.services.organisation import HAS_PORTFOLIO_FILTER, StaffScope
from schema.authz import forbidden
from schema.comparisons import BooleanComparison, StringComparison
from schema.context import Context, Info
from schema.convert import from_row, input_dict
from schema.data_classes import classified
from schema.errors import ConflictError, InvalidInputError
from schema.ids import (
    OrderByArgument,
    PageAfter,
    PageBefore,
    PageFirst,
    PageLast,
    WhereArgument,
    connection_fields,
)
from schema.list_arguments import list_request
from schema.mutation_runner import run_mutation
from schema.reads import METADATA_KEY, Declarer, Lookup, TypeReads, declare
from schema.resolve import looked_up
from schema.search_inputs import order_input, revealed_coordinates, searchable, where_input

# Who may list staff and whose records they see: the coordinate the policy grants (``Query.staffMembers``).
STAFF_LIST = "Query.staffMembers"
BRANCH_LIST = "Query.branches"


@classified("organisation")
@strawberry.type(description="A branch of the lender; every customer and every member of staff belongs to one.")
class Branch(relay.Node):
    # A branch is known by its code: the code is its identity (the Relay id wraps it).
    node_key_column: ClassVar[str] = "code"
    id: relay.NodeID[str]
    code: str = strawberry.field(description="Branch code, e.g. `HZ01`.")
    name: str = strawberry.field(description="Branch name.")


def branch_of(row: Any) -> Branch:
    """The schema's branch from its row (the Relay id is the code)."""
    return Branch(id=row.code, code=row.code, name=row.name)


BRANCH = Lookup(
    "branch_code", organisation.branches_by_code, branch_of, sql_table=BranchRow.__table__, sql_key="code",
)
_staff = Declarer(StaffRow.__table__)


@classified("organisation")
@strawberry.type(description="A member of staff, e.g. a customer's relationship manager.")
class StaffMember(relay.Node):
    id: relay.NodeID[int]
    username: str = strawberry.field(
        description="Login name; the `sub` of their token.",
        metadata=_staff.column("username", "organisation", where=(StringComparison, "Login name."), sort=True),
    )
    name: str = strawberry.field(
        description="Full name.",
        metadata=_staff.column("name", "organisation", where=(StringComparison, "Full name."), sort=True),
    )
    agreement_signed_on: date | None = strawberry.field(description="When they signed the confidentiality agreement.")
    agreement_expires_on: date | None = strawberry.field(description="When that agreement ends, if it does.")
    branch_code: strawberry.Private[str]

    @strawberry.field(
        description="The branch they work at.",
        metadata=declare(
            BRANCH, "organisation",
            filters=[
                _staff.filter("branch_code", StringComparison, "Code of the branch they work at."),
                _staff.filter(
                    "has_portfolio", BooleanComparison,
                    "Whether they look after at least one customer (relationship managers). Roles are carried by "
                    "tokens, not staff records: a portfolio is the one role the records show.",
                    HAS_PORTFOLIO_FILTER,
                ),
            ],
            sort=_staff.sort("branch_code"), sort_description="Sort by branch code.",
        ),
    )
    async def branch(self, info: Info) -> Branch:
        return await looked_up(info, BRANCH, self)  # type: ignore[no-any-return]


STAFF_READS = TypeReads.of(StaffMember, node_id=_staff.column("id", "organisation", sort=True)[METADATA_KEY])
StaffMemberWhere = where_input(
    STAFF_READS, "StaffMemberWhere", "Which staff: every given condition must hold.", __name__
)
StaffMemberOrderBy = order_input(STAFF_READS, "StaffMemberOrderBy", "One sort key: set exactly one field.", __name__)
STAFF_SEARCH = searchable(STAFF_READS)
_STAFF_COORDINATES = revealed_coordinates(STAFF_READS)


def staff_scope_for(ctx: Context) -> StaffScope:
    """Which staff records the caller sees, following the customers they see (``rows:Customer``).

    Every member of staff for whoever sees every customer or administers staff
    (``Mutation.createStaffMember``); a branch's staff for whoever sees that branch's customers;
    their own record for a relationship manager (their own portfolio); nobody otherwise.
    """
    kinds = ctx.decisions.row_kinds
    if "all" in kinds or ctx.decisions.may_write("Mutation.createStaffMember"):
        return StaffScope(all=True)
    scope = ctx.scope
    return StaffScope(
        branch_code=scope.branch_code if "branch" in kinds else None,
        staff_id=scope.staff_id if "own" in kinds else None,
    )


@strawberry.type(description="A page of staff members (Relay connection, keyset-paginated).")
class StaffMemberConnection(relay.Connection[StaffMember]):
    where: strawberry.Private[dict[str, Any] | None]
    scope: strawberry.Private[StaffScope]

    @strawberry.field(description="How many staff members match the filter, over all pages.")
    async def total_count(self, info: Info) -> int:
        async with info.context.reading() as session:
            return await organisation.count_staff_members(
                session, where=self.where, fields=STAFF_SEARCH, ctx=info.context.query_context, scope=self.scope
            )


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
    branch: Branch = strawberry.field(description="The new branch.")


@strawberry.type(description="The staff member was created.")
class StaffMemberPayload:
    staff_member: StaffMember = strawberry.field(description="The staff member as they are now.")


CreateBranchResult = Annotated[
    BranchPayload | InvalidInputError | ConflictError,
    strawberry.union("CreateBranchResult", description="The new branch, or why none was created."),
]
CreateStaffMemberResult = Annotated[
    StaffMemberPayload | InvalidInputError | ConflictError,
    strawberry.union("CreateStaffMemberResult", description="The new staff member, or why none was created."),
]


async def branch_node(info: Info, code: str) -> Branch | None:
    """``node(id:)`` of a branch: as readable as the branch list (``Query.branches``)."""
    ctx = info.context
    if ctx.decisions.field(BRANCH_LIST) is FieldAccess.DENIED:
        raise forbidden(ctx, BRANCH_LIST, None)
    async with ctx.reading() as session:
        found = await organisation.branches_by_code(session, [code])
    return branch_of(found[code]) if code in found else None


async def staff_member_node(info: Info, key: str) -> StaffMember | None:
    """``node(id:)`` of a member of staff: under the staff list's rule and scope (``Query.staffMembers``)."""
    ctx = info.context
    if not key.isdigit():
        return None
    if ctx.decisions.field(STAFF_LIST) is FieldAccess.DENIED:
        raise forbidden(ctx, STAFF_LIST, None)
    async with ctx.reading() as session:
        found = await organisation.staff_members_in_scope(session, [int(key)], staff_scope_for(ctx))
    row = found.get(int(key))
    return None if row is None else from_row(StaffMember, row)


@strawberry.type
class OrganisationQuery:
    @strawberry.field(description="All branches, by code.")
    async def branches(self, info: Info) -> list[Branch] | None:
        async with info.context.reading() as session:
            return [branch_of(row) for row in await organisation.list_branches(session)]

    @strawberry.field(
        description="Members of staff matching `where`, in `orderBy` order (default: by id). Who sees whom "
        "follows the customers they see: every member of staff for whoever sees every customer or administers "
        "staff, their branch's staff for whoever sees their branch's customers, their own record for a "
        "relationship manager."
    )
    async def staff_members(
        self,
        info: Info,
        where: Annotated[StaffMemberWhere | None, WhereArgument] = None,  # type: ignore[valid-type]
        order_by: Annotated[list[StaffMemberOrderBy] | None, OrderByArgument] = None,  # type: ignore[valid-type]
        first: PageFirst = None,
        after: PageAfter = None,
        last: PageLast = None,
        before: PageBefore = None,
    ) -> StaffMemberConnection | None:
        ctx = info.context
        asked = list_request(ctx, "StaffMember", _STAFF_COORDINATES, where=where, order_by=order_by, first=first,
                             last=last)
        scope = staff_scope_for(ctx)
        async with ctx.reading() as session:
            page = await organisation.find_staff_members(
                session, where=asked.where, order_by=asked.order_by, first=asked.first, after=after,
                last=asked.last, before=before, fields=STAFF_SEARCH, ctx=ctx.query_context, scope=scope,
            )
        return StaffMemberConnection(
            **connection_fields(page, lambda row: from_row(StaffMember, row)), where=asked.where, scope=scope
        )


@strawberry.type
class OrganisationMutation:
    @strawberry.mutation(description="Create a branch.")
    async def create_branch(
        self, info: Info, input: Annotated[CreateBranchInput, strawberry.argument(description="The new branch.")]
    ) -> CreateBranchResult:
        async def act(session: AsyncSession) -> BranchPayload:
            row = await organisation.create_branch(
                session, principal=info.context.principal, data=input_dict(input)
            )
            return BranchPayload(branch=branch_of(row))

        return await run_mutation(info, act)

    @strawberry.mutation(description="Create a staff member.")
    async def create_staff_member(
        self,
        info: Info,
        input: Annotated[CreateStaffMemberInput, strawberry.argument(description="The new staff member.")],
    ) -> CreateStaffMemberResult:
        async def act(session: AsyncSession) -> StaffMemberPayload:
            row = await organisation.create_staff_member(
                session, principal=info.context.principal, data=input_dict(input)
            )
            return StaffMemberPayload(staff_member=from_row(StaffMember, row))

        return await run_mutation(info, act)
