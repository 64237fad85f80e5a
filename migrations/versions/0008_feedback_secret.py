"""cases: feedback_key_hash, the sha256 of the key only the resident's link carries

Cases filed before have none: their feedback is recorded by the desk.

Revision ID: 0008_feedback_secret
Revises: 0007_session_version
Create Date: 2026-12-01 09:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_feedback_secret'
down_revision = "0007_session_version"
branch_labels = None
depends_on = None


def upgrade():
    # In place on SQLite too: a table rebuild would trip the ledger's references to cases.
    op.add_column('cases', sa.Column('feedback_key_hash', sa.String(length=64), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite (3.35+) drops a plain column in place; Alembic only offers the rebuild.
        op.execute("ALTER TABLE cases DROP COLUMN feedback_key_hash")
    else:
        op.drop_column('cases', 'feedback_key_hash')
