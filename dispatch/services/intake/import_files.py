"""Reading an upload of inspection findings into rows: CSV in UTF-8 or GB18030, or XLSX,
read as a stream. Which columns a file may have (``COLUMNS``) and the limits on the file
itself (its size, how many rows) belong here; whether a row is good is ``imports``'s
business. Reading stops at IMPORT_MAX_ROWS + 1 rows, so a file of 100,000 rows is refused
without being read to the end. Every refusal is an ``InvalidInput`` on the field "file".
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import gettext as _
from openpyxl import load_workbook

from dispatch.services.errors import InvalidInput

MAX_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_ROWS = 2000
MAX_CELL = 131_072  # characters: the csv module's own field limit, far past any finding
# What a workbook may unpack to (all its parts, as the zip declares them). zipfile never
# inflates a part past its declared size, so this bounds the text openpyxl decodes: a
# 256 KB file can otherwise hold a 250 MB shared string (gigabytes once parsed).
DEFAULT_MAX_UNPACKED_BYTES = 32 * 1024 * 1024
# What a damaged workbook raises while openpyxl parses it (ParseError is a SyntaxError).
_BROKEN_XLSX = (zipfile.BadZipFile, LookupError, OSError, ValueError, TypeError, SyntaxError,
                AttributeError, EOFError, zlib.error)


def max_rows() -> int:
    return int(current_app.config.get("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def max_unpacked_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED_BYTES))


# Each field: its English and Chinese header, and other headers accepted for it.
COLUMNS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ref": ("ref", "编号", ("reference", "externalref", "问题编号")),
    "title": ("title", "标题", ("问题", "问题名称")),
    "description": ("description", "描述", ("问题描述", "详情")),
    "category": ("category", "类别", ("分类", "问题类别")),
    "latitude": ("latitude", "纬度", ("lat",)),
    "longitude": ("longitude", "经度", ("lon", "lng")),
    "address": ("address", "地址", ("位置", "桩号")),
    "studio": ("studio", "工作室", ("工作室编码", "studiocode")),
}
REQUIRED = ("title", "description", "category", "latitude", "longitude")


def column_names() -> dict[str, str]:
    """Every accepted header, lower case without spaces, to its field."""
    names = {}
    for field, (english, chinese, others) in COLUMNS.items():
        for name in (english, chinese, *others):
            names[name.lower().replace(" ", "").replace("_", "")] = field
    return names


# --- reading the file ----------------------------------------------------------------------

def _text_lines(data: bytes, complete: bool) -> Iterator[str]:
    """UTF-8 (with or without BOM) first, else GB18030 (what Chinese Excel writes)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(data, final=complete)
        except UnicodeDecodeError:
            continue
        return iter(io.StringIO(text, newline=""))
    raise InvalidInput("file", _("The file is not readable text: save it as CSV (UTF-8) "
                                 "or as an Excel workbook (.xlsx)."))


def _too_long(line: int) -> InvalidInput:
    return InvalidInput("file", _("Line %(line)d has a cell longer than %(n)d characters: "
                                  "this is not a table of findings.", line=line, n=MAX_CELL))


def _nul(line: int) -> InvalidInput:
    return InvalidInput("file", _("Line %(line)d contains a NUL character, which cannot be "
                                  "stored. Save the file again as CSV (UTF-8) or .xlsx.",
                                  line=line))


def _csv_rows(data: bytes, complete: bool) -> Iterator[list[Any]]:
    reader = csv.reader(_text_lines(data, complete))
    try:
        yield from reader
    except csv.Error as error:  # in practice a field over the reader's limit (MAX_CELL)
        raise _too_long(reader.line_num) from error


