"""Uploaded photos: checked by content, re-encoded without metadata, stored under a random key.

Residents attach photos to a hazard report and volunteers add "after" photos. Whatever is
uploaded, only what Pillow re-encodes here is stored: a JPEG of at most ``MAX_SIDE`` pixels a
side, with no EXIF (so no GPS), ICC, XMP or comment. An upload that is too big, not a
JPEG/PNG/WebP by its content, damaged, a decompression bomb or a polyglot (data after the
image's logical end) raises ``PhotoRejected`` and stores nothing. The upload itself is never
written anywhere: only the re-encoded image is, so nothing unprocessed can ever be served.

The thumbnail is made afterwards from that stored image (:func:`make_thumbnail`, run by the
worker: ``dispatch/jobs/photos.py``), so that the resident does not wait for it; until it
exists the photo's page shows the processed image in its place.
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

MAX_PHOTOS = 3
MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
DEFAULT_MAX_PIXELS = 52_000_000  # config MAX_PHOTO_PIXELS; phones take 12-50 MP
THUMB_SIDE = 360
ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})

MAX_ZERO_PADDING = 16
JPEG_QUALITY = 85
_KEY = re.compile(r"[0-9a-f]{32}")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError)


class PhotoRejected(InvalidInput):
    """field is always "photos"; message is a translated sentence."""

    def __init__(self, text: str) -> None:
        super().__init__("photos", text)


@dataclass(frozen=True)
class StoredPhoto:
    key: str  # secrets.token_hex(16): unguessable; names the files
    width: int  # of the stored (resized) image
    height: int
    size_bytes: int  # of the stored full image file


def process_upload(stream: BinaryIO, directory: Path) -> StoredPhoto:
    """Check one uploaded photo, store it re-encoded (no thumbnail yet), and describe it.

    Raises ``PhotoRejected`` (nothing stored) for bad input; an ``OSError`` while writing
    removes whatever was written and propagates.
    """
    data = _read_limited(stream, MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoRejected(_("The photo is larger than 10 MB."))
    full = _decode(data, fit=MAX_SIDE)
    full.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)  # never enlarges
    # Encoded once, without optimize=True: the Huffman tables' second pass costs more CPU
    # than the decode (about 10 ms of 1600x1200) for a file some 5 % smaller.
    full_bytes = _encode(full, optimize=False)

    key = secrets.token_hex(16)
    directory.mkdir(parents=True, exist_ok=True)
    path = photo_path(directory, key)
    with path.open("xb") as handle:  # "x": never overwrite a file we did not write
        try:
            handle.write(full_bytes)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return StoredPhoto(key=key, width=full.width, height=full.height, size_bytes=len(full_bytes))


def make_thumbnail(directory: Path, key: str) -> bool:
    """Make ``<key>_thumb.jpg`` from the stored (already checked and re-encoded) image.

    Idempotent: False when the thumbnail exists already or the photo is gone (deleted, or
    its filing rolled back); True when it was made now. Written to a temporary name and
    renamed, so a reader never sees half a file and two runs at once both end well."""
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
    partial = target.with_name(f".{key}_thumb.{secrets.token_hex(4)}.tmp")
    try:
        partial.write_bytes(content)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return True


def delete_stored(directory: Path, key: str) -> None:
    """Remove both files of a stored photo, ignoring missing ones (used to roll back when the
    database transaction that would reference them fails)."""
    for thumb in (False, True):
        photo_path(directory, key, thumb=thumb).unlink(missing_ok=True)


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
                kind = "JPEG" if image.format == "MPO" else image.format  # MPO: multi-JPEG
                if kind not in ALLOWED_FORMATS:
                    raise PhotoRejected(_("This file is not a JPEG, PNG or WebP photo."))
                limit = Image.MAX_IMAGE_PIXELS  # again: catch_warnings is not thread-safe
                if limit is not None and image.width * image.height > limit:
                    raise PhotoRejected(_("The photo is too large in pixels."))
                _refuse_too_many_pixels(image)  # from the header: nothing decoded yet
                _refuse_trailing_data(kind, data)
                if fit is not None and kind == "JPEG":
                    image.draft(None, _draft_size(image.size, fit))
                image.load()
                ImageOps.exif_transpose(image, in_place=True)  # the decoded copy is ours
                return _flatten(image)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
            raise PhotoRejected(_("The photo is too large in pixels.")) from error
        except UnidentifiedImageError as error:
            raise PhotoRejected(_("This file is not a JPEG, PNG or WebP photo.")) from error
        except _DECODE_ERRORS as error:
            raise PhotoRejected(_("The photo could not be read; it may be damaged.")) from error


def _draft_size(size: tuple[int, int], fit: int) -> tuple[int, int]:
    """The size the picture will have once fitted into ``fit`` x ``fit``: draft() keeps
    both sides at least this big (a square request would forbid any scaling of a photo
    that is not square)."""
    width, height = size
    scale = min(1.0, fit / max(width, height))
    return max(1, int(width * scale)), max(1, int(height * scale))


def _refuse_too_many_pixels(image: Image.Image) -> None:
    """Decoding costs memory by pixels, not by file size: a single-colour 88-megapixel PNG
    is a 258 KB file and a gigabyte once decoded. ``image.size`` comes from the header."""
    limit = int(current_app.config.get("MAX_PHOTO_PIXELS", DEFAULT_MAX_PIXELS))
    if image.width * image.height > limit:
        raise PhotoRejected(_("The photo has too many pixels: at most %(n)d megapixels.",
                              n=limit // 1_000_000))


def _refuse_trailing_data(kind: str, data: bytes) -> None:
    end = {"JPEG": _jpeg_end, "PNG": _png_end, "WEBP": _webp_end}[kind](data, 0)
    if end is None:
        raise PhotoRejected(_("The photo could not be read; it may be damaged."))
    # Phones append further complete JPEGs (MPF: HDR gain maps, depth maps) after the first
    # EOI. They are images, not a payload, and are discarded by re-encoding like any segment.
    while kind == "JPEG" and (following := _jpeg_end(data, end)) is not None:
        end = following
    rest = data[end:]
    if len(rest) > MAX_ZERO_PADDING or rest.strip(b"\x00"):
        raise PhotoRejected(_("The photo carries extra data after the image and was refused."))


def _jpeg_end(data: bytes, start: int) -> int | None:
    """Offset just past the EOI of the JPEG stream at ``start``, walking its segments and
    entropy-coded data (so an EOI inside EXIF or a thumbnail is not mistaken for the end)."""
    if data[start:start + 2] != b"\xff\xd8":
        return None
    size, at = len(data), start + 2
    while True:  # stray bytes before a marker are skipped, as libjpeg does
        if at >= size or (data[at] != 0xFF and (at := data.find(b"\xff", at)) < 0):
            return None
        while at < size and data[at] == 0xFF:  # fill bytes before a marker
            at += 1
        if at >= size or data[at] in (0x00, 0xD8):
            return None
        marker, at = data[at], at + 1
        if marker == 0xD9:
            return at
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # RSTn and TEM carry no length
            continue
        if at + 2 > size or (length := int.from_bytes(data[at:at + 2], "big")) < 2:
            return None
        at += length
        if marker == 0xDA:  # start of scan: skip to the next real marker
            while True:
                at = data.find(b"\xff", at)
                if at < 0 or at + 1 >= size:
                    return None
                if data[at + 1] == 0x00 or 0xD0 <= data[at + 1] <= 0xD7:
                    at += 2
                else:
                    break


def _png_end(data: bytes, start: int) -> int | None:
    """Offset just past the IEND chunk."""
    if data[start:start + 8] != _PNG_SIGNATURE:
        return None
    at = start + 8
    while at + 12 <= len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        chunk_type = data[at + 4:at + 8]
        at += 12 + length
        if chunk_type == b"IEND":
            return at if at <= len(data) else None
    return None


def _webp_end(data: bytes, start: int) -> int | None:
    """Offset of the end of the RIFF container, as its header declares."""
    if data[start:start + 4] != b"RIFF" or data[start + 8:start + 12] != b"WEBP":
        return None
    end = start + 8 + int.from_bytes(data[start + 4:start + 8], "little")
    return end if end <= len(data) else None


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
    """Check and store up to MAX_PHOTOS uploads; on any refusal keep none of them."""
    if len(uploads) > MAX_PHOTOS:
        raise InvalidInput("photos", _("At most %(n)d photos.", n=MAX_PHOTOS))
    stored: list[StoredPhoto] = []
    try:
        for upload in uploads:
            stored.append(process_upload(upload, upload_dir()))
    except Exception:
        _discard(stored)
        raise
    return stored


def discard_photos(stored: list[StoredPhoto]) -> None:
    """Remove stored files when the transaction that would reference them fails."""
    _discard(stored)
