"""shifts at sites, volunteers' sign-ups (one active per shift and person; taken <= places
by a CHECK) and each volunteer's secret calendar feed

Revision ID: 0016_shifts
Revises: 0015_category_settings_version
Create Date: 2026-12-01 11:32:19.404587

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_shifts'
down_revision = "0015_category_settings_version"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feeds',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash'))
    )
    op.create_table('shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('captain_id', sa.Integer(), nullable=True),
    sa.Column('site_name', sa.String(length=120), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('taken', sa.Integer(), server_default='0', nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('open', 'cancelled', name='shift_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('series', sa.String(length=32), nullable=True),
    sa.Column('rule', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_shifts_ends_after_start')),
    sa.CheckConstraint('places > 0', name=op.f('ck_shifts_places_positive')),
    sa.CheckConstraint('taken >= 0 AND taken <= places', name=op.f('ck_shifts_taken_within_places')),
    sa.ForeignKeyConstraint(['captain_id'], ['users.id'], name=op.f('fk_shifts_captain_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_shifts_created_by_id_users')),
    sa.ForeignKeyConstraint(['studio_id'], ['studios.id'], name=op.f('fk_shifts_studio_id_studios')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_shifts_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shifts'))
    )
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shifts_captain_id'), ['captain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shifts_series'), ['series'], unique=False)
        batch_op.create_index(batch_op.f('ix_shifts_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shifts_studio_id'), ['studio_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shifts_team_id'), ['team_id'], unique=False)

    op.create_table('shift_signups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('signed_up', 'dropped', 'released', name='signup_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checkin_distance_m', sa.Float(), nullable=True),
    sa.Column('checkin_far', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('checked_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('no_show', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.CheckConstraint('checked_out_at IS NULL OR checked_in_at IS NOT NULL', name=op.f('ck_shift_signups_out_after_in')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_shift_signups_ended_by_id_users')),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_shift_signups_shift_id_shifts')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shift_signups_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_signups'))
    )
    with op.batch_alter_table('shift_signups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_signups_shift_id'), ['shift_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shift_signups_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_shift_signups_active', ['shift_id', 'user_id'], unique=True, sqlite_where=sa.text("state = 'signed_up'"), postgresql_where=sa.text("state = 'signed_up'"))



def downgrade():
    with op.batch_alter_table('shift_signups', schema=None) as batch_op:
        batch_op.drop_index('uq_shift_signups_active', sqlite_where=sa.text("state = 'signed_up'"), postgresql_where=sa.text("state = 'signed_up'"))
        batch_op.drop_index(batch_op.f('ix_shift_signups_user_id'))
        batch_op.drop_index(batch_op.f('ix_shift_signups_shift_id'))

    op.drop_table('shift_signups')
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shifts_team_id'))
        batch_op.drop_index(batch_op.f('ix_shifts_studio_id'))
        batch_op.drop_index(batch_op.f('ix_shifts_starts_at'))
        batch_op.drop_index(batch_op.f('ix_shifts_series'))
        batch_op.drop_index(batch_op.f('ix_shifts_captain_id'))

    op.drop_table('shifts')
    op.drop_table('calendar_feeds')