def _unreadable_workbook() -> InvalidInput:
    return InvalidInput("file", _("This workbook cannot be read. Save it again as .xlsx "
                                  "or as CSV."))


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a workbook whose parts declare more than the limit, before openpyxl opens it."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _unreadable_workbook() from error
    limit = max_unpacked_bytes()
    if sum(part.file_size for part in parts) > limit:
        raise InvalidInput("file", _(
            "This workbook holds more than %(mb)s MB of data once unpacked. Split it into "
            "smaller files, or save it as CSV.", mb=f"{round(limit / 2**20, 1):g}"))


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    _check_unpacked_size(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _BROKEN_XLSX as error:
        raise _unreadable_workbook() from error
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    except _BROKEN_XLSX as error:
        raise _unreadable_workbook() from error
    finally:
        workbook.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float: 7.0 is "7"
    return str(value).strip()


def _rows_of(upload: BinaryIO) -> Iterator[list[Any]]:
    data = upload.read(MAX_BYTES + 1)
    oversize = len(data) > MAX_BYTES
    if data[:4] == b"PK\x03\x04":
        if oversize:
            raise InvalidInput("file", _("The file is larger than %(mb)d MB. Split it into "
                                         "smaller files.", mb=MAX_BYTES // (1024 * 1024)))
        return _xlsx_rows(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InvalidInput("file", _("Old Excel files (.xls) are not read: save the file as "
                                     ".xlsx or as CSV."))
    if not data.strip() or b"\x00" in data[:8192]:
        raise InvalidInput("file", _("This is not a CSV or XLSX file of findings."))
    nul = data.find(b"\x00", 0, MAX_BYTES)  # PostgreSQL stores no NUL, in text or JSON
    if nul >= 0:
        raise _nul(data.count(b"\n", 0, nul) + 1)
    return _oversize_guard(_csv_rows(data[:MAX_BYTES], complete=not oversize), oversize)


def _oversize_guard(rows: Iterator[list[Any]], oversize: bool) -> Iterator[list[Any]]:
    """A file over the size limit is refused, unless the row limit refuses it first
    (its message is the more useful one)."""
    yield from rows
    if oversize:
        raise InvalidInput("file", _("The file is larger than %(mb)d MB. Split it into "
                                     "smaller files.", mb=MAX_BYTES // (1024 * 1024)))


def _header(raw: list[Any]) -> dict[str, int]:
    """Map each known field to its column; refuse a file that lacks a required one."""
    names = column_names()
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, cell in enumerate(raw):
        label = _cell(cell)
        key = label.lower().replace(" ", "").replace("*", "").replace("_", "")
        if not key:
            continue
        field = names.get(key)
        if field is None:
            unknown.append(label)
        elif field in positions:
            raise InvalidInput("file", _("The column “%(name)s” appears twice.", name=label))
        else:
            positions[field] = index
    missing = [field for field in REQUIRED if field not in positions]
    if missing:
        wanted = ", ".join(f"{COLUMNS[f][1]} ({f})" for f in missing)
        message = _("Wrong columns: missing %(missing)s.", missing=wanted)
        if unknown:
            message += " " + _("Not recognised: %(unknown)s.", unknown=", ".join(unknown))
        raise InvalidInput("file", message)
    return positions


def _check_cells(raw: list[Any], line: int) -> None:
    """A workbook's cells are bounded like a CSV's; NUL cannot be stored."""
    for value in raw:
        if isinstance(value, str):
            if len(value) > MAX_CELL:
                raise _too_long(line)
            if "\x00" in value:
                raise _nul(line)


def read_rows(upload: BinaryIO) -> tuple[list[dict[str, Any]], list[str]]:
    """The file's data rows as dicts of strings, numbered by their line in the file, and
    the names of the columns that were not recognised (ignored)."""
    limit = max_rows()
    rows = _rows_of(upload)
    header: dict[str, int] | None = None
    line = 0
    ignored: list[str] = []
    found: list[dict[str, Any]] = []
    for raw in rows:
        line += 1
        _check_cells(raw, line)
        if not any(_cell(value) for value in raw):
            continue  # blank lines, blank rows Excel leaves under a table
        if header is None:
            header = _header(raw)
            known = set(header.values())
            ignored = [_cell(v) for i, v in enumerate(raw) if _cell(v) and i not in known]
            continue
        if len(found) >= limit:
            raise InvalidInput("file", _(
                "The file has more than %(n)d rows; at most %(n)d findings can be imported "
                "at once. Split it into smaller files.", n=limit))
        found.append({"line": line, **{field: _cell(raw[index]) if index < len(raw) else ""
                                        for field, index in header.items()}})
    if header is None:
        raise InvalidInput("file", _("The file is empty."))
    if not found:
        raise InvalidInput("file", _("The file has a header but no rows of findings."))
    return found, ignored
