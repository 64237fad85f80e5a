"""users: session_version, raised to end every session of a user at once

Revision ID: 0007_session_version
Revises: c650dd5896e8
Create Date: 2026-12-01 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_session_version'
down_revision = 'c650dd5896e8'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN with a default works on SQLite and PostgreSQL alike; existing
    # sessions (which carry no version) end once, at the first request after the upgrade.
    op.add_column('users', sa.Column('session_version', sa.Integer(), server_default='0',
                                     nullable=False))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # The batch rebuild drops and recreates users, which other tables point at: pause
        # the foreign-key checks while it runs (as 0006 does for cases).
        op.execute("PRAGMA foreign_keys=OFF")
        with op.batch_alter_table('users', recreate="always") as batch_op:
            batch_op.drop_column('session_version')
        op.execute("PRAGMA foreign_keys=ON")
    else:
        op.drop_column('users', 'session_version')
