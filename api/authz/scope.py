"""From a subject's row kinds and the principal's staff record to a SQL row scope."""

from __future__ import annotations

from datetime import datetime

from api.principal import Principal
from api.services.organisation import StaffRecord
from api.services.scope import RowScope


def row_scope_for(
    kinds: frozenset[str], principal: Principal, staff: StaffRecord | None, now: datetime
) -> RowScope:
    """The rows the policy's kinds grant this principal. The staff record, not the token, says
    which branch and portfolio are theirs; a principal without one has no branch or portfolio."""
    if "all" in kinds:
        return RowScope.everything()
    return RowScope(
        branch_code=staff.branch_code if "branch" in kinds and staff is not None else None,
        staff_id=staff.id if "own" in kinds and staff is not None else None,
        third_party=principal.sub if "consented" in kinds else None,
        at=now,
    )
