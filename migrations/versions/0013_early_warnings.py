"""Early warnings: a rule's finding about a customer with its evidence and lifecycle, one per rule
and condition.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 13:55:52.676324
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('early_warning',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('rule_version', sa.String(length=32), nullable=False),
    sa.Column('plugin_name', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('severity', sa.Enum('low', 'medium', 'high', name='warning_severity', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('trigger', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('raised', 'acknowledged', 'measures_taken', 'closed', name='warning_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.Column('measures', sa.Text(), nullable=True),
    sa.Column('measures_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('measures_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_early_warning_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_early_warning')),
    sa.UniqueConstraint('customer_id', 'rule_id', 'key', name=op.f('uq_early_warning_customer_id_rule_id_key'))
    )
    with op.batch_alter_table('early_warning', schema=None) as batch_op:
        batch_op.create_index('ix_early_warning_customer_id_raised_at', ['customer_id', 'raised_at', 'id'], unique=False)
        batch_op.create_index('ix_early_warning_raised_at_id', ['raised_at', 'id'], unique=False)
        batch_op.create_index('ix_early_warning_status_raised_at', ['status', 'raised_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('early_warning', schema=None) as batch_op:
        batch_op.drop_index('ix_early_warning_status_raised_at')
        batch_op.drop_index('ix_early_warning_raised_at_id')
        batch_op.drop_index('ix_early_warning_customer_id_raised_at')

    op.drop_table('early_warning')
