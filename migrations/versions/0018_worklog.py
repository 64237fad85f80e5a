"""work_log_entries: the studio's work log and talk notes, optionally linked to a case and a
household, with the hours served

Revision ID: 0018_worklog
Revises: 0017_pairings
Create Date: 2026-12-01 11:55:24.183367

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_worklog'
down_revision = '0017_pairings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('work_log_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('entry', 'talk', name='log_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('happened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('with_whom', sa.String(length=120), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('hours', sa.Float(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('hours IS NULL OR (hours > 0 AND hours <= 24)', name=op.f('ck_work_log_entries_hours_range')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_work_log_entries_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_work_log_entries_case_id_cases')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_work_log_entries_household_id_households')),
    sa.ForeignKeyConstraint(['studio_id'], ['studios.id'], name=op.f('fk_work_log_entries_studio_id_studios')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_log_entries'))
    )
    with op.batch_alter_table('work_log_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_log_entries_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_log_entries_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_log_entries_happened_at'), ['happened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_log_entries_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_log_entries_studio_id'), ['studio_id'], unique=False)



def downgrade():
    with op.batch_alter_table('work_log_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_log_entries_studio_id'))
        batch_op.drop_index(batch_op.f('ix_work_log_entries_household_id'))
        batch_op.drop_index(batch_op.f('ix_work_log_entries_happened_at'))
        batch_op.drop_index(batch_op.f('ix_work_log_entries_case_id'))
        batch_op.drop_index(batch_op.f('ix_work_log_entries_author_id'))

    op.drop_table('work_log_entries')
