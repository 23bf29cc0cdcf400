"""The credit business: facilities, their repayment schedules and repayments, five-category risk
classification history per facility and per borrower, and the borrower's debt at all banks.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 19:55:42.549350
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CATEGORIES = ('normal', 'special_mention', 'substandard', 'doubtful', 'loss')


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    op.create_table('borrower_classification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('category', _enum('risk_category', _CATEGORIES), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('days_past_due', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('rules_version', sa.String(length=32), nullable=False),
    sa.Column('recorded_at', api.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_borrower_classification_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_borrower_classification'))
    )
    with op.batch_alter_table('borrower_classification', schema=None) as batch_op:
        batch_op.create_index('ix_borrower_classification_customer_id_effective_on', ['customer_id', 'effective_on', 'id'], unique=False)

    op.create_table('credit_facility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('product', sa.String(length=100), nullable=False),
    sa.Column('limit_amount', api.db.base.Money(precision=20, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('drawn_amount', api.db.base.Money(precision=20, scale=2), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('maturity_on', sa.Date(), nullable=False),
    sa.Column('rate', sa.Numeric(precision=9, scale=6), nullable=False),
    sa.Column('renewal_of_id', sa.Integer(), nullable=True),
    sa.Column('restructured_on', sa.Date(), nullable=True),
    sa.Column('status', _enum('facility_status', ('active', 'settled')), server_default='active', nullable=False),
    sa.Column('outstanding', api.db.base.Money(precision=20, scale=2), nullable=False),
    sa.Column('days_past_due', sa.Integer(), server_default='0', nullable=False),
    sa.Column('overdue_amount', api.db.base.Money(precision=20, scale=2), server_default='0', nullable=False),
    sa.Column('category', _enum('risk_category', _CATEGORIES), server_default='normal', nullable=False),
    sa.Column('category_reasons', sa.JSON(), nullable=False),
    sa.Column('classified_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', api.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_credit_facility_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['renewal_of_id'], ['credit_facility.id'], name=op.f('fk_credit_facility_renewal_of_id_credit_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_facility')),
    sa.UniqueConstraint('reference', name=op.f('uq_credit_facility_reference'))
    )
    with op.batch_alter_table('credit_facility', schema=None) as batch_op:
        batch_op.create_index('ix_credit_facility_customer_id_id', ['customer_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_facility_renewal_of_id'), ['renewal_of_id'], unique=False)

    op.create_table('facility_classification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('category', _enum('risk_category', _CATEGORIES), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('days_past_due', sa.Integer(), nullable=False),
    sa.Column('overdue_amount', api.db.base.Money(precision=20, scale=2), nullable=False),
    sa.Column('outstanding', api.db.base.Money(precision=20, scale=2), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('rules_version', sa.String(length=32), nullable=False),
    sa.Column('recorded_at', api.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_facility_classification_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['facility_id'], ['credit_facility.id'], name=op.f('fk_facility_classification_facility_id_credit_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_classification'))
    )
    with op.batch_alter_table('facility_classification', schema=None) as batch_op:
        batch_op.create_index('ix_facility_classification_customer_id_effective_on', ['customer_id', 'effective_on'], unique=False)
        batch_op.create_index('ix_facility_classification_facility_id_effective_on', ['facility_id', 'effective_on'], unique=False)

    op.create_table('repayment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', api.db.base.Money(precision=20, scale=2), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', api.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['credit_facility.id'], name=op.f('fk_repayment_facility_id_credit_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repayment')),
    sa.UniqueConstraint('facility_id', 'reference', name=op.f('uq_repayment_facility_id_reference'))
    )
    with op.batch_alter_table('repayment', schema=None) as batch_op:
        batch_op.create_index('ix_repayment_facility_id_paid_on', ['facility_id', 'paid_on'], unique=False)

    op.create_table('repayment_installment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('principal', api.db.base.Money(precision=20, scale=2), nullable=False),
    sa.Column('interest', api.db.base.Money(precision=20, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['credit_facility.id'], name=op.f('fk_repayment_installment_facility_id_credit_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repayment_installment')),
    sa.UniqueConstraint('facility_id', 'due_on', name=op.f('uq_repayment_installment_facility_id_due_on'))
    )
    with op.batch_alter_table('credit_information', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bank_debt_total', api.db.base.Money(precision=20, scale=2), nullable=True))
        batch_op.add_column(sa.Column('bank_debt_overdue_long', api.db.base.Money(precision=20, scale=2), nullable=True))
        batch_op.add_column(sa.Column('bank_debt_reported_on', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('credit_information', schema=None) as batch_op:
        batch_op.drop_column('bank_debt_reported_on')
        batch_op.drop_column('bank_debt_overdue_long')
        batch_op.drop_column('bank_debt_total')

    op.drop_table('repayment_installment')
    with op.batch_alter_table('repayment', schema=None) as batch_op:
        batch_op.drop_index('ix_repayment_facility_id_paid_on')

    op.drop_table('repayment')
    with op.batch_alter_table('facility_classification', schema=None) as batch_op:
        batch_op.drop_index('ix_facility_classification_facility_id_effective_on')
        batch_op.drop_index('ix_facility_classification_customer_id_effective_on')

    op.drop_table('facility_classification')
    with op.batch_alter_table('credit_facility', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_facility_renewal_of_id'))
        batch_op.drop_index('ix_credit_facility_customer_id_id')

    op.drop_table('credit_facility')
    with op.batch_alter_table('borrower_classification', schema=None) as batch_op:
        batch_op.drop_index('ix_borrower_classification_customer_id_effective_on')

    op.drop_table('borrower_classification')
