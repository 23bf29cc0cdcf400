"""A customer's size may be *not applicable*: the 2011 standard does not size public
administration and social organisations (section S) or international organisations (T).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 07:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ('large', 'medium', 'small', 'micro')
_AFTER = (*_BEFORE, 'not_applicable')


def _size(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name='size', native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.alter_column('size', existing_type=_size(_BEFORE), type_=_size(_AFTER), existing_nullable=True)


def downgrade() -> None:
    # The older schema cannot say "not applicable": those sizes become unknown, while the rule id
    # `not_applicable` stays on the customer and says why.
    op.execute("UPDATE customer SET size = NULL WHERE size = 'not_applicable'")
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.alter_column('size', existing_type=_size(_AFTER), type_=_size(_BEFORE), existing_nullable=True)
