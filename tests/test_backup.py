"""scripts/backup.sh and scripts/restore.sh: a backup of the database and the uploads, the
data wiped, the backup restored, and everything there again (on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from dispatch.config import PROJECT_ROOT
from dispatch.extensions import db
from dispatch.models import Case, CasePhoto
from tests.conftest import WebClient, run_queued_jobs
from tests.factories import World, walk
from tests.test_reports import details_form


def row_counts() -> dict[str, int]:
    db.session.rollback()
    return {table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
            for table in db.metadata.sorted_tables}


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def script(name: str, argument: Path, app: Flask) -> str:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "UPLOAD_DIR": app.config["UPLOAD_DIR"]}
    done = subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / name), str(argument)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def wipe(app: Flask) -> None:
    """What a lost disk or a bad deploy leaves: no rows, no photos."""
    db.session.remove()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        db.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(uri[len("sqlite:///"):] + suffix).unlink(missing_ok=True)
    else:
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()
    shutil.rmtree(app.config["UPLOAD_DIR"])


def test_a_backup_restores_every_row_and_every_photo(app: Flask, web: WebClient,
                                                     world: World, tmp_path: Path) -> None:
    walk(world.case, world, "reply")  # a case with a long ledger
    db.session.commit()
    case_id = world.case.id
    photo = io.BytesIO()
    Image.effect_noise((640, 480), 50).convert("RGB").save(photo, "JPEG")
    photo.seek(0)
    data = details_form(web, world)
    data["photos"] = [(photo, "photo.jpg")]
    assert web.post("/report/details", data, content_type="multipart/form-data"
                    ).status_code == 302
    run_queued_jobs()  # the thumbnail
    before, uploads = row_counts(), files_under(Path(app.config["UPLOAD_DIR"]))
    assert before["case_photos"] == 1 and len(uploads) == 2  # the photo and its thumbnail
    assert before["case_events"] >= 8

    backup = Path(script("backup.sh", tmp_path / "backups", app))
    assert backup.parent == tmp_path / "backups" and (backup / "SHA256SUMS").exists()
    wipe(app)
    assert not Path(app.config["UPLOAD_DIR"]).exists()

    script("restore.sh", backup, app)
    assert row_counts() == before
    assert files_under(Path(app.config["UPLOAD_DIR"])) == uploads
    [stored] = db.session.scalars(select(CasePhoto)).all()
    served = web.get(f"/media/{stored.key}.jpg")
    assert served.status_code == 200 and served.data[:2] == b"\xff\xd8"
    served.close()
    replied = db.session.get(Case, case_id)
    assert replied is not None and replied.reply_text
    # The ledger is still append-only after a restore: its triggers came back too.
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE case_events SET note = 'rewritten'"))
    db.session.rollback()


def test_a_damaged_backup_is_refused_before_anything_is_touched(
        app: Flask, world: World, tmp_path: Path) -> None:
    backup = Path(script("backup.sh", tmp_path / "backups", app))
    before = row_counts()
    dump = next(p for p in backup.iterdir() if p.name.startswith("database."))
    dump.write_bytes(dump.read_bytes()[:-10] + b"0123456789")
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "UPLOAD_DIR": app.config["UPLOAD_DIR"]}
    done = subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "restore.sh"), str(backup)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert row_counts() == before
