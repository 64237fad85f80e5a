"""Models as /api/v1 shows them to one reader: personal data masked as the pages mask it
(a resident's phone in full only for whoever may call them, a micro-wish's exact place
and the resident's name only for the desk and whoever does the work), internal ledger
notes for the desk only."""

from __future__ import annotations

from flask import g, url_for

from dispatch.models import Case, CaseEvent, CaseStatus, ServicePoint, Team, User
from dispatch.models.people import DESK_ROLES
from dispatch.services.permissions import may_see_reporter, may_see_reporter_phone
from dispatch.services.phones import mask_phone
from dispatch.services.responders.suggest import Suggestion


def case(item: Case, reader: User) -> dict[str, object]:
    """One case for ``reader``: personal data masked, a wish's place blurred."""
    close = may_see_reporter(item, reader)
    latitude, longitude = (item.latitude, item.longitude) if close else item.public_point
    phone = item.reporter_phone
    if phone and not may_see_reporter_phone(item, reader):
        phone = mask_phone(phone)
    return {
        "id": item.id, "tracking_code": item.tracking_code, "kind": item.kind.value,
        "title": item.title, "description": item.description,
        "category_id": item.category_id, "category": item.category.name,
        "status": item.status.value, "status_label": _status_label(item.status),
        "assignment_status": item.assignment_status.value if item.assignment_status else None,
        "version": item.version, "latitude": latitude, "longitude": longitude,
        "location_exact": (latitude, longitude) == (item.latitude, item.longitude),
        "address": item.address, "studio_id": item.studio_id, "assignee": item.assignee_name,
        "reporter_name": item.reporter_name if close else None, "reporter_phone": phone,
        "overdue": item.is_overdue, "due_at": item.due_at, "created_at": item.created_at,
        "updated_at": item.updated_at, "reply_text": item.reply_text,
        "url": _public_page(item.tracking_code),
    }


def _status_label(status: CaseStatus) -> str:
    """Translated once per request and status (a list of 100 cases has six at most)."""
    labels = g.setdefault("api_status_labels", {})
    if status not in labels:
        labels[status] = str(status.label)
    return labels[status]


def _public_page(code: str) -> str:
    prefix = g.get("api_case_url_prefix")
    if prefix is None:
        prefix = g.api_case_url_prefix = url_for("public.case_status", code="_")[:-1]
    return prefix + code


def event(item: CaseEvent, reader: User) -> dict[str, object]:
    resident = item.actor_role == "resident" and reader.role not in DESK_ROLES
    return {
        "seq": item.seq, "action": item.action, "action_label": item.action_label,
        "actor_role": item.actor_role, "actor_name": "" if resident else item.actor_name,
        "from_status": item.from_status.value if item.from_status else None,
        "to_status": item.to_status.value, "note": item.note, "internal": item.internal,
        "created_at": item.created_at,
    }


def events(item: Case, reader: User) -> list[dict[str, object]]:
    desk = reader.role in DESK_ROLES
    return [event(e, reader) for e in item.events if desk or not e.internal]


def responder(item: Suggestion) -> dict[str, object]:
    return {"key": item.key, "name": item.name, "is_team": item.is_team,
            "distance_m": round(item.distance_m, 1), "skills": list(item.skills),
            "on_duty": item.on_duty, "open_work": item.open_work,
            "score": round(item.score, 3), "reason": item.reason}


def team(item: Team) -> dict[str, object]:
    return {"id": item.id, "code": item.code, "name": item.name, "studio_id": item.studio_id,
            "region_id": item.region_id, "active": item.active,
            "skills": list(item.skills or []), "latitude": item.latitude,
            "longitude": item.longitude}


def service_point(item: ServicePoint) -> dict[str, object]:
    return {"id": item.id, "code": item.code, "kind": item.kind.value,
            "kind_label": str(item.kind.label), "name": item.name, "address": item.address,
            "latitude": item.latitude, "longitude": item.longitude,
            "open_24h": item.open_24h, "opening_hours": dict(item.opening_hours or {})}
