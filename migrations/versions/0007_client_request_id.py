"""Audit entries carry the service's own request id, and the client's X-Request-ID beside it:
the id entries are filed under is no longer the client's to choose.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 03:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.db.migrations import refuse_to_drop_records

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: the table is not rebuilt, its append-only triggers stay.
    op.add_column('audit_entry', sa.Column('client_request_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    # Dropping the column loses what it holds: the same rule as dropping a record table.
    refuse_to_drop_records(op.get_bind(), "audit_entry", revision,
                           where="client_request_id IS NOT NULL", what="its client_request_id column")
    # SQLite (3.35+) drops a plain column in place, without the rebuild that would lose the triggers.
    op.execute("ALTER TABLE audit_entry DROP COLUMN client_request_id")
