"""The coordinator's desk (/desk): one blueprint, signed-in desk staff only.

The ``before_request`` guard is here so that no route of the desk can forget it.
"""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user, login_required

from dispatch.models import Role

bp = Blueprint("desk", __name__, url_prefix="/desk")
# Captains publish their team's shifts on the desk's shift page too (and nothing else here).
CAPTAIN_ENDPOINTS = frozenset({"desk.shifts", "desk.publish_shifts", "desk.cancel_shift"})


@bp.before_request
@login_required
def _desk_only() -> None:
    if current_user.at_desk:
        return
    if current_user.role == Role.CAPTAIN and request.endpoint in CAPTAIN_ENDPOINTS:
        return
    abort(403)
