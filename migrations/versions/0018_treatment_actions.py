"""The tasks a grade's treatment raises (a D grade: an exposure reduction plan and early recall
decisions), owned by the relationship manager, and the recall decisions taken facility by facility.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 23:05:51.853353
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('treatment_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('exposure_reduction', 'early_recall', name='treatment_action_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=False),
    sa.Column('treatment_version', sa.String(length=32), nullable=False),
    sa.Column('raised_at', api.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('raised_by', sa.String(length=64), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=True),
    sa.Column('status', sa.Enum('open', 'in_progress', 'done', 'withdrawn', name='treatment_action_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('baseline_balance', api.db.base.Money(precision=20, scale=2), nullable=True),
    sa.Column('target_balance', api.db.base.Money(precision=20, scale=2), nullable=True),
    sa.Column('target_on', sa.Date(), nullable=True),
    sa.Column('plan', sa.Text(), nullable=True),
    sa.Column('planned_at', api.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('planned_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', api.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_treatment_action_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_treatment_action'))
    )
    with op.batch_alter_table('treatment_action', schema=None) as batch_op:
        batch_op.create_index('ix_treatment_action_customer_id_id', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_treatment_action_owner', ['owner', 'status', 'due_on', 'id'], unique=False)

    op.create_table('recall_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('recall', sa.Boolean(), nullable=False),
    sa.Column('amount', api.db.base.Money(precision=20, scale=2), nullable=True),
    sa.Column('recall_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_at', api.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['treatment_action.id'], name=op.f('fk_recall_decision_action_id_treatment_action'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['facility_id'], ['credit_facility.id'], name=op.f('fk_recall_decision_facility_id_credit_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recall_decision')),
    sa.UniqueConstraint('action_id', 'facility_id', name=op.f('uq_recall_decision_action_id_facility_id'))
    )
    with op.batch_alter_table('recall_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recall_decision_facility_id'), ['facility_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('recall_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recall_decision_facility_id'))

    op.drop_table('recall_decision')
    with op.batch_alter_table('treatment_action', schema=None) as batch_op:
        batch_op.drop_index('ix_treatment_action_owner')
        batch_op.drop_index('ix_treatment_action_customer_id_id')

    op.drop_table('treatment_action')
