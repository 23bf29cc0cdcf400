"""Credit applications with their moves (submitted, under review, approved, rejected, withdrawn), the
approval deadline and green channel from the applicant's grade, and the facility booked from one.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 20:32:35.932370
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = ('submitted', 'under_review', 'approved', 'rejected', 'withdrawn')


def _enum(name: str) -> sa.Enum:
    return sa.Enum(*_STATUSES, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    op.create_table('credit_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('product', sa.String(length=100), nullable=False),
    sa.Column('amount', api.db.base.Money(precision=20, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('collateral', sa.JSON(), nullable=False),
    sa.Column('guarantees', sa.JSON(), nullable=False),
    sa.Column('status', _enum('application_status'), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=True),
    sa.Column('green_channel', sa.Boolean(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('submitted_at', api.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sa.String(length=64), nullable=False),
    sa.Column('reviewer', sa.String(length=64), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('exception_reason', sa.Text(), nullable=True),
    sa.Column('approved_amount', api.db.base.Money(precision=20, scale=2), nullable=True),
    sa.Column('approved_rate', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_credit_application_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_application'))
    )
    with op.batch_alter_table('credit_application', schema=None) as batch_op:
        batch_op.create_index('ix_credit_application_customer_id_id', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_credit_application_queue', ['status', 'green_channel', 'due_on', 'id'], unique=False)

    op.create_table('credit_application_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('from_status', _enum('from_status'), nullable=True),
    sa.Column('to_status', _enum('to_status'), nullable=False),
    sa.Column('at', api.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['credit_application.id'], name=op.f('fk_credit_application_step_application_id_credit_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_application_step'))
    )
    with op.batch_alter_table('credit_application_step', schema=None) as batch_op:
        batch_op.create_index('ix_credit_application_step_application_id_id', ['application_id', 'id'], unique=False)

    with op.batch_alter_table('credit_facility', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_credit_facility_application_id'), ['application_id'])
        batch_op.create_foreign_key(batch_op.f('fk_credit_facility_application_id_credit_application'), 'credit_application', ['application_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('credit_facility', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_credit_facility_application_id_credit_application'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_credit_facility_application_id'), type_='unique')
        batch_op.drop_column('application_id')

    with op.batch_alter_table('credit_application_step', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_application_step_application_id_id')

    op.drop_table('credit_application_step')
    with op.batch_alter_table('credit_application', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_application_queue')
        batch_op.drop_index('ix_credit_application_customer_id_id')

    op.drop_table('credit_application')
