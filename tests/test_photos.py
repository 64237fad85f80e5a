"""Photo uploads: real image bytes made with Pillow go through the real checks and the real
re-encoding; what lands on disk is reopened and inspected."""

from __future__ import annotations

import io
import os
import secrets
import zipfile
import zlib
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import gettext as _
from PIL import Image
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import CasePhoto
from dispatch.services import photos
from dispatch.services.errors import InvalidInput
from dispatch.services.photos import (
    MAX_BYTES,
    MAX_SIDE,
    THUMB_SIDE,
    PhotoRejected,
    StoredPhoto,
    delete_stored,
    photo_path,
    process_upload,
)
from tests.conftest import WebClient
from tests.factories import World
from tests.test_reports import details_form

TOO_BIG = "The photo is larger than 10 MB."
NOT_A_PHOTO = "This file is not a JPEG, PNG or WebP photo."
DAMAGED = "The photo could not be read; it may be damaged."
TOO_MANY_PIXELS = "The photo is too large in pixels."
TOO_MANY_MEGAPIXELS = "The photo has too many pixels: at most %(n)d megapixels."
POLYGLOT = "The photo carries extra data after the image and was refused."


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def noisy(size: tuple[int, int] = (256, 192)) -> Image.Image:
    """A picture with real detail, so a JPEG of it has substantial entropy-coded data."""
    return Image.merge("RGB", [Image.effect_noise(size, 60) for _channel in range(3)])


def refused(data: bytes, directory: Path, msgid: str) -> PhotoRejected:
    """Upload ``data``, expect a refusal with the sentence for ``msgid``, and nothing stored."""
    with pytest.raises(PhotoRejected) as caught:
        process_upload(io.BytesIO(data), directory)
    error = caught.value
    assert isinstance(error, InvalidInput) and error.http_status == 422
    assert error.field == "photos"
    assert error.message() == _(msgid) and error.message()  # translated (zh) or msgid
    assert not directory.exists() or not any(directory.iterdir())
    return error


def stored_files(directory: Path, photo: StoredPhoto) -> tuple[bytes, bytes]:
    """The stored image and its thumbnail (made now, as the worker's job would)."""
    photos.make_thumbnail(directory, photo.key)
    return (photo_path(directory, photo.key).read_bytes(),
            photo_path(directory, photo.key, thumb=True).read_bytes())


@pytest.fixture
def store(app: Flask, tmp_path: Path) -> Path:
    """The photo directory (not yet created), in an app context so messages translate."""
    return tmp_path / "photos"


def test_gps_and_all_exif_are_stripped(store: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "LeakyPhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 5.5), 3: "E", 4: (121.0, 28.0, 12.25)}  # GPSInfo
    source = encoded(noisy(), "JPEG", exif=exif, comment=b"secret note",
                     icc_profile=b"not really a profile")
    with Image.open(io.BytesIO(source)) as original:  # the upload really carries them
        assert original.getexif().get_ifd(0x8825)[2] == (31.0, 14.0, 5.5)
        assert original.getexif()[0x010F] == "LeakyPhoneMaker"
        assert "icc_profile" in original.info and "comment" in original.info

    photo = process_upload(io.BytesIO(source), store / "photos")

    for content in stored_files(store / "photos", photo):
        with Image.open(io.BytesIO(content)) as image:
            assert image.format == "JPEG"
            assert len(image.getexif()) == 0
            assert not image.getexif().get_ifd(0x8825)
            for key in ("exif", "icc_profile", "xmp", "comment"):
                assert key not in image.info
        for leaked in (b"Exif\x00\x00", b"LeakyPhoneMaker", b"secret note", b"not really"):
            assert leaked not in content


def test_large_png_with_alpha_becomes_bounded_jpeg_with_thumbnail(
        store: Path) -> None:
    source = encoded(Image.new("RGBA", (4000, 3000), (0, 0, 0, 0)), "PNG")  # fully transparent

    photo = process_upload(io.BytesIO(source), store)

    assert len(photo.key) == 32 and int(photo.key, 16) >= 0
    assert sorted(p.name for p in store.iterdir()) == [f"{photo.key}.jpg",
                                                           f"{photo.key}_thumb.jpg"]
    assert (photo.width, photo.height) == (MAX_SIDE, 1200)
    full, thumb = stored_files(store, photo)
    assert photo.size_bytes == len(full)
    with Image.open(io.BytesIO(full)) as image:
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (1600, 1200))
        assert min(image.getpixel((800, 600))) >= 250  # transparency composited onto white
    with Image.open(io.BytesIO(thumb)) as image:
        assert image.format == "JPEG" and max(image.size) <= THUMB_SIDE
        assert image.size == (360, 270)


