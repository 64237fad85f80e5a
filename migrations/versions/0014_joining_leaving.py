"""people joining and leaving: volunteers' applications, one-time password links, the
audit log; users.deactivated_at and anonymised_at

Revision ID: 0014_joining_leaving
Revises: 0013_workday_clocks
Create Date: 2026-12-01 12:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_joining_leaving'
down_revision = "0013_workday_clocks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=60), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action <> ''", name=op.f('ck_audit_log_action_given')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_created_at'), ['created_at'], unique=False)

    op.create_table('one_time_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_one_time_links_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_one_time_links_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_one_time_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_one_time_links_token_hash'))
    )
    with op.batch_alter_table('one_time_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_one_time_links_user_id'), ['user_id'], unique=False)

    op.create_table('volunteer_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('base_place', sa.String(length=120), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'approved', 'declined', name='status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.String(length=255), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('submission_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_volunteer_applications_decided_by_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_volunteer_applications_team_id_teams')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_volunteer_applications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_applications')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_volunteer_applications_submission_token')),
    sa.UniqueConstraint('user_id', name=op.f('uq_volunteer_applications_user_id'))
    )
    with op.batch_alter_table('volunteer_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteer_applications_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_applications_team_id'), ['team_id'], unique=False)
        batch_op.create_index('uq_volunteer_applications_pending_phone', ['phone'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    # In place on SQLite too: a rebuild of users would trip the ledger's references.
    op.add_column('users', sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    for column in ('anonymised_at', 'deactivated_at'):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE users DROP COLUMN {column}")
        else:
            op.drop_column('users', column)
    with op.batch_alter_table('volunteer_applications', schema=None) as batch_op:
        batch_op.drop_index('uq_volunteer_applications_pending_phone', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_volunteer_applications_team_id'))
        batch_op.drop_index(batch_op.f('ix_volunteer_applications_status'))

    op.drop_table('volunteer_applications')
    with op.batch_alter_table('one_time_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_one_time_links_user_id'))

    op.drop_table('one_time_links')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
