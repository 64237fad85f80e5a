"""photo processing: case_photos.state (pending, ready, refused)

A filing stores the upload, checked by content, and the worker decodes and re-encodes it
(EXIF/GPS stripped) and makes the thumbnail; until then the photo is "pending" and none of
its files is served. Photos stored before this revision were processed at once: "ready".

Revision ID: 0021_photo_processing
Revises: 0020_place_settings
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_photo_processing'
down_revision = "0020_place_settings"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("case_photos") as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=8), nullable=False,
                                      server_default="ready"))
        batch_op.create_check_constraint(batch_op.f("ck_case_photos_photo_state"),
                                         "state IN ('pending', 'ready', 'refused')")


def downgrade():
    with op.batch_alter_table("case_photos") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_case_photos_photo_state"), type_="check")
        batch_op.drop_column("state")
