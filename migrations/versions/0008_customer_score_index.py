"""Customers sort and filter by their grade's score (`orderBy: [{score: DESC}]`) with an index,
as they do by every other sortable field.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f('ix_customer_grade_score'), 'customer', ['grade_score'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_customer_grade_score'), table_name='customer')
