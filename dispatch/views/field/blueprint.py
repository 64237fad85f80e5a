"""Volunteers' and captains' phone pages (/v): one blueprint, field roles only."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required

from dispatch.models.people import FIELD_ROLES

bp = Blueprint("field", __name__, url_prefix="/v")


@bp.before_request
@login_required
def _field_only() -> None:
    if current_user.role not in FIELD_ROLES:
        abort(403)
