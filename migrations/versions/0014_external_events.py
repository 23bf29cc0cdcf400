"""The external environment (R-I3): events against industries and branches, and a review per touched
customer until its relationship manager assesses the effect.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 14:08:48.078365
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('external_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('policy_change', 'market_shock', 'other', name='external_event_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('industry_prefixes', sa.JSON(), nullable=False),
    sa.Column('branch_codes', sa.JSON(), nullable=False),
    sa.Column('customers_touched', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_event'))
    )
    with op.batch_alter_table('external_event', schema=None) as batch_op:
        batch_op.create_index('ix_external_event_occurred_on_id', ['occurred_on', 'id'], unique=False)

    op.create_table('external_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('effect', sa.Enum('none', 'positive', 'negative', name='external_effect', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('assessment', sa.Text(), nullable=True),
    sa.Column('assessed_by', sa.String(length=64), nullable=True),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_external_review_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['external_event.id'], name=op.f('fk_external_review_event_id_external_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_review')),
    sa.UniqueConstraint('event_id', 'customer_id', name=op.f('uq_external_review_event_id_customer_id'))
    )
    with op.batch_alter_table('external_review', schema=None) as batch_op:
        batch_op.create_index('ix_external_review_assessed_at_id', ['assessed_at', 'id'], unique=False)
        batch_op.create_index('ix_external_review_customer_id_id', ['customer_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('external_review', schema=None) as batch_op:
        batch_op.drop_index('ix_external_review_customer_id_id')
        batch_op.drop_index('ix_external_review_assessed_at_id')

    op.drop_table('external_review')
    with op.batch_alter_table('external_event', schema=None) as batch_op:
        batch_op.drop_index('ix_external_event_occurred_on_id')

    op.drop_table('external_event')
