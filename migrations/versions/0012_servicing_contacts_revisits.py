"""Servicing: contacts with channel, participants, outcome and versions; follow-ups with owners and
due dates; the revisit schedule and verified dates on the customer; five more kinds of contact.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 13:30:10.997381
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS_BEFORE = (
    'needs_analysis', 'policy_explanation', 'professional_guidance', 'approval_progress', 'contract_signing',
    'revisit', 'risk_warning', 'value_added_service',
)
_KINDS_AFTER = (
    *_KINDS_BEFORE, 'site_visit', 'warning_follow_up', 'training', 'market_information', 'supply_chain_finance',
)


def _kind(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name='service_kind', native_enum=False, create_constraint=True, length=24)


def _schedule_existing_customers() -> None:
    """Graded customers get their revisit schedule: the grade's interval from the last revisit
    recorded, or from the grading (dates in UTC; the service counts in the lender's zone from now on)."""
    from api.reference.treatments import treatments  # the intervals in force when migrating

    bind = op.get_bind()
    customer = sa.table('customer', sa.column('id', sa.Integer), sa.column('grade', sa.String),
                        sa.column('graded_at', sa.DateTime(timezone=True)), sa.column('last_revisit_on', sa.Date),
                        sa.column('next_revisit_on', sa.Date))
    record = sa.table('service_record', sa.column('customer_id', sa.Integer), sa.column('kind', sa.String),
                      sa.column('occurred_at', sa.DateTime(timezone=True)))
    revisited = dict(bind.execute(
        sa.select(record.c.customer_id, sa.func.max(record.c.occurred_at))
        .where(record.c.kind == 'revisit').group_by(record.c.customer_id)
    ).all())
    days = {grade: timedelta(days=t.revisit_interval_days) for grade, t in treatments().items()}
    rows = []
    for customer_id, grade, graded_at in bind.execute(
        sa.select(customer.c.id, customer.c.grade, customer.c.graded_at).where(customer.c.grade.is_not(None))
    ):
        last = revisited.get(customer_id)
        base = last or graded_at
        rows.append({'key': customer_id, 'last': _day(last), 'next': _day(base) + days[grade] if base else None})
    if rows:
        bind.execute(
            customer.update().where(customer.c.id == sa.bindparam('key'))
            .values(last_revisit_on=sa.bindparam('last'), next_revisit_on=sa.bindparam('next')),
            rows,
        )


def _day(moment: datetime | str | None) -> date | None:
    if moment is None:
        return None
    if isinstance(moment, str):  # SQLite hands an aggregate's timestamp back as text
        moment = datetime.fromisoformat(moment)
    return moment.date()


def upgrade() -> None:
    op.create_table('service_follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_record_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=64), nullable=True),
    sa.Column('done_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_service_follow_up_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_record_id'], ['service_record.id'], name=op.f('fk_service_follow_up_service_record_id_service_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_follow_up'))
    )
    with op.batch_alter_table('service_follow_up', schema=None) as batch_op:
        batch_op.create_index('ix_service_follow_up_customer_id', ['customer_id'], unique=False)
        batch_op.create_index('ix_service_follow_up_owner_due_on', ['owner', 'due_on', 'id'], unique=False)
        batch_op.create_index('ix_service_follow_up_service_record_id', ['service_record_id'], unique=False)

    op.create_table('service_record_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_record_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('written_by', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['service_record_id'], ['service_record.id'], name=op.f('fk_service_record_version_service_record_id_service_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_record_version')),
    sa.UniqueConstraint('service_record_id', 'version', name=op.f('uq_service_record_version_service_record_id_version'))
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_revisit_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('last_revisit_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('basic_verified_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('financial_verified_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('operating_verified_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('credit_verified_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_customer_next_revisit_on'), ['next_revisit_on'], unique=False)

    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.Enum('on_site', 'at_branch', 'phone', 'video', 'email', 'online', 'letter', name='service_channel', native_enum=False, create_constraint=True, length=24), nullable=True))
        batch_op.add_column(sa.Column('participants', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('outcome', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('verified', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('corrected_by', sa.String(length=64), nullable=True))
        batch_op.alter_column('kind', existing_type=_kind(_KINDS_BEFORE), type_=_kind(_KINDS_AFTER),
                              existing_nullable=False)
        batch_op.create_index('ix_service_record_occurred_at_id', ['occurred_at', 'id'], unique=False)
        batch_op.create_index('ix_service_record_recorded_by_occurred_at', ['recorded_by', 'occurred_at', 'id'], unique=False)

    _schedule_existing_customers()



def downgrade() -> None:
    # The older schema knows none of the new kinds: such contacts become value-added services.
    op.execute(
        "UPDATE service_record SET kind = 'value_added_service' WHERE kind NOT IN ("
        + ", ".join(f"'{kind}'" for kind in _KINDS_BEFORE) + ")"
    )
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=_kind(_KINDS_AFTER), type_=_kind(_KINDS_BEFORE),
                              existing_nullable=False)
        batch_op.drop_index('ix_service_record_recorded_by_occurred_at')
        batch_op.drop_index('ix_service_record_occurred_at_id')
        batch_op.drop_column('corrected_by')
        batch_op.drop_column('corrected_at')
        batch_op.drop_column('version')
        batch_op.drop_column('verified')
        batch_op.drop_column('satisfaction')
        batch_op.drop_column('outcome')
        batch_op.drop_column('participants')
        batch_op.drop_constraint('service_channel', type_='check')
        batch_op.drop_column('channel')

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_next_revisit_on'))
        batch_op.drop_column('credit_verified_on')
        batch_op.drop_column('operating_verified_on')
        batch_op.drop_column('financial_verified_on')
        batch_op.drop_column('basic_verified_on')
        batch_op.drop_column('last_revisit_on')
        batch_op.drop_column('next_revisit_on')

    op.drop_table('service_record_version')
    with op.batch_alter_table('service_follow_up', schema=None) as batch_op:
        batch_op.drop_index('ix_service_follow_up_service_record_id')
        batch_op.drop_index('ix_service_follow_up_owner_due_on')
        batch_op.drop_index('ix_service_follow_up_customer_id')

    op.drop_table('service_follow_up')