def test_thumbnail_of_a_portrait_photo_keeps_its_shape_and_colour(store: Path) -> None:
    """The worker shrinks by a whole factor first (box filter), then resamples: the same
    size as resampling from the full image, and the picture's colour kept."""
    picture = Image.new("RGB", (1000, 1500), (200, 40, 40))
    photo = process_upload(io.BytesIO(encoded(picture, "JPEG", quality=95)), store)

    assert (photo.width, photo.height) == (1000, 1500)
    with Image.open(photo_path(store, photo.key, thumb=True)) as thumb:
        assert thumb.size == (240, 360)
        red, green, blue = thumb.convert("RGB").getpixel((120, 180))
        assert abs(red - 200) <= 8 and green <= 50 and blue <= 50


def test_small_photo_is_never_enlarged(store: Path) -> None:
    photo = process_upload(io.BytesIO(encoded(noisy((200, 100)), "JPEG")), store)

    assert (photo.width, photo.height) == (200, 100)
    photos.make_thumbnail(store, photo.key)
    with Image.open(photo_path(store, photo.key, thumb=True)) as thumb:
        assert thumb.size == (200, 100)


def test_exif_orientation_is_applied_to_the_pixels(store: Path) -> None:
    picture = Image.new("RGB", (64, 32), (0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, 32, 32))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    source = encoded(picture, "JPEG", exif=exif, quality=95)

    photo = process_upload(io.BytesIO(source), store)

    assert (photo.width, photo.height) == (32, 64)
    with Image.open(photo_path(store, photo.key)) as image:
        assert image.size == (32, 64)
        assert len(image.getexif()) == 0  # no orientation left to apply a second time
        red, _green, blue = image.getpixel((16, 8))  # the left half is now on top
        assert red > 200 and blue < 60
        red, _green, blue = image.getpixel((16, 56))
        assert blue > 200 and red < 60


@pytest.mark.parametrize(("mode", "image_format", "options"), [
    ("RGB", "WEBP", {}),
    ("RGBA", "WEBP", {"lossless": True}),
    ("L", "JPEG", {}),
    ("CMYK", "JPEG", {}),
    ("P", "PNG", {"transparency": 0}),
    ("LA", "PNG", {}),
    ("I;16", "PNG", {}),
])
def test_accepted_formats_and_modes_are_stored_as_rgb_jpeg(
        store: Path, mode: str, image_format: str, options: dict) -> None:
    source = encoded(noisy((120, 80)).convert(mode), image_format, **options)

    photo = process_upload(io.BytesIO(source), store)

    with Image.open(photo_path(store, photo.key)) as image:
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (120, 80))


def test_sixteen_bit_grey_keeps_its_brightness(store: Path) -> None:
    source = encoded(Image.new("I;16", (40, 40), 32768), "PNG")  # half brightness

    photo = process_upload(io.BytesIO(source), store)

    with Image.open(photo_path(store, photo.key)) as image:
        assert all(120 <= channel <= 136 for channel in image.getpixel((20, 20)))


def test_gif_is_refused(store: Path) -> None:
    refused(encoded(noisy((50, 50)), "GIF"), store, NOT_A_PHOTO)


def test_other_formats_pillow_can_read_are_refused(store: Path) -> None:
    refused(encoded(noisy((50, 50)), "BMP"), store, NOT_A_PHOTO)
    refused(encoded(noisy((50, 50)), "TIFF"), store, NOT_A_PHOTO)


def test_text_file_renamed_jpg_is_refused(app: Flask, tmp_path: Path) -> None:
    fake = tmp_path / "holiday.jpg"
    fake.write_text("<html><body>definitely a photo</body></html>\n")
    with fake.open("rb") as stream, pytest.raises(PhotoRejected) as caught:
        process_upload(stream, tmp_path / "photos")
    assert caught.value.message() == _(NOT_A_PHOTO)
    assert not (tmp_path / "photos").exists()


def test_empty_upload_is_refused(store: Path) -> None:
    refused(b"", store, NOT_A_PHOTO)


