"""Service records (R-S1 … R-S3) and complaints (R-Q1 … R-Q4), indexed for per-customer reads.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:10:48
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('hotline', 'email', 'online', name='complaint_channel', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('status', sa.Enum('received', 'investigating', 'handling', 'feedback', 'closed', name='complaint_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('matter', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handler', sa.String(length=64), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_complaint_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_customer_id_status', ['customer_id', 'status'], unique=False)

    op.create_table('service_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('pre_loan', 'in_loan', 'post_loan', name='service_stage', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('kind', sa.Enum('needs_analysis', 'policy_explanation', 'professional_guidance', 'approval_progress', 'contract_signing', 'revisit', 'risk_warning', 'value_added_service', name='service_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('follow_up', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_service_record_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_record'))
    )
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.create_index('ix_service_record_customer_id_occurred_at', ['customer_id', 'occurred_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.drop_index('ix_service_record_customer_id_occurred_at')

    op.drop_table('service_record')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_customer_id_status')

    op.drop_table('complaint')
