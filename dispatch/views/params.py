"""One place that reads what a request sends: ids, whole numbers, choices, coordinates,
and text free of control characters. A value that does not parse is ``None`` (a filter
ignores it), a form error (the form fields below), or a 404 for an id in the path; never
an exception further down (a database refuses a NUL, an int4 beyond 2**31-1, a NaN).

Redirect targets are ``views/redirects.py:safe_next``."""

from __future__ import annotations

import math
import re
from enum import Enum
from typing import Any, TypeVar

from flask import Flask, abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BaseConverter, ValidationError
from wtforms import FloatField, IntegerField

MAX_ID = 2**31 - 1  # an INTEGER column (PostgreSQL int4)
MAX_PAGE = 100_000  # far beyond any list; keeps OFFSET within every database's range
ASCII_DIGITS = re.compile(r"[0-9]{1,10}")
# C0 controls and DEL, except tab, LF and CR (a multi-line text keeps its line breaks).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

E = TypeVar("E", bound=Enum)


def parse_int(raw: object, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """A whole number written in ASCII digits (``str.isdigit`` takes "²", which ``int``
    refuses), within ``minimum``..``maximum``; else None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and ASCII_DIGITS.fullmatch(raw.strip()):
        value = int(raw.strip())
    else:
        return None
    return value if minimum <= value <= maximum else None


def parse_id(raw: object) -> int | None:
    """A row's id: 1..2**31-1."""
    return parse_int(raw, minimum=1)


def arg_id(name: str) -> int | None:
    return parse_id(request.args.get(name))


def page_arg(name: str = "page") -> int:
    """The page of a list asked for; anything unreadable is the first page."""
    return parse_int(request.args.get(name), minimum=1, maximum=MAX_PAGE) or 1


def parse_choice(raw: object, enum: type[E]) -> E | None:
    """A member of ``enum`` by its value, spaces around ignored; else None."""
    text = raw.strip() if isinstance(raw, str) else ""
    try:
        return enum(text) if text else None
    except ValueError:
        return None


def parse_coordinate(raw: object, limit: float) -> float | None:
    """A finite number within ±``limit`` (90 for a latitude, 180 for a longitude)."""
    try:
        value = float(raw) if isinstance(raw, (str, int, float)) else math.nan
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) and -limit <= value <= limit else None


def strip(value: Any) -> Any:
    """A field filter: a whitespace-only choice is no choice ("all")."""
    return value.strip() if isinstance(value, str) else value


# --- Form fields that parse through the functions above


class BoundedIntegerField(IntegerField):
    """A whole number in ASCII digits within a range; anything else is a form error."""

    def __init__(self, *args: Any, minimum: int = 0, maximum: int = MAX_ID,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = parse_int(valuelist[0], self.minimum, self.maximum)
        if self.data is None:
            raise ValueError(_l("Not a valid whole number."))


def IdField(*args: Any, **kwargs: Any) -> BoundedIntegerField:  # noqa: N802 (a field)
    return BoundedIntegerField(*args, minimum=1, **kwargs)


class CoordinateField(FloatField):
    """A latitude (``limit=90``) or longitude (``limit=180``): finite and in range."""

    def __init__(self, *args: Any, limit: float = 90, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = limit

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = parse_coordinate(valuelist[0], self.limit)
        if self.data is None:
            raise ValueError(_l("This is not a place on the map."))


# --- Every request: ids in the path, control characters anywhere


class IdConverter(BaseConverter):
    """``<id:case_id>``: ASCII digits, 1..2**31-1; anything else matches no route (404)."""

    regex = r"[0-9]{1,10}"
    weight = 50

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


def refuse_control_characters() -> None:
    """A path segment with a control character names nothing (404); a query argument or
    form field with one (other than tab and line breaks) cannot be stored (400)."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and ANY_CONTROL.search(value):
            abort(404)
    for values in (request.args, request.form):
        if any(CONTROL_CHARACTERS.search(value) for _key, value in values.items(multi=True)):
            abort(400, description=_("The text contains a control character (such as a "
                                     "NUL byte) that cannot be stored. Please remove it "
                                     "and try again."))


def register(app: Flask) -> None:
    """Before the blueprints: their rules are bound to the converters when registered."""
    app.url_map.converters["id"] = IdConverter
    app.before_request(refuse_control_characters)
