"""Volunteers and captains on their phones: the work they hold and its next steps."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import Case
from dispatch.models.case import ACTION_LABELS, TRANSITIONS
from dispatch.models.people import FIELD_ROLES
from dispatch.services import lifecycle
from dispatch.services.case_queries import work_of
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.services.lifecycle import Actor
from dispatch.views.case_actions import attach_error, build_forms, perform

bp = Blueprint("volunteer", __name__, url_prefix="/v")

FIELD_ACTIONS = frozenset({"accept", "decline", "arrive", "finish"})


@bp.before_request
@login_required
def _field_only() -> None:
    if current_user.role not in FIELD_ROLES:
        abort(403)


def _render_home(posted_forms: dict[int, dict] | None = None, status: int = 200
                 ) -> tuple[str, int]:
    actor = Actor.of(current_user)
    cards = []
    for case in work_of(current_user):
        actions = [t for t in lifecycle.allowed_actions(case, actor)
                   if t.action in FIELD_ACTIONS]
        forms = (posted_forms or {}).get(case.id) or build_forms(case, actions)
        cards.append((case, actions, forms))
    return render_template("volunteer/home.html", cards=cards), status


@bp.get("/")
def home() -> tuple[str, int]:
    return _render_home()


@bp.post("/cases/<int:case_id>/actions/<action>")
def case_action(case_id: int, action: str) -> Response | tuple[str, int]:
    if action not in TRANSITIONS:
        abort(404)
    if action not in FIELD_ACTIONS:
        raise NotPermitted(action)
    case = db.get_or_404(Case, case_id)
    actor = Actor.of(current_user)
    lifecycle.ensure_allowed(case, actor, action)
    forms = build_forms(case, [TRANSITIONS[action]], request.form, posted=action)
    form = forms[action]
    if not form.validate():
        return _render_home({case.id: forms}, status=422)
    try:
        perform(action, case, actor, form)
    except InvalidInput as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_home({case.id: forms}, status=422)
    db.session.commit()
    flash(_("Done: %(action)s.", action=ACTION_LABELS[action]), "success")
    return redirect(url_for(".home"))
