"""Grading: every assessment as history, overrides with their approval, the grade in force on the customer.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:52:54.274420
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('regrade_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by', sa.String(length=64), nullable=False),
    sa.Column('industry', sa.String(length=8), nullable=True),
    sa.Column('last_customer_id', sa.Integer(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regrade_run'))
    )
    op.create_table('grade_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assessed_by', sa.String(length=64), nullable=False),
    sa.Column('trigger', sa.String(length=24), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=False),
    sa.Column('score', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('strategy_id', sa.String(length=100), nullable=False),
    sa.Column('strategy_version', sa.String(length=50), nullable=False),
    sa.Column('plugin_name', sa.String(length=200), nullable=False),
    sa.Column('plugin_distribution', sa.String(length=200), nullable=False),
    sa.Column('plugin_version', sa.String(length=50), nullable=False),
    sa.Column('factors', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('knock_outs', sa.JSON(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_grade_assessment_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_assessment'))
    )
    with op.batch_alter_table('grade_assessment', schema=None) as batch_op:
        batch_op.create_index('ix_grade_assessment_customer_id_id', ['customer_id', 'id'], unique=False)

    op.create_table('grade_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('from_grade', sa.String(length=1), nullable=False),
    sa.Column('to_grade', sa.String(length=1), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.Column('reason_text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('proposed_by', sa.String(length=64), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['grade_assessment.id'], name=op.f('fk_grade_override_assessment_id_grade_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_grade_override_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_override'))
    )
    with op.batch_alter_table('grade_override', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_override_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grade_override_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grade_override_status'), ['status'], unique=False)

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grade', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('grade_score', sa.Numeric(precision=5, scale=2), nullable=True))
        batch_op.add_column(sa.Column('graded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_customer_grade'), ['grade'], unique=False)



def downgrade() -> None:
    op.drop_table('regrade_run')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_grade'))
        batch_op.drop_column('graded_at')
        batch_op.drop_column('grade_score')
        batch_op.drop_column('grade')

    with op.batch_alter_table('grade_override', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grade_override_status'))
        batch_op.drop_index(batch_op.f('ix_grade_override_customer_id'))
        batch_op.drop_index(batch_op.f('ix_grade_override_assessment_id'))

    op.drop_table('grade_override')
    with op.batch_alter_table('grade_assessment', schema=None) as batch_op:
        batch_op.drop_index('ix_grade_assessment_customer_id_id')

    op.drop_table('grade_assessment')
