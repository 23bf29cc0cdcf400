"""Confidentiality: agreements on staff records, written consents, the append-only audit log,
and the table for policies kept in the database.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 10:23:33.048690
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.db.migrations import refuse_to_drop_records

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The audit log is append-only in the database itself, not only in the API.
_PG_GUARD = """
CREATE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only';
END;
$$ LANGUAGE plpgsql
"""


def _guard_audit_log() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GUARD)
        op.execute(
            "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
            "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entry_no_{event.lower()} BEFORE {event} ON audit_entry "
                "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END"
            )


def _unguard_audit_log() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('principal', sa.String(length=64), nullable=False),
    sa.Column('roles', sa.String(length=500), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('object', sa.String(length=200), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_principal'), ['principal'], unique=False)

    op.create_table('casbin_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ptype', sa.String(length=255), nullable=False),
    sa.Column('v0', sa.String(length=255), nullable=True),
    sa.Column('v1', sa.String(length=255), nullable=True),
    sa.Column('v2', sa.String(length=255), nullable=True),
    sa.Column('v3', sa.String(length=255), nullable=True),
    sa.Column('v4', sa.String(length=255), nullable=True),
    sa.Column('v5', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_casbin_rule'))
    )
    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('third_party', sa.String(length=64), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('document_reference', sa.String(length=100), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_consent_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_consent_third_party_customer_id', ['third_party', 'customer_id'], unique=False)

    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agreement_signed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('agreement_expires_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('agreement_reference', sa.String(length=100), nullable=True))
    _guard_audit_log()


def downgrade() -> None:
    # The audit log is a regulatory record: never dropped while it holds entries unless the run
    # says so (api.db.migrations, docs/database-roles.md).
    refuse_to_drop_records(op.get_bind(), "audit_entry", revision)
    _unguard_audit_log()
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.drop_column('agreement_reference')
        batch_op.drop_column('agreement_expires_on')
        batch_op.drop_column('agreement_signed_on')

    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_third_party_customer_id')
        batch_op.drop_index(batch_op.f('ix_consent_customer_id'))

    op.drop_table('consent')
    op.drop_table('casbin_rule')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_principal'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_customer_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_action'))

    op.drop_table('audit_entry')
