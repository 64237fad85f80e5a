"""A small JSON API for the pages' own scripts: case statuses for "My reports", and
place search. Read-only, no personal data."""

from __future__ import annotations

from flask import jsonify, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import Case
from dispatch.services.intake.places import search_places
from dispatch.views.api.blueprint import bp

MAX_CODES = 30


@bp.get("/cases/status")
def case_statuses() -> Response:
    codes = [c.strip().upper() for c in (request.args.get("codes") or "").split(",")
             if c.strip()][:MAX_CODES]
    cases = db.session.scalars(select(Case).where(Case.tracking_code.in_(codes))) if codes \
        else []
    return jsonify([{
        "code": case.tracking_code, "title": case.title, "status": case.status.value,
        "status_label": case.status.label, "overdue": case.is_overdue,
        "url": url_for("public.case_status", code=case.tracking_code),
    } for case in cases])


@bp.get("/places")
def places() -> Response:
    return jsonify([{"name": m.name, "detail": m.detail, "lat": m.latitude,
                     "lon": m.longitude, "source": m.source}
                    for m in search_places(request.args.get("q") or "")])
