"""Whether the service can place a caller: roles the policy knows, a staff record, the same branch.

A verified token says who the identity provider thinks the caller is; the service answers only
callers it can place. Otherwise a typo in a role, or a token minted for someone who has no staff
record, would be served empty lists and bare refusals, with nothing to tell the caller why.
"""

from __future__ import annotations

from api.authz.policy import THIRD_PARTY
from api.principal import Principal
from api.services.organisation import StaffRecord

ADMIN = "admin"
# External parties are not staff; administrators create the first staff records of a fresh
# deployment, so they must be served before any exists.
ROLES_WITHOUT_STAFF_RECORD = frozenset({THIRD_PARTY, ADMIN})

UNKNOWN_ROLE = "UNKNOWN_ROLE"
UNKNOWN_PRINCIPAL = "UNKNOWN_PRINCIPAL"
BRANCH_MISMATCH = "BRANCH_MISMATCH"


class CallerRefused(Exception):
    """A verified token naming a caller the service cannot place; the message is safe to show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def refusal(principal: Principal, staff: StaffRecord | None, known_roles: frozenset[str]) -> CallerRefused | None:
    """Why this caller cannot be served, or None.

    Checked in this order, so the first thing to fix is named first: a role the policy does not
    know, then a missing staff record, then a branch the staff record contradicts.
    """
    unknown = sorted(principal.roles - known_roles)
    if unknown:
        names = ", ".join(repr(role) for role in unknown)
        return CallerRefused(
            UNKNOWN_ROLE,
            f"The token names {'a role' if len(unknown) == 1 else 'roles'} the policy does not know: {names}. "
            "Ask for a token with the roles of policies/policy.csv (each is named in a `g` line).",
        )
    if staff is None:
        needing = sorted(principal.roles - ROLES_WITHOUT_STAFF_RECORD)
        if needing or not principal.roles:
            return CallerRefused(
                UNKNOWN_PRINCIPAL,
                f"No staff record for {principal.sub!r}: an administrator must create one (createStaffMember) "
                "before this token is served. Only third_party and admin tokens are served without one.",
            )
        if principal.branch is not None:
            return CallerRefused(
                BRANCH_MISMATCH,
                f"The token names branch {principal.branch!r}, but {principal.sub!r} has no staff record to "
                "confirm it: mint the token without a branch.",
            )
        return None
    if principal.branch is not None and principal.branch != staff.branch_code:
        return CallerRefused(
            BRANCH_MISMATCH,
            f"The token names branch {principal.branch!r}, but the staff record of {principal.sub!r} is at "
            f"{staff.branch_code!r}: mint the token with the staff record's branch, or without one.",
        )
    return None