def test_truncated_jpeg_is_refused(store: Path) -> None:
    source = encoded(noisy(), "JPEG")
    refused(source[: len(source) // 2], store, DAMAGED)
    refused(source[:-2], store, DAMAGED)  # only the final EOI marker missing


def test_truncated_png_and_webp_are_refused(store: Path) -> None:
    for image_format in ("PNG", "WEBP"):
        source = encoded(noisy(), image_format)
        refused(source[: len(source) // 2], store, DAMAGED)


def test_upload_over_10_mb_is_refused_before_decoding(store: Path) -> None:
    header = encoded(noisy((16, 16)), "JPEG")[:200]  # starts like a real JPEG
    stream = io.BytesIO(header + os.urandom(11 * 1024 * 1024 - len(header)))
    with pytest.raises(PhotoRejected) as caught:
        process_upload(stream, store)
    assert caught.value.message() == _(TOO_BIG)  # not "damaged": Pillow never saw it
    assert stream.tell() == MAX_BYTES + 1  # read no further than needed to know
    assert not store.exists()


def test_upload_of_exactly_10_mb_is_not_refused_for_its_size(store: Path) -> None:
    image = encoded(noisy((16, 16)), "JPEG")
    # Refused, but as a polyglot (random bytes after EOI), not for its size.
    refused(image + os.urandom(MAX_BYTES - len(image)), store, POLYGLOT)


@pytest.mark.parametrize("size", [(40, 40), (100, 100)])  # over the limit; over twice it
def test_decompression_bomb_is_refused(store: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       size: tuple[int, int]) -> None:
    source = encoded(Image.new("RGB", size, (10, 20, 30)), "PNG")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    refused(source, store, TOO_MANY_PIXELS)


def zip_payload() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.html", "<script>alert(document.cookie)</script>")
    return buffer.getvalue()


PAYLOADS = [b"<html><script>alert(document.cookie)</script></html>", zip_payload(),
            b"\x00" * 17, b"\x00" * 8 + b"x"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_polyglot_jpeg_with_payload_after_eoi_is_refused(
        store: Path, payload: bytes) -> None:
    refused(encoded(noisy(), "JPEG") + payload, store, POLYGLOT)


def test_polyglot_jpeg_hiding_an_eoi_inside_exif_is_refused(store: Path) -> None:
    """An EXIF thumbnail ends with its own FFD9: the walk must not stop there."""
    exif = Image.Exif()
    exif[0x010E] = b"decoy \xff\xd9 end"  # ImageDescription with an EOI-looking pair
    source = encoded(noisy(), "JPEG", exif=exif)
    assert source.find(b"\xff\xd9") < len(source) - 2
    refused(source + b"PK\x03\x04 payload", store, POLYGLOT)
    refused(source + b"<html></html>\xff\xd9", store, POLYGLOT)  # a fake final EOI
    assert process_upload(io.BytesIO(source), store / "ok").key  # alone it is fine


@pytest.mark.parametrize("payload", PAYLOADS)
def test_polyglot_png_with_payload_after_iend_is_refused(
        store: Path, payload: bytes) -> None:
    refused(encoded(noisy(), "PNG") + payload, store, POLYGLOT)


def test_polyglot_webp_with_payload_beyond_riff_size_is_refused(
        store: Path) -> None:
    refused(encoded(noisy(), "WEBP") + zip_payload(), store, POLYGLOT)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_a_little_zero_padding_is_accepted(store: Path, image_format: str) -> None:
    source = encoded(noisy(), image_format) + b"\x00" * 16
    assert process_upload(io.BytesIO(source), store).width == 256


def test_multi_picture_jpeg_from_a_phone_is_accepted(store: Path) -> None:
    """Phones append a second JPEG (gain or depth map, MPF) after the first EOI."""
    source = encoded(noisy(), "MPO", save_all=True, append_images=[noisy((128, 96))])
    with Image.open(io.BytesIO(source)) as original:
        assert original.format == "MPO" and original.n_frames == 2

    photo = process_upload(io.BytesIO(source), store)

    assert (photo.width, photo.height) == (256, 192)
    refused(source + b"<html>", store / "other", POLYGLOT)


def test_refused_upload_leaves_directory_empty(store: Path) -> None:
    existing = store / "existing"
    existing.mkdir(parents=True)
    missing = store / "missing"
    for bad in (b"not an image", encoded(noisy(), "JPEG")[:1000],
                encoded(noisy(), "PNG") + zip_payload()):
        with pytest.raises(PhotoRejected):
            process_upload(io.BytesIO(bad), existing)
        with pytest.raises(PhotoRejected):
            process_upload(io.BytesIO(bad), missing)
        assert list(existing.iterdir()) == []
        assert not missing.exists()


def test_failed_write_removes_only_what_it_wrote(store: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    key = "ab" * 16
    monkeypatch.setattr(secrets, "token_hex", lambda nbytes=None: key)
    store.mkdir()
    someone_elses = photo_path(store, key)
    someone_elses.write_bytes(b"not ours")

    with pytest.raises(FileExistsError):  # the image cannot be written under that key
        process_upload(io.BytesIO(encoded(noisy(), "JPEG")), store)

    assert someone_elses.read_bytes() == b"not ours"  # never overwritten nor removed
    assert [p.name for p in store.iterdir()] == [someone_elses.name]  # no upload left


@pytest.mark.parametrize("key", [
    "../etc/passwd", "../" + "a" * 29, "A" * 32, "a" * 31, "a" * 33, "a" * 32 + "\n",
    "g" * 32, "", "/" + "a" * 31, "a" * 16 + "/" + "a" * 15,
])
def test_photo_path_rejects_anything_but_a_key(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        photo_path(tmp_path, key)
    with pytest.raises(ValueError):
        photo_path(tmp_path, key, thumb=True)
    with pytest.raises(ValueError):
        delete_stored(tmp_path, key)


def test_photo_path_accepts_a_key(tmp_path: Path) -> None:
    key = secrets.token_hex(16)
    assert photo_path(tmp_path, key) == tmp_path / f"{key}.jpg"
    assert photo_path(tmp_path, key, thumb=True) == tmp_path / f"{key}_thumb.jpg"


def test_delete_stored_removes_both_files(store: Path) -> None:
    photo = process_upload(io.BytesIO(encoded(noisy(), "JPEG")), store)
    photos.make_thumbnail(store, photo.key)
    assert photo_path(store, photo.key).exists()
    assert photo_path(store, photo.key, thumb=True).exists()

    delete_stored(store, photo.key)

    assert list(store.iterdir()) == []
    delete_stored(store, photo.key)  # already gone: no error


def test_stored_photo_is_immutable() -> None:
    photo = StoredPhoto(key="a" * 32, width=1, height=1, size_bytes=1)
    with pytest.raises(AttributeError):
        photo.width = 2  # type: ignore[misc]


def test_constants_match_the_product_rules() -> None:
    assert photos.MAX_BYTES == 10 * 1024 * 1024
    assert (photos.MAX_SIDE, photos.THUMB_SIDE) == (1600, 360)
    assert frozenset({"JPEG", "PNG", "WEBP"}) == photos.ALLOWED_FORMATS


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` but whose pixel data is garbage:
    only a check made before decoding can refuse it for its size rather than as damaged."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (len(body).to_bytes(4, "big") + kind + body
                + zlib.crc32(kind + body).to_bytes(4, "big"))

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"not zlib")
            + chunk(b"IEND", b""))


def test_photo_over_max_photo_pixels_is_refused_from_its_header(store: Path) -> None:
    # 8000 x 8000 = 64 M pixels: under Pillow's own limit (89 M), over MAX_PHOTO_PIXELS.
    with pytest.raises(PhotoRejected) as caught:
        process_upload(io.BytesIO(png_header_only(8000, 8000)), store)
    assert caught.value.message() == _(TOO_MANY_MEGAPIXELS, n=52)
    assert not store.exists()


def test_small_png_of_64_megapixels_gets_a_chinese_form_error_and_files_nothing(
        app: Flask, web: WebClient, world: World) -> None:
    source = encoded(Image.new("1", (8000, 8000), 0), "PNG")
    assert len(source) < 64 * 1024  # a small file
    data = details_form(web, world)
    data["photos"] = [(io.BytesIO(source), "huge.png")]
    response = web.post("/report/details", data, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "照片像素过多：最多 52 百万像素。" in body
    assert "车棚顶棚松动，风一吹就响" in body  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(CasePhoto)) == 0
    assert not Path(app.config["UPLOAD_DIR"]).exists() or not any(
        Path(app.config["UPLOAD_DIR"]).iterdir())


def test_max_photo_pixels_is_a_setting(app: Flask, store: Path) -> None:
    app.config["MAX_PHOTO_PIXELS"] = 2_000_000
    source = encoded(Image.new("RGB", (2000, 1001), (1, 2, 3)), "PNG")
    with pytest.raises(PhotoRejected) as caught:
        process_upload(io.BytesIO(source), store)
    assert caught.value.message() == _(TOO_MANY_MEGAPIXELS, n=2)
    assert process_upload(io.BytesIO(encoded(Image.new("RGB", (2000, 1000)), "PNG")),
                          store).width == MAX_SIDE
