"""A filing with a photo keeps only the checked upload, unserved; the worker's job decodes
it, re-encodes it without EXIF/GPS and makes the thumbnail, after commit. Until then the
photo's addresses show a placeholder, never the upload."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import redis
from flask import Flask
from PIL import Image
from sqlalchemy import select

from dispatch.extensions import db, get_queue
from dispatch.jobs.photos import enqueue_processing, process_photo, requeue_waiting_photos
from dispatch.models import Case, CasePhoto
from dispatch.services.photos import THUMB_SIDE, photo_path, process_upload, upload_path
from tests.conftest import WebClient, run_queued_jobs
from tests.factories import World
from tests.test_photos import encoded, noisy, png_header_only, zip_payload
from tests.test_reports import details_form

LEAKS = (b"Exif\x00\x00", b"PhoneMaker", b"secret note")
PLACEHOLDER = Path(__file__).resolve().parent.parent / "static" / "img" / "photo-pending.png"


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


def photo_jobs() -> list[str]:
    return [job_id for job_id in get_queue().job_ids if job_id.startswith("photo-")]


def assert_clean_jpeg(content: bytes) -> None:
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "JPEG" and len(image.getexif()) == 0
        assert not {"exif", "comment", "icc_profile", "xmp"} & set(image.info)
    for leak in LEAKS:
        assert leak not in content


def fetch(web: WebClient, path: str) -> tuple[int, str, bytes, str]:
    response = web.get(path)
    result = (response.status_code, response.mimetype, response.get_data(),
              response.headers.get("Cache-Control", ""))
    response.close()
    return result


def test_the_page_works_before_the_job_and_the_job_processes_the_photo(
        app: Flask, web: WebClient, world: World) -> None:
    upload = phone_jpeg()
    status, body = file_with(web, world, upload)
    assert status == 302, body
    photo = the_photo()
    folder = Path(app.config["UPLOAD_DIR"])
    full, thumb = photo_path(folder, photo.key), photo_path(folder, photo.key, thumb=True)
    assert photo.state == "pending" and (photo.width, photo.height) == (1600, 1200)
    assert upload_path(folder, photo.key).read_bytes() == upload  # kept, not served
    assert not full.exists() and not thumb.exists()
    assert photo_jobs() == [f"photo-{photo.key}"]

    # Before the job: the case's page works, and both addresses show the placeholder.
    page = web.get(f"/c/{photo.case.tracking_code}")
    assert page.status_code == 200 and f"/media/{photo.key}_thumb.jpg" in page.get_data(
        as_text=True)
    page.close()
    for path in (f"/media/{photo.key}.jpg", f"/media/{photo.key}_thumb.jpg"):
        code, mimetype, content, cache = fetch(web, path)
        assert (code, mimetype, cache) == (200, "image/png", "no-store")
        assert content == PLACEHOLDER.read_bytes() and upload not in content

    run_queued_jobs()  # a real RQ worker on the real Redis

    photo = the_photo()
    assert photo.state == "ready" and not upload_path(folder, photo.key).exists()
    assert photo.size_bytes == full.stat().st_size
    for path, size in ((full, (1600, 1200)), (thumb, (THUMB_SIDE, 270))):
        assert_clean_jpeg(path.read_bytes())
        with Image.open(path) as image:
            assert image.size == size
    code, mimetype, content, cache = fetch(web, f"/media/{photo.key}_thumb.jpg")
    assert (code, mimetype, content) == (200, "image/jpeg", thumb.read_bytes())
    assert "max-age=3600" in cache


def test_the_job_is_idempotent(app: Flask, web: WebClient, world: World) -> None:
    assert file_with(web, world, phone_jpeg((800, 600)))[0] == 302
    key = the_photo().key
    assert enqueue_processing(key) and photo_jobs() == [f"photo-{key}"]  # still one
    run_queued_jobs()
    folder = Path(app.config["UPLOAD_DIR"])
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in
             (photo_path(folder, key), photo_path(folder, key, thumb=True))}

    assert process_photo(key) == "ready"  # run again: nothing to do
    assert enqueue_processing(key)  # queued again after it finished ...
    run_queued_jobs()  # ... and run: the same files, untouched
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == files
    assert process_photo("0" * 32) == "gone"  # no such photo: nothing, no error


def test_uploads_are_still_checked_by_content_in_the_request(
        app: Flask, web: WebClient, world: World) -> None:
    for bad, sentence in (
            (encoded(noisy(), "JPEG") + zip_payload(), "照片文件末尾夹带了额外数据，已被拒收。"),
            (b"MZ\x90\x00 not a photo at all", "该文件不是 JPEG、PNG 或 WebP 格式的照片。"),
            (encoded(noisy(), "JPEG")[:3000], "无法读取照片，文件可能已损坏。")):
        status, body = file_with(web, world, bad)
        assert status == 422 and sentence in body, body[-400:]
        assert "车棚顶棚松动，风一吹就响" in body  # what was typed is kept
    folder = Path(app.config["UPLOAD_DIR"])
    assert not folder.exists() or not any(folder.iterdir())
    assert photo_jobs() == [] and db.session.scalar(select(CasePhoto.id)) is None


def test_an_upload_the_worker_cannot_decode_is_refused_and_never_served(
        app: Flask, web: WebClient, world: World) -> None:
    broken = png_header_only(40, 30)  # a sound structure, pixel data that is not zlib
    status, body = file_with(web, world, broken)
    assert status == 302, body  # the request cannot know without decoding
    key = the_photo().key
    run_queued_jobs()
    photo = the_photo()
    assert (photo.state, photo.hidden) == ("refused", True)
    folder = Path(app.config["UPLOAD_DIR"])
    assert not any(folder.iterdir())  # the upload is gone too
    assert fetch(web, f"/media/{key}_thumb.jpg")[0] == 404


def test_a_big_jpeg_is_decoded_at_reduced_scale_and_stored_bounded(tmp_path: Path,
                                                                   app: Flask) -> None:
    folder = tmp_path / "photos"
    photo = process_upload(io.BytesIO(phone_jpeg((4000, 3000))), folder)
    assert (photo.width, photo.height) == (1600, 1200)
    with Image.open(photo_path(folder, photo.key)) as image:
        assert image.size == (1600, 1200) and len(image.getexif()) == 0
    assert sorted(p.name for p in folder.iterdir()) == [f"{photo.key}.jpg",
                                                        f"{photo.key}_thumb.jpg"]


def test_a_photo_filed_while_the_queue_is_down_is_processed_once_it_is_back(
        app: Flask, web: WebClient, world: World, redis_outage: Callable[[], str]) -> None:
    status, body = file_with(web, world, phone_jpeg((800, 600)))
    assert status == 302, body  # the filing does not wait for Redis
    photo = the_photo()
    assert photo.state == "pending"
    code, mimetype, _content, _cache = fetch(web, f"/media/{photo.key}_thumb.jpg")
    assert (code, mimetype) == (200, "image/png")  # the placeholder, Redis or not

    app.extensions["dispatch.redis"] = redis.Redis.from_url(redis_outage())
    assert photo_jobs() == []  # the after-commit enqueue was lost with Redis
    assert fetch(web, f"/media/{photo.key}_thumb.jpg")[1] == "image/png"  # queues it again
    assert photo_jobs() == [f"photo-{photo.key}"]
    run_queued_jobs()
    assert the_photo().state == "ready"
    assert fetch(web, f"/media/{photo.key}_thumb.jpg")[1] == "image/jpeg"


def test_a_lost_photo_job_is_queued_again_by_the_sweep_without_a_view(
        app: Flask, web: WebClient, world: World, redis_outage: Callable[[], str]) -> None:
    status, body = file_with(web, world, phone_jpeg((800, 600)))
    assert status == 302, body
    photo = the_photo()
    app.extensions["dispatch.redis"] = redis.Redis.from_url(redis_outage())
    assert photo_jobs() == []  # lost with Redis, and nobody opens the case page
    assert requeue_waiting_photos() == 0  # just filed: its job may still be coming
    photo.created_at = photo.created_at - timedelta(minutes=5)
    db.session.commit()
    assert requeue_waiting_photos() == 1
    requeue_waiting_photos()  # a second sweep before the worker ran
    assert photo_jobs() == [f"photo-{photo.key}"]  # one job however often the sweep runs
    run_queued_jobs()
    assert the_photo().state == "ready"
    assert requeue_waiting_photos() == 0
