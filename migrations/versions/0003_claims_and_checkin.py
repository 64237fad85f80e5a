"""Add claims and field check-in columns to cases

A claim (认领) lasts until claim_expires_at and may be extended once; a check-in far from
the case is recorded with its distance.

Revision ID: 7f9e662577c3
Revises: f80dec9251b5
Create Date: 2026-11-23 23:25:36.883986

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7f9e662577c3'
down_revision = 'f80dec9251b5'
branch_labels = None
depends_on = None


COLUMNS = ("claimed_at", "claim_expires_at", "checked_in_at", "done_at")


def upgrade():
    # Plain ALTERs, not a batch: recreating `cases` on SQLite would trip the ledger's
    # foreign keys (see 0002).
    for name in COLUMNS:
        op.add_column('cases', sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.add_column('cases', sa.Column('claim_extended', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))
    op.add_column('cases', sa.Column('checkin_distance_m', sa.Float(), nullable=True))
    op.create_index(op.f('ix_cases_claim_expires_at'), 'cases', ['claim_expires_at'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_cases_claim_expires_at'), table_name='cases')
    op.drop_column('cases', 'checkin_distance_m')
    op.drop_column('cases', 'claim_extended')
    for name in reversed(COLUMNS):
        op.drop_column('cases', name)
