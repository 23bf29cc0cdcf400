"""Policy versions: every version of the access policy that came into force, with its rules, so
that the policy in force at any past time can be reconstructed. Append-only, like the audit log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 23:18:43.237120
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.db.migrations import refuse_to_drop_records

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_PG_GUARD = """
CREATE FUNCTION policy_version_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'policy_version is append-only';
END;
$$ LANGUAGE plpgsql
"""


def _guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GUARD)
        op.execute(
            "CREATE TRIGGER policy_version_append_only BEFORE UPDATE OR DELETE ON policy_version "
            "FOR EACH ROW EXECUTE FUNCTION policy_version_append_only()"
        )
        op.execute(
            "CREATE TRIGGER policy_version_no_truncate BEFORE TRUNCATE ON policy_version "
            "FOR EACH STATEMENT EXECUTE FUNCTION policy_version_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER policy_version_no_{event.lower()} BEFORE {event} ON policy_version "
                "BEGIN SELECT RAISE(ABORT, 'policy_version is append-only'); END"
            )


def _unguard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS policy_version_no_truncate ON policy_version")
        op.execute("DROP TRIGGER IF EXISTS policy_version_append_only ON policy_version")
        op.execute("DROP FUNCTION IF EXISTS policy_version_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS policy_version_no_update")
        op.execute("DROP TRIGGER IF EXISTS policy_version_no_delete")


def upgrade() -> None:
    op.create_table('policy_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.Column('expectations', sa.JSON(), nullable=False),
    sa.Column('in_force_from', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_version'))
    )
    with op.batch_alter_table('policy_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_version_digest'), ['digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_version_in_force_from'), ['in_force_from'], unique=False)
    _guard()


def downgrade() -> None:
    # Like the audit log, the history of policies in force is kept for the regulator.
    refuse_to_drop_records(op.get_bind(), "policy_version", revision)
    _unguard()
    with op.batch_alter_table('policy_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_version_in_force_from'))
        batch_op.drop_index(batch_op.f('ix_policy_version_digest'))

    op.drop_table('policy_version')
