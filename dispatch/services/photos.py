"""Uploaded photos: checked by content, re-encoded without metadata, stored under a random key.

Residents attach photos to a hazard report and volunteers add "after" photos. Whatever is
uploaded, only what Pillow re-encodes here is ever served: a JPEG of at most ``MAX_SIDE``
pixels a side, with no EXIF (so no GPS), ICC, XMP or comment, plus a thumbnail.

Two steps, so that the resident does not wait for the pixels:

* :func:`accept_upload`, in the request: an upload that is too big, not a JPEG/PNG/WebP by
  its content, a decompression bomb (by its header), truncated or a polyglot (data after
  the image's logical end) raises ``PhotoRejected`` and stores nothing; one that passes is
  kept as ``<key>.upload``, a name :func:`photo_path` never gives, so it is never served;
* :func:`process_pending`, in the worker: decode (JPEG at reduced scale), re-encode once,
  make the thumbnail, remove the upload. A picture that cannot be decoded after all is
  refused there and removed.

:func:`process_upload` does both at once.
"""

from __future__ import annotations

import io
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from dispatch.services.errors import InvalidInput
from dispatch.services.photo_checks import (  # noqa: F401  (PhotoRejected & co.: here too)
    ALLOWED_FORMATS,
    DECODE_ERRORS,
    DEFAULT_MAX_PIXELS,
    PhotoRejected,
    check,
    draft_size,
    refuse_by_header,
)

MAX_PHOTOS = 3
MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
THUMB_SIDE = 360

JPEG_QUALITY = 85
_KEY = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class StoredPhoto:
    key: str  # secrets.token_hex(16): unguessable; names the files
    width: int  # of the stored (resized) image
    height: int
    size_bytes: int  # of the stored full image file


def accept_upload(stream: BinaryIO, directory: Path) -> StoredPhoto:
    """Check one upload by its content without decoding its pixels, and keep it for the
    worker as ``<key>.upload``. Width and height are what the stored image will have.

    Raises ``PhotoRejected`` (nothing stored) for bad input; an ``OSError`` while writing
    removes whatever was written and propagates.
    """
    data = _read_limited(stream, MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoRejected(_("The photo is larger than 10 MB."))
    width, height = check(data, MAX_SIDE)
    key = secrets.token_hex(16)
    directory.mkdir(parents=True, exist_ok=True)
    _write_new(upload_path(directory, key), data)
    if photo_path(directory, key).exists():  # the key must be ours alone: the worker
        upload_path(directory, key).unlink()  # will write its image under it
        raise FileExistsError(photo_path(directory, key))
    return StoredPhoto(key=key, width=width, height=height, size_bytes=len(data))


def process_pending(directory: Path, key: str) -> StoredPhoto | None:
    """Decode the kept upload, store it re-encoded with its thumbnail, remove the upload.

    Idempotent: a photo already processed is described again from its file. Returns None
    when the upload cannot be decoded after all (it is removed; nothing is stored), and
    raises FileNotFoundError when there is neither an upload nor a stored image."""
    source, full_path = upload_path(directory, key), photo_path(directory, key)
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        with Image.open(full_path) as done:  # done before: FileNotFoundError if not
            return StoredPhoto(key=key, width=done.width, height=done.height,
                               size_bytes=full_path.stat().st_size)
    try:
        full = _decode(data, fit=MAX_SIDE)
    except PhotoRejected:
        source.unlink(missing_ok=True)
        return None
    full.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)  # never enlarges
    thumb = _thumbnail_of(full)
    # Off the resident's time: optimize=True (a second pass for smaller Huffman tables).
    full_bytes = _encode(full, optimize=True)
    _replace(photo_path(directory, key, thumb=True), _encode(thumb, optimize=True))
    _replace(full_path, full_bytes)
    source.unlink(missing_ok=True)
    return StoredPhoto(key=key, width=full.width, height=full.height,
                       size_bytes=len(full_bytes))


def process_upload(stream: BinaryIO, directory: Path) -> StoredPhoto:
    """:func:`accept_upload` and :func:`process_pending` at once (the photo is ready when
    this returns). Raises ``PhotoRejected`` (nothing stored) for bad input."""
    accepted = accept_upload(stream, directory)
    try:
        stored = process_pending(directory, accepted.key)
    except BaseException:
        delete_stored(directory, accepted.key)
        raise
    if stored is None:
        raise PhotoRejected(_("The photo could not be read; it may be damaged."))
    return stored


