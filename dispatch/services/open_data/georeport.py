"""Open311 GeoReport v2, read side: categories as services (with their definitions) and
cases as service requests (mySociety's updates are in ``updates.py``).

Every record is a plain dict whose keys are the specification's field names, in its order;
the view writes it as JSON or XML. Only what the public case page shows goes out: never a
phone number, a reporter's name, an internal note or a hidden photo, and a micro-wish only
at its blurred public point (``Case.public_point``) and without its address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, String, select, type_coerce

from dispatch.extensions import db
from dispatch.models import (
    OPEN_STATUSES,
    AssignmentStatus,
    Case,
    CaseEvent,
    CaseKind,
    CasePhoto,
    CaseStatus,
    Category,
    Studio,
    Team,
    utcnow,
)
from dispatch.models.case import public_point
from dispatch.services.errors import NotFound

MAX_WINDOW = timedelta(days=90)  # the specification's default window, and its widest
DEFAULT_PAGE_SIZE = 1000         # the specification's default number of requests
MAX_IDS = 100
CLOSED_STATUSES = (CaseStatus.REPLIED, CaseStatus.FEEDBACK, CaseStatus.ARCHIVED)
# Ledger lines whose note the public case page shows (templates/public/case.html).
PUBLIC_NOTES = ("reply", "mark_not_ours", "duplicate_linked", "finish")


@dataclass(frozen=True)
class Links:
    """Absolute URLs, built by the view (services know no request)."""

    photo: Callable[[str], str]
    case_page: Callable[[str], str]


@dataclass(frozen=True)
class RequestQuery:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # "open", "closed"
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def w3c(moment: datetime | None) -> str | None:
    """ISO 8601 with its offset, to the second (the W3C profile the specification asks)."""
    return moment.isoformat(timespec="seconds") if moment else None


# --- services --------------------------------------------------------------------------

def active_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True))
                                   .order_by(Category.id)))


def category_by_code(code: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.code == code,
                                                        Category.active.is_(True)))
    if category is None:
        raise NotFound()
    return category


def service_record(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": _("Reports of “%(name)s” to the community studios.",
                         name=category.name),
        "metadata": True,  # every service has the attributes below
        "type": "realtime",
        "keywords": ",".join(category.skills or []),
        "group": _("Community cases"),
    }


def service_definition(category: Category) -> dict[str, Any]:
    """The questions a report of this service may answer (``attribute[code]`` in a POST)."""
    kinds = [{"key": kind.value, "name": kind.label}
             for kind in (CaseKind.HAZARD, CaseKind.WISH)]
    return {"service_code": category.code, "attributes": [
        {"variable": True, "code": "kind", "datatype": "singlevaluelist", "required": False,
         "datatype_description": _("hazard (the default) or wish"), "order": 1,
         "description": _("A hazard, or a micro-wish that volunteers can claim "
                          "(shown on public pages only to about 100 m)."),
         "values": kinds},
        {"variable": True, "code": "title", "datatype": "string", "required": False,
         "datatype_description": _("At most 120 characters"), "order": 2,
         "description": _("A short title; by default the start of the description."),
         "values": []},
    ]}


# --- requests --------------------------------------------------------------------------
# Lists of up to 1,000 requests are read as columns, not ORM objects, and every name and
# label is looked up once per response: the listing stays a few queries whatever its size.

def _as_stored(column: Any) -> Any:
    """A time column as the driver gives it: SQLite's text (UTC, as ``UTCDateTime`` stores
    it) or PostgreSQL's aware datetime; ``stored_w3c`` writes either. Parsing a thousand
    SQLite strings into datetimes only to write them out again was a third of a listing."""
    return type_coerce(column, String).label(column.key)


COLUMNS = (Case.id, Case.tracking_code, Case.kind, Case.title, Case.status,
           Case.assignment_status, Case.description, Case.address, Case.latitude,
           Case.longitude, _as_stored(Case.created_at), _as_stored(Case.updated_at),
           _as_stored(Case.due_at), Case.reply_text, Case.closing_reason, Case.category_id,
           Case.studio_id, Case.assigned_team_id, Case.duplicate_of_id, Case.support_count)


def stored_w3c(value: str | datetime | None) -> str | None:
    if value is None or isinstance(value, datetime):
        return w3c(value.astimezone(UTC) if value else None)
    return f"{value[:10]}T{value[11:19]}+00:00"  # "2026-12-01 11:32:45.818389", UTC


def window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The specification's rule: the last 90 days unless told, and never wider."""
    end = end or ((start + MAX_WINDOW) if start else utcnow())
    start = start or (end - MAX_WINDOW)
    return start, end


def _request_select(query: RequestQuery) -> Select[Any]:
    statement = select(*COLUMNS)
    if query.ids:  # the specification: other parameters are then ignored
        return statement.where(Case.tracking_code.in_(query.ids)).order_by(Case.id)
    start, end = window(query.start, query.end)
    statement = statement.where(Case.created_at >= start, Case.created_at <= end)
    if query.service_codes:
        statement = statement.where(Case.category_id.in_(
            select(Category.id).where(Category.code.in_(query.service_codes))))
    if query.statuses and set(query.statuses) != {"open", "closed"}:
        wanted = OPEN_STATUSES if "open" in query.statuses else CLOSED_STATUSES
        statement = statement.where(Case.status.in_(wanted))
    return (statement.order_by(Case.created_at.desc(), Case.id.desc())
            .offset((query.page - 1) * query.page_size).limit(query.page_size))


