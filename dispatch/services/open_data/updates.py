"""mySociety's service request updates (their Open311 extension, which FixMyStreet
follows): every public ledger line after the filing, with mySociety's states. Never an
internal note; a note only where the public case page shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from dispatch.extensions import db
from dispatch.models import CaseEvent, CaseStatus
from dispatch.services.open_data.georeport import PUBLIC_NOTES, w3c, window


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