def _thumbnail_of(image: Image.Image) -> Image.Image:
    """A new image of at most THUMB_SIDE a side: first shrunk by a whole factor with a box
    filter (what a JPEG decoded at 1/2, 1/4 or 1/8 scale gives, as in :func:`make_thumbnail`),
    then resampled with Lanczos. A third of the work of Lanczos from the full size, and no
    copy of the full image."""
    factor = max(1, max(image.size) // THUMB_SIDE)
    thumb = image.reduce(factor) if factor > 1 else image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return thumb


def make_thumbnail(directory: Path, key: str) -> bool:
    """Make ``<key>_thumb.jpg`` from the stored image if it is missing (a photo stored
    before thumbnails came from the worker, or a lost file). Idempotent: False when it
    exists already or there is no stored image."""
    source, target = photo_path(directory, key), photo_path(directory, key, thumb=True)
    if target.exists():
        return False
    try:
        with Image.open(source, formats=["JPEG"]) as image:
            image.draft(None, (THUMB_SIDE, THUMB_SIDE))  # decode at 1/2, 1/4 or 1/8 scale
            image.load()
            thumb = image.convert("RGB") if image.mode != "RGB" else image
            thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
            content = _encode(thumb, optimize=True)
    except FileNotFoundError:
        return False
    _replace(target, content)
    return True


def _write_new(path: Path, content: bytes) -> None:
    with path.open("xb") as handle:  # "x": never overwrite a file we did not write
        try:
            handle.write(content)
        except BaseException:
            path.unlink(missing_ok=True)
            raise


def _replace(target: Path, content: bytes) -> None:
    """Written under a temporary name and renamed: a reader never sees half a file, and
    two runs at once both end with a whole one."""
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        partial.write_bytes(content)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def delete_stored(directory: Path, key: str) -> None:
    """Remove every file of a photo (the kept upload, the image, its thumbnail), ignoring
    missing ones (used to roll back when the database transaction that would reference
    them fails)."""
    for path in (upload_path(directory, key), photo_path(directory, key),
                 photo_path(directory, key, thumb=True)):
        path.unlink(missing_ok=True)


def upload_path(directory: Path, key: str) -> Path:
    """Where an accepted upload waits for the worker; never a name the photo route serves."""
    photo_path(directory, key)  # the same check of the key
    return directory / f"{key}.upload"


def photo_path(directory: Path, key: str, thumb: bool = False) -> Path:
    """The file for a key; raise ValueError unless key is exactly 32 lowercase hex chars
    (so a key from a URL can never escape the directory)."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError("not a photo key")
    return directory / (f"{key}_thumb.jpg" if thumb else f"{key}.jpg")


def _read_limited(stream: BinaryIO, limit: int) -> bytes:
    """Up to ``limit`` bytes, looping because a stream may return short reads."""
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0 and (chunk := stream.read(min(remaining, 1024 * 1024))):
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _decode(data: bytes, fit: int | None = None) -> Image.Image:
    """Identify by content, refuse bombs and polyglots, decode every pixel, and return the
    picture upright, flattened to RGB.

    ``fit``: the picture will be shrunk to at most this many pixels a side, so a JPEG is
    decoded at the smallest of 1/2, 1/4, 1/8 scale that still leaves it at least that big
    (libjpeg scales in the DCT: a 12 MP photo costs a quarter of the work)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as image:
                kind = refuse_by_header(image, data)  # again: the worker trusts no file
                if fit is not None and kind == "JPEG":
                    image.draft(None, draft_size(image.size, fit))
                image.load()
                ImageOps.exif_transpose(image, in_place=True)  # the decoded copy is ours
                return _flatten(image)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
            raise PhotoRejected(_("The photo is too large in pixels.")) from error
        except UnidentifiedImageError as error:
            raise PhotoRejected(_("This file is not a JPEG, PNG or WebP photo.")) from error
        except DECODE_ERRORS as error:
            raise PhotoRejected(_("The photo could not be read; it may be damaged.")) from error


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency composited onto white."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit grey PNG: scale, do not clip
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode not in ("RGBA", "LA", "PA", "La", "RGBa") and "transparency" not in image.info:
        return image if image.mode == "RGB" else image.convert("RGB")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _encode(image: Image.Image, *, optimize: bool) -> bytes:
    buffer = io.BytesIO()
    image.info = {}  # else Pillow would carry e.g. the source's JPEG comment into the file
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=optimize)
    return buffer.getvalue()


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _discard(stored: list[StoredPhoto]) -> None:
    for photo in stored:
        delete_stored(upload_dir(), photo.key)


def store_photos(uploads: list[BinaryIO]) -> list[StoredPhoto]:
    """Check and keep up to MAX_PHOTOS uploads for the worker (:func:`accept_upload`); on
    any refusal keep none of them."""
    if len(uploads) > MAX_PHOTOS:
        raise InvalidInput("photos", _("At most %(n)d photos.", n=MAX_PHOTOS))
    stored: list[StoredPhoto] = []
    try:
        for upload in uploads:
            stored.append(accept_upload(upload, upload_dir()))
    except Exception:
        _discard(stored)
        raise
    return stored


def discard_photos(stored: list[StoredPhoto]) -> None:
    """Remove stored files when the transaction that would reference them fails."""
    _discard(stored)
