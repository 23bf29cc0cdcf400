"""Customer registry: branches, staff, customers, their four information groups and history.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 10:04:39.254259
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('branch',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_branch'))
    )
    op.create_table('staff_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('branch_code', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_code'], ['branch.code'], name=op.f('fk_staff_member_branch_code_branch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_member')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_member_username'))
    )
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_member_branch_code'), ['branch_code'], unique=False)

    op.create_table('customer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('industry_code', sa.String(length=8), nullable=False),
    sa.Column('branch_code', sa.String(length=16), nullable=False),
    sa.Column('relationship_manager_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Enum('large', 'medium', 'small', 'micro', name='size', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('size_rule_version', sa.String(length=32), nullable=True),
    sa.Column('size_rule_id', sa.String(length=48), nullable=True),
    sa.Column('size_inputs', sa.JSON(), nullable=True),
    sa.Column('size_determined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('credit_status', sa.Enum('premium', 'general', 'watch', 'non_performing', name='credit_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('credit_status_basis', sa.Text(), nullable=False),
    sa.Column('credit_status_set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('credit_status_set_by', sa.String(length=64), nullable=False),
    sa.Column('latest_statement_period_end', sa.Date(), nullable=True),
    sa.Column('last_major_change_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_code'], ['branch.code'], name=op.f('fk_customer_branch_code_branch')),
    sa.ForeignKeyConstraint(['relationship_manager_id'], ['staff_member.id'], name=op.f('fk_customer_relationship_manager_id_staff_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_customer_credit_code'))
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_branch_code'), ['branch_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_credit_status'), ['credit_status'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_industry_code'), ['industry_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_last_major_change_at'), ['last_major_change_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_latest_statement_period_end'), ['latest_statement_period_end'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_relationship_manager_id'), ['relationship_manager_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_size'), ['size'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_updated_at'), ['updated_at'], unique=False)

    op.create_table('basic_information',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('registration_authority', sa.String(length=200), nullable=True),
    sa.Column('established_on', sa.Date(), nullable=True),
    sa.Column('licence_issued_on', sa.Date(), nullable=True),
    sa.Column('business_term_until', sa.Date(), nullable=True),
    sa.Column('registered_address', sa.String(length=500), nullable=True),
    sa.Column('articles_reference', sa.String(length=200), nullable=True),
    sa.Column('articles_adopted_on', sa.Date(), nullable=True),
    sa.Column('legal_representative_name', sa.String(length=100), nullable=True),
    sa.Column('legal_representative_id_type', sa.Enum('resident_id_card', 'passport', 'other', name='id_type', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('legal_representative_id_number', sa.String(length=64), nullable=True),
    sa.Column('legal_representative_phone', sa.String(length=32), nullable=True),
    sa.Column('registered_capital', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('registered_capital_currency', sa.String(length=3), nullable=True),
    sa.Column('business_scope', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_basic_information_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_basic_information'))
    )
    op.create_table('credit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('loan_repaid', 'overdue', 'default', 'restructuring', 'litigation', 'enforcement', 'other', name='event_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('days_past_due', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_credit_event_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_event'))
    )
    with op.batch_alter_table('credit_event', schema=None) as batch_op:
        batch_op.create_index('ix_credit_event_customer_id_occurred_on', ['customer_id', 'occurred_on'], unique=False)

    op.create_table('credit_information',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('credit_report_reference', sa.String(length=64), nullable=True),
    sa.Column('credit_report_date', sa.Date(), nullable=True),
    sa.Column('external_rating', sa.String(length=16), nullable=True),
    sa.Column('external_rating_agency', sa.String(length=100), nullable=True),
    sa.Column('external_rating_date', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_credit_information_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_credit_information'))
    )
    op.create_table('customer_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=64), nullable=False),
    sa.Column('info_group', sa.Enum('customer', 'basic', 'financial', 'operating', 'credit', name='info_group', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('major', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_change_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_change'))
    )
    with op.batch_alter_table('customer_change', schema=None) as batch_op:
        batch_op.create_index('ix_customer_change_customer_id_id', ['customer_id', 'id'], unique=False)

    op.create_table('financial_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('period_kind', sa.Enum('annual', 'semiannual', 'quarterly', name='period_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_assets', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('total_liabilities', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('current_assets', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('current_liabilities', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('cash', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('accounts_receivable', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('inventory', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('short_term_debt', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('long_term_debt', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('advances_from_customers', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('equity', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('revenue', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('cost_of_sales', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('operating_profit', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('interest_expense', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('net_profit', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('operating_cash_flow', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('investing_cash_flow', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('financing_cash_flow', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('audit_opinion', sa.Enum('unqualified', 'qualified', 'adverse', 'disclaimer', 'unaudited', name='audit_opinion', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('auditor', sa.String(length=200), nullable=True),
    sa.Column('taxes_paid', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('tax_credit_rating', sa.String(length=2), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_financial_statement_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_financial_statement')),
    sa.UniqueConstraint('customer_id', 'period_end', 'period_kind', name=op.f('uq_financial_statement_customer_id_period_end_period_kind'))
    )
    with op.batch_alter_table('financial_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_financial_statement_customer_id'), ['customer_id'], unique=False)

    op.create_table('guarantee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('beneficiary', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('active', 'released', 'called', name='guarantee_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_guarantee_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guarantee'))
    )
    with op.batch_alter_table('guarantee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guarantee_customer_id'), ['customer_id'], unique=False)

    op.create_table('major_investment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_major_investment_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_major_investment'))
    )
    with op.batch_alter_table('major_investment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_major_investment_customer_id'), ['customer_id'], unique=False)

    op.create_table('operating_information',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('market_share_percent', sa.Numeric(precision=7, scale=4), nullable=True),
    sa.Column('industry_position', sa.Enum('leader', 'major', 'average', 'minor', name='industry_position', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('main_products', sa.JSON(), nullable=False),
    sa.Column('sales_channels', sa.JSON(), nullable=False),
    sa.Column('upstream_partners', sa.JSON(), nullable=False),
    sa.Column('downstream_partners', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_operating_information_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_operating_information'))
    )


def downgrade() -> None:
    op.drop_table('operating_information')
    with op.batch_alter_table('major_investment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_major_investment_customer_id'))

    op.drop_table('major_investment')
    with op.batch_alter_table('guarantee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guarantee_customer_id'))

    op.drop_table('guarantee')
    with op.batch_alter_table('financial_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_financial_statement_customer_id'))

    op.drop_table('financial_statement')
    with op.batch_alter_table('customer_change', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_change_customer_id_id')

    op.drop_table('customer_change')
    op.drop_table('credit_information')
    with op.batch_alter_table('credit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_event_customer_id_occurred_on')

    op.drop_table('credit_event')
    op.drop_table('basic_information')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_updated_at'))
        batch_op.drop_index(batch_op.f('ix_customer_size'))
        batch_op.drop_index(batch_op.f('ix_customer_relationship_manager_id'))
        batch_op.drop_index(batch_op.f('ix_customer_name'))
        batch_op.drop_index(batch_op.f('ix_customer_latest_statement_period_end'))
        batch_op.drop_index(batch_op.f('ix_customer_last_major_change_at'))
        batch_op.drop_index(batch_op.f('ix_customer_industry_code'))
        batch_op.drop_index(batch_op.f('ix_customer_credit_status'))
        batch_op.drop_index(batch_op.f('ix_customer_created_at'))
        batch_op.drop_index(batch_op.f('ix_customer_branch_code'))

    op.drop_table('customer')
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_member_branch_code'))

    op.drop_table('staff_member')
    op.drop_table('branch')
