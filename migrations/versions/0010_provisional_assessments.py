"""Provisional assessments (required answers missing: stored, never in force), the record of
automatic re-grades that failed, and the facts of other data classes a strategy now sees (the
establishment date, the operating information).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('grading_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('triggered_by', sa.String(length=64), nullable=False),
    sa.Column('trigger', sa.String(length=24), nullable=False),
    sa.Column('strategy_id', sa.String(length=100), nullable=False),
    sa.Column('plugin_name', sa.String(length=200), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_grading_failure_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grading_failure'))
    )
    with op.batch_alter_table('grading_failure', schema=None) as batch_op:
        batch_op.create_index('ix_grading_failure_customer_id_id', ['customer_id', 'id'], unique=False)
    # Plain ADD COLUMNs with defaults: every assessment made before this revision was put in force.
    op.add_column('grade_assessment', sa.Column('provisional', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('grade_assessment', sa.Column('missing_answers', sa.JSON(), server_default='[]', nullable=False))
    op.add_column('grade_assessment', sa.Column('established_on', sa.Date(), nullable=True))
    op.add_column('grade_assessment', sa.Column('operating_facts', sa.JSON(), nullable=True))
    op.add_column('regrade_run', sa.Column('provisional', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    # A provisional assessment was never in force: the older schema would take it for one.
    op.execute("DELETE FROM grade_assessment WHERE provisional")
    with op.batch_alter_table('regrade_run', schema=None) as batch_op:
        batch_op.drop_column('provisional')
    with op.batch_alter_table('grade_assessment', schema=None) as batch_op:
        batch_op.drop_column('operating_facts')
        batch_op.drop_column('established_on')
        batch_op.drop_column('missing_answers')
        batch_op.drop_column('provisional')
    with op.batch_alter_table('grading_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_grading_failure_customer_id_id')
    op.drop_table('grading_failure')
