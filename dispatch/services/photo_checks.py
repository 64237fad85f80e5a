"""What an upload is, told from its bytes without decoding its pixels: the format by content,
the pixel count from the header (decompression bombs), the structure walked to its logical
end (truncated files, polyglots with data after the image). ``services/photos.py`` runs these
in the request and again, before decoding, in the worker.
"""

from __future__ import annotations

import io
import re
import warnings

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from dispatch.services.errors import InvalidInput

DEFAULT_MAX_PIXELS = 52_000_000  # config MAX_PHOTO_PIXELS; phones take 12-50 MP
ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_ZERO_PADDING = 16
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# In a JPEG's entropy-coded data, the next marker: 0xFF not followed by a stuffed zero or
# a restart marker (RSTn), found in C rather than one 0xFF at a time in Python.
_JPEG_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")
DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError)


class PhotoRejected(InvalidInput):
    """field is always "photos"; message is a translated sentence."""

    def __init__(self, text: str) -> None:
        super().__init__("photos", text)


def check(data: bytes, fit: int) -> tuple[int, int]:
    """What can be known without decoding: the format by content, the pixel count from the
    header, the structure to its logical end (truncation, polyglots). Returns the size the
    stored image will have (upright, fitted into ``fit`` pixels a side)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as image:
                kind = refuse_by_header(image, data)
                width, height = image.size
                # A JPEG's EXIF is in its header; a PNG's may follow the pixels (Pillow
                # would decode them to find it): its size is then the worker's to correct.
                if kind == "JPEG" and image.getexif().get(0x0112) in (5, 6, 7, 8):
                    width, height = height, width
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
            raise PhotoRejected(_("The photo is too large in pixels.")) from error
        except UnidentifiedImageError as error:
            raise PhotoRejected(_("This file is not a JPEG, PNG or WebP photo.")) from error
        except DECODE_ERRORS as error:
            raise PhotoRejected(_("The photo could not be read; it may be damaged.")) from error
    return draft_size((width, height), fit)


def refuse_by_header(image: Image.Image, data: bytes) -> str:
    """The format (by content), refused unless allowed, small enough and without trailing
    data. Nothing is decoded."""
    kind = "JPEG" if image.format == "MPO" else image.format  # MPO: multi-JPEG
    if kind not in ALLOWED_FORMATS:
        raise PhotoRejected(_("This file is not a JPEG, PNG or WebP photo."))
    limit = Image.MAX_IMAGE_PIXELS  # again: catch_warnings is not thread-safe
    if limit is not None and image.width * image.height > limit:
        raise PhotoRejected(_("The photo is too large in pixels."))
    _refuse_too_many_pixels(image)  # from the header: nothing decoded yet
    _refuse_trailing_data(kind, data)
    return kind


def draft_size(size: tuple[int, int], fit: int) -> tuple[int, int]:
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
            found = _JPEG_NEXT_MARKER.search(data, at)
            if found is None:
                return None
            at = found.start()


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
