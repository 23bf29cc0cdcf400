"""``me``: who the service thinks the caller is, and what follows from it for their requests."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from api.authz.introspection import may_introspect
from api.authz.policy import ROW_KINDS, THIRD_PARTY, Policy
from api.services.organisation import find_staff_member
from api.services.scope import RowScope
from schema.context import Info


@strawberry.enum(description="A kind of customer rows a role grants (the policy's `rows:Customer` rules).")
class RowScopeKind(Enum):
    ALL = strawberry.enum_value("all", description="Every customer.")
    BRANCH = strawberry.enum_value("branch", description="The customers of the caller's branch.")
    OWN = strawberry.enum_value("own", description="The customers the caller looks after (their portfolio).")
    CONSENTED = strawberry.enum_value(
        "consented", description="The customers whose written consent in force names the caller."
    )


@strawberry.type(description="The staff record the token's subject names.")
class CallerStaffRecord:
    username: str = strawberry.field(description="Login name: the token's `sub`.")
    name: str = strawberry.field(description="Full name.")
    branch_code: str = strawberry.field(
        description="The branch they work at. A token naming another branch is refused (`BRANCH_MISMATCH`)."
    )


@strawberry.type(description="A role the token names.")
class CallerRole:
    name: str = strawberry.field(description="As the token spells it, e.g. `credit_approver`.")
    known: bool = strawberry.field(
        description="Whether the policy declares the role (in a `g` line). Always true in an answer: a token "
        "naming an unknown role is refused (`UNKNOWN_ROLE`) before any query runs."
    )
    inherits: list[str] = strawberry.field(
        description="The roles it builds on directly (`g, role, parent`), e.g. `staff`: it has their rights too."
    )


@strawberry.type(
    description="The caller's confidentiality agreement (staff see confidential information only under one): "
    "what is on file and what counts."
)
class CallerAgreement:
    required: bool = strawberry.field(
        description="Whether an agreement binds this caller: true for staff; false for third parties, whose "
        "access follows each customer's consent instead."
    )
    claimed: bool = strawberry.field(description="Whether the token claims one (`nda`).")
    on_file: bool = strawberry.field(description="Whether the staff record shows a signed agreement.")
    signed_on: date | None = strawberry.field(description="When it was signed (null: none on file).")
    expires_on: date | None = strawberry.field(description="When it ends (null: it does not, or none on file).")
    valid_today: bool = strawberry.field(description="Whether the agreement on file is in force today.")
    recognised: bool = strawberry.field(
        description="Whether the policy treats the caller as holding a valid agreement: the token claims one "
        "and the staff record shows it valid today. When false, staff see no confidential information; a "
        "token claiming an agreement the staff record does not show gets a `NO_VALID_AGREEMENT` warning in "
        "each response's `extensions`."
    )


@strawberry.type(description="Which customers the caller's requests can see at all; every other customer does not "
                             "exist for them.")
class CallerRowScope:
    kinds: list[RowScopeKind] = strawberry.field(
        description="What the caller's roles grant; empty: no customer at all (e.g. administrators)."
    )
    every_customer: bool = strawberry.field(description="Whether every customer is in scope (`ALL`).")
    branch_code: str | None = strawberry.field(
        description="The branch whose customers are in scope (`BRANCH`): the staff record's branch."
    )
    portfolio_of: str | None = strawberry.field(
        description="Whose portfolio is in scope (`OWN`): the username of the caller's staff record."
    )
    consents_to: str | None = strawberry.field(
        description="The third party whose consents in force put customers in scope (`CONSENTED`)."
    )
    summary: str = strawberry.field(description="The scope in words, e.g. `customers of branch HZ01`.")


@strawberry.type(description="The policy that decides this request.")
class PolicyInForce:
    version: int = strawberry.field(description="Increases with every reload in this process.")
    digest: str = strawberry.field(
        description="A hash of its rules, equal on every instance holding the same rules, whatever the store "
        "or the order of its lines."
    )


@strawberry.type(description="Who the service thinks the caller is, and what follows for their requests.")
class Caller:
    subject: str = strawberry.field(description="The token's `sub`, in lower case.")
    staff_member: CallerStaffRecord | None = strawberry.field(
        description="The staff record of `subject`; null for third parties and for administrators without one."
    )
    roles: list[CallerRole] = strawberry.field(description="The roles the token names.")
    agreement: CallerAgreement = strawberry.field(description="The confidentiality agreement.")
    row_scope: CallerRowScope = strawberry.field(description="Which customers the caller can see.")
    policy: PolicyInForce = strawberry.field(description="The policy in force.")
    may_introspect: bool = strawberry.field(
        description="Whether the policy lets the caller introspect the schema (`__schema`, `__type`) here."
    )


def _roles(policy: Policy, names: frozenset[str]) -> list[CallerRole]:
    known = policy.known_roles()
    lines = policy.rules()["g"]
    return [
        CallerRole(name=name, known=name in known, inherits=sorted(line[1] for line in lines if line[0] == name))
        for name in sorted(names)
    ]


def _row_scope(kinds: frozenset[str], scope: RowScope, username: str | None) -> CallerRowScope:
    parts = []
    if scope.all:
        parts.append("every customer")
    if scope.branch_code is not None:
        parts.append(f"customers of branch {scope.branch_code}")
    if scope.staff_id is not None:
        parts.append(f"the portfolio of {username}")
    if scope.third_party is not None:
        parts.append(f"customers with a consent in force to {scope.third_party}")
    return CallerRowScope(
        kinds=[RowScopeKind(kind) for kind in ROW_KINDS if kind in kinds],
        every_customer=scope.all,
        branch_code=scope.branch_code,
        portfolio_of=username if scope.staff_id is not None else None,
        consents_to=scope.third_party,
        summary=" and ".join(parts) or "no customer",
    )


@strawberry.type
class MeQuery:
    @strawberry.field(
        description="Who the service thinks the caller is: the staff record found, roles, agreement, which "
        "customers they see and the policy in force. Every authenticated caller may ask."
    )
    async def me(self, info: Info) -> Caller:
        ctx = info.context
        principal, decisions = ctx.principal, ctx.decisions
        async with ctx.reading() as session:
            staff = await find_staff_member(session, principal.sub)
        policy = decisions.policy
        return Caller(
            subject=principal.sub,
            staff_member=None if staff is None else CallerStaffRecord(
                username=staff.username, name=staff.name, branch_code=staff.branch_code
            ),
            roles=_roles(policy, principal.roles),
            agreement=CallerAgreement(
                required=bool(principal.roles - {THIRD_PARTY}),
                claimed=principal.nda,
                on_file=staff is not None and staff.agreement_signed_on is not None,
                signed_on=None if staff is None else staff.agreement_signed_on,
                expires_on=None if staff is None else staff.agreement_expires_on,
                valid_today=staff is not None and staff.agreement_valid_on(ctx.today),
                recognised=decisions.subject.agreement,
            ),
            row_scope=_row_scope(decisions.row_kinds, ctx.scope, None if staff is None else staff.username),
            policy=PolicyInForce(version=policy.version, digest=policy.digest),
            may_introspect=may_introspect(decisions, ctx.settings.env.value),
        )
