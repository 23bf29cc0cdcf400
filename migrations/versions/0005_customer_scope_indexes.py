"""Indexes for a branch's and a relationship manager's customers in id order (row-scoped pages).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 13:00:16
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index('ix_customer_branch_code_id', ['branch_code', 'id'], unique=False)
        batch_op.create_index('ix_customer_relationship_manager_id_id', ['relationship_manager_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_relationship_manager_id_id')
        batch_op.drop_index('ix_customer_branch_code_id')

