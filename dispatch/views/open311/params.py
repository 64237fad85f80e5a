"""Reading Open311's query parameters: W3C dates, comma lists, page and page_size. What
does not parse is an ``InvalidInput`` (a 400 in the specification's format), never a
silent default."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import request
from flask_babel import gettext as _

from dispatch.services.errors import InvalidInput
from dispatch.services.open_data.georeport import (
    DEFAULT_PAGE_SIZE,
    MAX_IDS,
    MAX_WINDOW,
    RequestQuery,
    window,
)
from dispatch.views.params import ANY_CONTROL, MAX_PAGE, parse_int

STATUSES = ("open", "closed")


def date_arg(name: str) -> datetime | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+"))  # a "+" arrives as a space
    except ValueError:
        raise InvalidInput(name, _("Not a date and time in W3C format "
                                   "(e.g. 2026-12-01T08:00:00+08:00).")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 2000 <= moment.year <= 2100:
        raise InvalidInput(name, _("Not a date and time in W3C format "
                                   "(e.g. 2026-12-01T08:00:00+08:00)."))
    return moment.astimezone(UTC)


def list_arg(name: str, limit: int = MAX_IDS) -> tuple[str, ...]:
    raw = request.args.get(name) or ""
    items = tuple(dict.fromkeys(item.strip() for item in raw.split(",") if item.strip()))
    if len(items) > limit or any(len(item) > 64 or ANY_CONTROL.search(item)
                                 for item in items):
        raise InvalidInput(name, _("At most %(n)d values, separated by commas.", n=limit))
    return items


def paging() -> tuple[int, int]:
    page, size = 1, DEFAULT_PAGE_SIZE
    if "page" in request.args:
        page = parse_int(request.args["page"], 1, MAX_PAGE) or 0
        if not page:
            raise InvalidInput("page", _("page must be a whole number from 1 to %(n)d.",
                                         n=MAX_PAGE))
    if "page_size" in request.args:
        size = parse_int(request.args["page_size"], 1, DEFAULT_PAGE_SIZE) or 0
        if not size:
            raise InvalidInput("page_size", _("page_size must be a whole number from 1 to "
                                              "%(n)d.", n=DEFAULT_PAGE_SIZE))
    return page, size


def date_window() -> tuple[datetime | None, datetime | None]:
    start, end = date_arg("start_date"), date_arg("end_date")
    first, last = window(start, end)
    if first > last:
        raise InvalidInput("start_date", _("start_date is after end_date."))
    if last - first > MAX_WINDOW:
        raise InvalidInput("end_date", _("The dates may span at most %(n)d days.",
                                         n=MAX_WINDOW.days))
    return start, end


def request_query() -> RequestQuery:
    statuses = tuple(s.lower() for s in list_arg("status"))
    if any(s not in STATUSES for s in statuses):
        raise InvalidInput("status", _("status must be open, closed or both."))
    start, end = date_window()
    page, size = paging()
    return RequestQuery(ids=tuple(i.upper() for i in list_arg("service_request_id")),
                        service_codes=list_arg("service_code"), statuses=statuses,
                        start=start, end=end, page=page, page_size=size)


def extensions_wanted() -> bool:
    return (request.args.get("extensions") or "").lower() in ("true", "1")
