"""Open311 GeoReport v2, read side: categories as services, cases as service requests,
public ledger lines as mySociety's service request updates.

Every record is a plain dict whose keys are the specification's field names, in its order;
the view writes it as JSON or XML. Only what the public case page shows goes out: never a
phone number, a reporter's name, an internal note or a hidden photo, and a micro-wish only
at its blurred public point (``Case.public_point``) and without its address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from dispatch.extensions import db
from dispatch.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseKind,
    CaseStatus,
    Category,
    utcnow,
)
from dispatch.services.errors import NotFound

MAX_WINDOW = timedelta(days=90)  # the specification's default window, and its widest
DEFAULT_PAGE_SIZE = 1000         # the specification's default number of requests
MAX_IDS = 100
CLOSED_STATUSES = (CaseStatus.REPLIED, CaseStatus.FEEDBACK, CaseStatus.ARCHIVED)
# Ledger lines whose note the public case page shows (templates/public/case.html).
PUBLIC_NOTES = ("reply", "mark_not_ours", "duplicate_linked", "finish")
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url")


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


def open_or_closed(status: CaseStatus) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


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

def window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The specification's rule: the last 90 days unless told, and never wider."""
    end = end or ((start + MAX_WINDOW) if start else utcnow())
    start = start or (end - MAX_WINDOW)
    return start, end


def _request_select(query: RequestQuery, with_events: bool) -> Select[tuple[Case]]:
    statement = select(Case).options(
        joinedload(Case.category), joinedload(Case.studio), joinedload(Case.assigned_team),
        joinedload(Case.duplicate_of), selectinload(Case.photos))
    if with_events:
        statement = statement.options(selectinload(Case.events))
    if query.ids:  # the specification: other parameters are then ignored
        return statement.where(Case.tracking_code.in_(query.ids)).order_by(Case.id)
    start, end = window(query.start, query.end)
    statement = statement.where(Case.created_at >= start, Case.created_at <= end)
    if query.service_codes:
        statement = statement.join(Case.category).where(
            Category.code.in_(query.service_codes))
    if query.statuses and set(query.statuses) != {"open", "closed"}:
        wanted = OPEN_STATUSES if "open" in query.statuses else CLOSED_STATUSES
        statement = statement.where(Case.status.in_(wanted))
    return (statement.order_by(Case.created_at.desc(), Case.id.desc())
            .offset((query.page - 1) * query.page_size).limit(query.page_size))


def find_requests(query: RequestQuery, with_events: bool = False) -> list[Case]:
    for code in query.service_codes:
        category_by_code(code)  # an unknown service is a 404, not an empty list
    return list(db.session.scalars(_request_select(query, with_events)).unique())


def case_by_request_id(request_id: str) -> Case:
    case = db.session.scalar(select(Case).where(Case.tracking_code == request_id.upper()))
    if case is None:
        raise NotFound()
    return case


def _status_notes(case: Case) -> str | None:
    if case.reply_text:
        return case.reply_text
    if case.closing_reason:
        return case.closing_reason
    return None


def _agency(case: Case) -> str | None:
    """The team at work on it, else its studio (never a volunteer's own name)."""
    if case.assigned_team is not None:
        return case.assigned_team.name
    return case.studio.name if case.studio else None


def _notice(case: Case) -> str:
    stage = case.status.label
    if case.assignment_status is not None:
        stage = f"{stage} · {case.assignment_status.label}"
    return stage


def public_events(case: Case) -> list[CaseEvent]:
    return [event for event in case.events if not event.internal]


def request_record(case: Case, links: Links, extensions: bool = False) -> dict[str, Any]:
    latitude, longitude = case.public_point
    photo = next((p for p in case.photos if not p.hidden), None)
    record: dict[str, Any] = {
        "service_request_id": case.tracking_code,
        "status": open_or_closed(case.status),
        "status_notes": _status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description,
        "agency_responsible": _agency(case),
        "service_notice": _notice(case),
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.due_at) if case.status in OPEN_STATUSES else None,
        "address": None if case.kind == CaseKind.WISH else (case.address or None),
        "address_id": None,
        "zipcode": None,
        "lat": latitude,
        "long": longitude,
        "media_url": links.photo(photo.key) if photo else None,
    }
    if extensions:
        record["extended_attributes"] = {
            "title": case.title,
            "kind": case.kind.value,
            "detailed_status": case.status.value,
            "support_count": case.support_count,
            "parent_service_request_id":
                case.duplicate_of.tracking_code if case.duplicate_of else None,
            "tracking_url": links.case_page(case.tracking_code),
            "steps": [step_record(event) for event in public_events(case)],
        }
    return record


def step_record(event: CaseEvent) -> dict[str, Any]:
    return {"action": event.action, "label": event.action_label,
            "datetime": w3c(event.created_at), "status": event.to_status.value,
            "note": event.note if event.action in PUBLIC_NOTES and event.note else None}


# --- mySociety's service request updates ----------------------------------------------

def _update_status(event: CaseEvent) -> str:
    """mySociety's states (their "additional states" extension), lower case."""
    if event.to_status == CaseStatus.ARCHIVED:
        return {"mark_duplicate": "duplicate",
                "mark_not_ours": "not_councils_responsibility"}.get(event.action, "closed")
    if event.to_status in (CaseStatus.REPLIED, CaseStatus.FEEDBACK):
        return "fixed"
    if event.to_status == CaseStatus.HANDLING:
        return "in_progress"
    return "open"


def find_updates(start: datetime | None, end: datetime | None, page: int,
                 page_size: int) -> list[CaseEvent]:
    start, end = window(start, end)
    return list(db.session.scalars(
        select(CaseEvent).options(joinedload(CaseEvent.case))
        .where(CaseEvent.internal.is_(False), CaseEvent.action != "register",
               CaseEvent.created_at >= start, CaseEvent.created_at <= end)
        .order_by(CaseEvent.created_at, CaseEvent.id)
        .offset((page - 1) * page_size).limit(page_size)))


def update_record(event: CaseEvent) -> dict[str, Any]:
    text = event.action_label
    if event.action in PUBLIC_NOTES and event.note:
        text = f"{text}: {event.note}"
    return {
        "update_id": f"{event.case.tracking_code}-{event.seq}",
        "service_request_id": event.case.tracking_code,
        "status": _update_status(event),
        "updated_datetime": w3c(event.created_at),
        "description": text,
        "media_url": None,
    }

