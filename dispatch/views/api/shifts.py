"""The signed-in volunteer's coming shifts with the same status the phone page shows
(``Availability``: available, full, past, not yet open, overlaps, skill missing,
cancelled, signed up)."""

from __future__ import annotations

from flask import abort, jsonify, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from dispatch.models.people import FIELD_ROLES
from dispatch.services.standing import shifts
from dispatch.views.api.blueprint import bp


@bp.get("/shifts")
def my_shifts() -> Response:
    if not current_user.is_authenticated or current_user.role not in FIELD_ROLES:
        abort(403)
    return jsonify([{
        "id": shift.id, "site": shift.site_name, "latitude": shift.latitude,
        "longitude": shift.longitude, "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(), "places": shift.places,
        "free_places": shift.free_places, "skills": shift.skills,
        "status": status.value, "status_label": status.label,
        "sign_up": url_for("field.sign_up", shift_id=shift.id),
    } for shift, status in shifts.for_volunteer(current_user)])