@dataclass
class Page:
    """The rows of one response and what they name, each looked up once."""

    rows: list[Any]
    categories: dict[int, Category]
    studios: dict[int, str]
    teams: dict[int, str]
    photos: dict[int, str]  # case id -> key of its first public photo
    parents: dict[int, str]  # duplicate_of id -> its tracking code
    steps: dict[int, list[CaseEvent]]
    labels: dict[Any, str]


def _names(model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row.id: row.name for row in db.session.scalars(
        select(model).where(model.id.in_(ids)))}


def _page(rows: list[Any], with_events: bool) -> Page:
    ids = [row.id for row in rows]
    photos: dict[int, str] = {}
    steps: dict[int, list[CaseEvent]] = {}
    if ids:
        for case_id, key in db.session.execute(
                select(CasePhoto.case_id, CasePhoto.key)
                .where(CasePhoto.case_id.in_(ids), CasePhoto.hidden.is_(False))
                .order_by(CasePhoto.id.desc())):
            photos[case_id] = key  # the lowest id wins: the first photo
        if with_events:
            for event in db.session.scalars(
                    select(CaseEvent).where(CaseEvent.case_id.in_(ids),
                                            CaseEvent.internal.is_(False))
                    .order_by(CaseEvent.case_id, CaseEvent.seq)):
                steps.setdefault(event.case_id, []).append(event)
    parent_ids = {row.duplicate_of_id for row in rows if row.duplicate_of_id}
    parents = {case_id: code for case_id, code in db.session.execute(
        select(Case.id, Case.tracking_code).where(Case.id.in_(parent_ids)))} \
        if parent_ids else {}
    labels: dict[Any, str] = {status: status.label for status in CaseStatus}
    labels.update({state: state.label for state in AssignmentStatus})
    return Page(rows=rows, categories={c.id: c for c in db.session.scalars(select(Category))},
                studios=_names(Studio, {r.studio_id for r in rows if r.studio_id}),
                teams=_names(Team, {r.assigned_team_id for r in rows if r.assigned_team_id}),
                photos=photos, parents=parents, steps=steps,
                labels=labels)


def find_requests(query: RequestQuery, with_events: bool = False) -> Page:
    for code in query.service_codes:
        category_by_code(code)  # an unknown service is a 404, not an empty list
    return _page(list(db.session.execute(_request_select(query))), with_events)


def request_by_id(request_id: str, with_events: bool = False) -> Page:
    page = find_requests(RequestQuery(ids=(request_id.upper(),)), with_events)
    if not page.rows:
        raise NotFound()
    return page


def request_records(page: Page, links: Links, extensions: bool = False
                    ) -> list[dict[str, Any]]:
    category_names = {c.id: (c.code, c.name) for c in page.categories.values()}
    return [_record(row, page, category_names, links, extensions) for row in page.rows]


def _record(row: Any, page: Page, category_names: dict[int, tuple[str, str]], links: Links,
            extensions: bool) -> dict[str, Any]:
    latitude, longitude = public_point(row.kind, row.latitude, row.longitude)
    code, name = category_names[row.category_id]
    notice = page.labels[row.status]
    if row.assignment_status is not None:
        notice = f"{notice} · {page.labels[row.assignment_status]}"
    photo = page.photos.get(row.id)
    is_open = row.status in OPEN_STATUSES
    record: dict[str, Any] = {
        "service_request_id": row.tracking_code,
        "status": "open" if is_open else "closed",
        "status_notes": row.reply_text or row.closing_reason or None,
        "service_name": name,
        "service_code": code,
        "description": row.description,
        # The team at work on it, else its studio (never a volunteer's own name).
        "agency_responsible": page.teams.get(row.assigned_team_id)
        or page.studios.get(row.studio_id),
        "service_notice": notice,
        "requested_datetime": stored_w3c(row.created_at),
        "updated_datetime": stored_w3c(row.updated_at),
        "expected_datetime": stored_w3c(row.due_at) if is_open else None,
        "address": None if row.kind == CaseKind.WISH else (row.address or None),
        "address_id": None,
        "zipcode": None,
        "lat": latitude,
        "long": longitude,
        "media_url": links.photo(photo) if photo else None,
    }
    if extensions:
        record["extended_attributes"] = {
            "title": row.title,
            "kind": row.kind.value,
            "detailed_status": row.status.value,
            "support_count": row.support_count,
            "parent_service_request_id": page.parents.get(row.duplicate_of_id),
            "tracking_url": links.case_page(row.tracking_code),
            "steps": [step_record(event) for event in page.steps.get(row.id, [])],
        }
    return record


def step_record(event: CaseEvent) -> dict[str, Any]:
    return {"action": event.action, "label": event.action_label,
            "datetime": w3c(event.created_at), "status": event.to_status.value,
            "note": event.note if event.action in PUBLIC_NOTES and event.note else None}
