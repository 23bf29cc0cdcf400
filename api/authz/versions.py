"""The record of policy versions (the ``policy_version`` table): each digest that comes into force,
with its full rules, so that the policy in force at any past time can be reconstructed.

The newest row is the policy in force now; a row is added only when a different digest comes
into force, so workers and instances applying the same version add nothing. The database store
also keeps here the decisions its changes declared they alter (``expectations``): other
instances check a changed policy against the shipped table with those rows applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import false, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from api.authz.decision_table import DecisionRow
from api.authz.validation import Expectation
from api.db.base import table_of
from api.db.models import CasbinRule, PolicyVersion

_LOCK = 0x63617362  # any constant: names the advisory lock that serialises writers of the policy tables
STORED_EXPECTATIONS = "policy_version.expectations"


async def lock_policy_tables(conn: AsyncConnection) -> None:
    """Serialise writers of the stored rules and of the versions across processes, until commit."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    else:  # SQLite: a write takes the database's write lock until commit
        await conn.execute(table_of(CasbinRule).delete().where(false()))


async def record(
    conn: AsyncConnection, *, digest: str, source: str, rules: str, expectations: Sequence[Expectation] = (),
    read_at: datetime | None = None,
) -> bool:
    """Add a version unless ``digest`` is already the newest one; whether a row was added.

    ``read_at`` is when the policy was read from its store: a version that came into force since
    then is newer than this one, which a slow worker must not record after it. The caller holds
    ``lock_policy_tables`` so that two writers cannot both add the same version.
    """
    newest = (await conn.execute(
        select(PolicyVersion.digest, PolicyVersion.in_force_from).order_by(PolicyVersion.id.desc()).limit(1)
    )).first()
    if newest is not None and (newest.digest == digest or (read_at is not None and newest.in_force_from > read_at)):
        return False
    await conn.execute(insert(table_of(PolicyVersion)).values(
        digest=digest, source=source, rules=rules, expectations=[_as_json(item.row) for item in expectations],
    ))
    return True


async def was_in_force(conn: AsyncConnection, digest: str) -> bool:
    """Whether the rules of ``digest`` have been in force here before (a row of the history)."""
    return await conn.scalar(select(PolicyVersion.id).where(PolicyVersion.digest == digest).limit(1)) is not None


async def stored_expectations(conn: AsyncConnection, digest: str) -> list[Expectation]:
    """The decisions the database store's changes declared, as of the version ``digest`` (or, for a
    version not recorded, as of the newest one): rows to apply over the shipped decision table."""
    found = await conn.scalar(
        select(PolicyVersion.expectations).where(PolicyVersion.source == "database", PolicyVersion.digest == digest)
        .order_by(PolicyVersion.id.desc()).limit(1)
    )
    if found is None:
        found = await conn.scalar(
            select(PolicyVersion.expectations).where(PolicyVersion.source == "database")
            .order_by(PolicyVersion.id.desc()).limit(1)
        )
    return [Expectation(_from_json(index, item), STORED_EXPECTATIONS) for index, item in enumerate(found or [])]


def _as_json(row: DecisionRow) -> dict[str, Any]:
    return {"roles": sorted(row.roles), "agreement": row.agreement, "object": row.object, "action": row.action,
            "expected": row.expected, "why": row.why}


def _from_json(index: int, item: dict[str, Any]) -> DecisionRow:
    return DecisionRow(line=index, roles=frozenset(item["roles"]), agreement=bool(item["agreement"]),
                       object=item["object"], action=item["action"], expected=item["expected"],
                       why=item.get("why", ""))
