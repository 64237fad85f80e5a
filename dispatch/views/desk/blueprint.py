"""The coordinator's desk (/desk): one blueprint, signed-in desk staff only.

The ``before_request`` guard is here so that no route of the desk can forget it.
"""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("desk", __name__, url_prefix="/desk")


@bp.before_request
@login_required
def _desk_only() -> None:
    if not current_user.at_desk:
        abort(403)
