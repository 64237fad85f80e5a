"""Thumbnails are the worker's: a filing with a photo stores only the checked, re-encoded
image; the job makes the thumbnail after commit; until then the page serves the processed
image in its place, never the upload."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from PIL import Image
from sqlalchemy import select

from dispatch.extensions import db, get_queue
from dispatch.jobs.photos import enqueue_thumbnail, make_thumbnail
from dispatch.models import Case, CasePhoto
from dispatch.services import photos
from dispatch.services.photos import THUMB_SIDE, photo_path, process_upload
from tests.conftest import WebClient, run_queued_jobs
from tests.factories import World
from tests.test_photos import POLYGLOT, encoded, noisy, zip_payload
from tests.test_reports import details_form

LEAKS = (b"Exif\x00\x00", b"PhoneMaker", b"secret note")


def phone_jpeg(size: tuple[int, int] = (2000, 1500)) -> bytes:
    """A photo as a phone sends it: EXIF with the maker and GPS, and a comment."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (27.0, 51.0, 55.8), 3: "E", 4: (112.0, 56.0, 48.5)}
    return encoded(noisy(size), "JPEG", exif=exif, comment=b"secret note", quality=90)


def file_with(web: WebClient, world: World, upload: bytes) -> tuple[int, str]:
    data = details_form(web, world)
    data["photos"] = [(io.BytesIO(upload), "IMG_0001.jpg")]
    response = web.post("/report/details", data, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def the_photo() -> CasePhoto:
    db.session.expire_all()
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case is not None
    [photo] = case.photos
    return photo


def assert_clean_jpeg(content: bytes) -> None:
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "JPEG" and len(image.getexif()) == 0
        assert not {"exif", "comment", "icc_profile", "xmp"} & set(image.info)
    for leak in LEAKS:
        assert leak not in content


def test_the_page_works_before_the_job_and_the_job_makes_the_thumbnail(
        app: Flask, web: WebClient, world: World) -> None:
    upload = phone_jpeg()
    status, body = file_with(web, world, upload)
    assert status == 302, body
    photo = the_photo()
    folder = Path(app.config["UPLOAD_DIR"])
    full, thumb = photo_path(folder, photo.key), photo_path(folder, photo.key, thumb=True)
    assert full.exists() and not thumb.exists()  # the resident did not wait for it
    assert (photo.width, photo.height) == (1600, 1200)
    assert_clean_jpeg(full.read_bytes())
    assert upload not in full.read_bytes() and full.read_bytes() != upload

    # Before the job: the thumbnail's address serves the processed image, not cached.
    early = web.get(f"/media/{photo.key}_thumb.jpg")
    assert early.status_code == 200 and early.mimetype == "image/jpeg"
    assert early.get_data() == full.read_bytes()
    assert "max-age=0" in early.headers["Cache-Control"]
    early.close()
    assert get_queue().fetch_job(f"thumbnail-{photo.key}") is not None

    run_queued_jobs()  # a real RQ worker on the real Redis

    assert thumb.exists()
    content = thumb.read_bytes()
    assert_clean_jpeg(content)
    with Image.open(io.BytesIO(content)) as image:
        assert image.size == (THUMB_SIDE, 270)
    late = web.get(f"/media/{photo.key}_thumb.jpg")
    assert late.get_data() == content and "max-age=3600" in late.headers["Cache-Control"]
    late.close()


def test_the_job_is_idempotent(app: Flask, web: WebClient, world: World) -> None:
    assert file_with(web, world, phone_jpeg((800, 600)))[0] == 302
    photo = the_photo()
    assert enqueue_thumbnail(photo.key)  # a second enqueue of the waiting job: still one
    assert get_queue().count == 1 + sum(  # and the filing's notification jobs beside it
        1 for job_id in get_queue().job_ids if not job_id.startswith("thumbnail-"))
    run_queued_jobs()
    thumb = photo_path(Path(app.config["UPLOAD_DIR"]), photo.key, thumb=True)
    made = thumb.read_bytes()
    stamp = thumb.stat().st_mtime_ns

    assert make_thumbnail(photo.key) is False  # run again: nothing to do
    assert enqueue_thumbnail(photo.key)  # queued again after it finished ...
    run_queued_jobs()  # ... and run: the same file, untouched
    assert thumb.read_bytes() == made and thumb.stat().st_mtime_ns == stamp
    photos.delete_stored(Path(app.config["UPLOAD_DIR"]), photo.key)
    assert make_thumbnail(photo.key) is False  # the photo is gone: nothing made, no error
    assert not thumb.exists()


def test_an_upload_is_still_checked_by_its_content(app: Flask, web: WebClient,
                                                   world: World) -> None:
    polyglot = encoded(noisy(), "JPEG") + zip_payload()
    status, body = file_with(web, world, polyglot)
    assert status == 422
    assert "照片文件末尾夹带了额外数据，已被拒收。" in body and POLYGLOT
    folder = Path(app.config["UPLOAD_DIR"])
    assert not folder.exists() or not any(folder.iterdir())
    assert not [j for j in get_queue().job_ids if j.startswith("thumbnail-")]  # none queued


def test_a_big_jpeg_is_decoded_at_reduced_scale_and_stored_bounded(tmp_path: Path,
                                                                   app: Flask) -> None:
    folder = tmp_path / "photos"
    photo = process_upload(io.BytesIO(phone_jpeg((4000, 3000))), folder)
    assert (photo.width, photo.height) == (1600, 1200)
    with Image.open(photo_path(folder, photo.key)) as image:
        assert image.size == (1600, 1200) and len(image.getexif()) == 0
    assert [p.name for p in folder.iterdir()] == [f"{photo.key}.jpg"]
