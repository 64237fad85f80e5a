"""cases.channel (how a matter reached the studio); reception sessions (接待日), their
representatives and the people received in them

Cases filed before are "online" (the resident's form), except imported inspection
findings, which came from a patrol.

Revision ID: 0012_studio_intake_reception
Revises: 0011_spatial_index
Create Date: 2026-12-01 11:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_studio_intake_reception'
down_revision = "0011_spatial_index"
branch_labels = None
depends_on = None

CHANNELS = ("walk_in", "phone", "wechat", "letter", "patrol", "online")


def upgrade():
    op.create_table('reception_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('starts', sa.String(length=5), nullable=False),
    sa.Column('ends', sa.String(length=5), nullable=False),
    sa.Column('topic', sa.String(length=120), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('starts < ends', name=op.f('ck_reception_sessions_starts_before_ends')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reception_sessions_created_by_id_users')),
    sa.ForeignKeyConstraint(['studio_id'], ['studios.id'], name=op.f('fk_reception_sessions_studio_id_studios')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reception_sessions')),
    sa.UniqueConstraint('studio_id', 'day', 'starts', name='uq_reception_sessions_slot')
    )
    with op.batch_alter_table('reception_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reception_sessions_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_reception_sessions_studio_id'), ['studio_id'], unique=False)

    op.create_table('reception_representatives',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['reception_sessions.id'], name=op.f('fk_reception_representatives_session_id_reception_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reception_representatives_user_id_users')),
    sa.PrimaryKeyConstraint('session_id', 'user_id', name=op.f('pk_reception_representatives'))
    )
    op.create_table('reception_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Enum('case', 'answered', 'note', name='outcome', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('visitor_name', sa.String(length=60), nullable=True),
    sa.Column('visitor_phone', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(outcome = 'note') = (case_id IS NULL)", name=op.f('ck_reception_visits_visit_case_unless_note')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_reception_visits_case_id_cases')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_reception_visits_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['session_id'], ['reception_sessions.id'], name=op.f('fk_reception_visits_session_id_reception_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reception_visits')),
    sa.UniqueConstraint('case_id', name=op.f('uq_reception_visits_case_id'))
    )
    with op.batch_alter_table('reception_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reception_visits_session_id'), ['session_id'], unique=False)

    # In place on SQLite too (a table rebuild would trip the ledger's references to cases);
    # the CHECK of the values is added where the database can add one to a table.
    op.add_column('cases', sa.Column('channel', sa.String(length=20), nullable=False,
                                     server_default='online'))
    op.create_index(op.f('ix_cases_channel'), 'cases', ['channel'], unique=False)
    op.execute("UPDATE cases SET channel = 'patrol' WHERE kind = 'inspection'")
    if op.get_bind().dialect.name != "sqlite":
        op.create_check_constraint(
            op.f('ck_cases_channel'), 'cases',
            "channel IN (%s)" % ", ".join(f"'{c}'" for c in CHANNELS))


def downgrade():
    op.drop_index(op.f('ix_reception_visits_session_id'), table_name='reception_visits')
    op.drop_table('reception_visits')
    op.drop_table('reception_representatives')
    op.drop_index(op.f('ix_reception_sessions_studio_id'), table_name='reception_sessions')
    op.drop_index(op.f('ix_reception_sessions_day'), table_name='reception_sessions')
    op.drop_table('reception_sessions')
    op.drop_index(op.f('ix_cases_channel'), table_name='cases')
    if op.get_bind().dialect.name == "sqlite":
        # SQLite (3.35+) drops a plain column in place; Alembic only offers the rebuild.
        op.execute("ALTER TABLE cases DROP COLUMN channel")
    else:
        op.drop_constraint(op.f('ck_cases_channel'), 'cases', type_='check')
        op.drop_column('cases', 'channel')
