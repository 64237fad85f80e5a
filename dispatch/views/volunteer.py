"""Volunteers and captains on their phones: the work they hold, open micro-wishes and
tasks near them to claim, and the next step of each."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from dispatch import maps
from dispatch.extensions import db
from dispatch.forms import ActionForm
from dispatch.models import Case, Region
from dispatch.models.case import ACTION_LABELS, TRANSITIONS
from dispatch.models.people import FIELD_ROLES
from dispatch.services import claims, lifecycle
from dispatch.services.case_queries import claimable_near, work_of
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.services.lifecycle import Actor
from dispatch.views.case_actions import attach_error, build_forms, perform, posted_data

bp = Blueprint("volunteer", __name__, url_prefix="/v")

FIELD_ACTIONS = frozenset({"accept", "decline", "arrive", "finish", "claim", "release"})


@bp.before_request
@login_required
def _field_only() -> None:
    if current_user.role not in FIELD_ROLES:
        abort(403)


def _where_am_i() -> tuple[float, float, bool]:
    """The phone's position when it shared it, else the volunteer's base, else a region."""
    try:
        return float(request.args["lat"]), float(request.args["lon"]), True
    except (KeyError, ValueError):
        pass
    profile = current_user.profile
    if profile and profile.latitude is not None and profile.longitude is not None:
        return profile.latitude, profile.longitude, False
    region = db.session.scalar(select(Region).order_by(Region.id))
    return (region.latitude, region.longitude, False) if region else (27.86, 112.95, False)


def _render_home(posted_forms: dict[int, dict] | None = None, status: int = 200
                 ) -> tuple[str, int]:
    actor = Actor.of(current_user)
    cards = []
    for case in work_of(current_user):
        actions = [t for t in lifecycle.allowed_actions(case, actor)
                   if t.action in FIELD_ACTIONS]
        forms = (posted_forms or {}).get(case.id) or build_forms(case, actions)
        cards.append((case, actions, forms))
    lat, lon, from_phone = _where_am_i()
    nearby = claimable_near(lat, lon)
    fmap = maps.base_map(lat, lon, zoom=14)
    maps.add_circle(fmap, lat, lon, 60, tooltip=_("You are here") if from_phone else
                    _("Your base"))
    for case, _distance in nearby:
        maps.add_marker(fmap, case.latitude, case.longitude, tooltip=case.title,
                        popup=case.title, colour="green", icon="heart")
    claim_forms = {case.id: ActionForm(formdata=None, prefix="claim", version=case.version)
                   for case, _distance in nearby}
    return render_template("volunteer/home.html", cards=cards, nearby=nearby,
                           claim_forms=claim_forms, map=maps.embed(fmap),
                           from_phone=from_phone, open_claims=claims.open_claims_of(
                               current_user.id), remaining=claims.remaining), status


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
    forms = build_forms(case, [TRANSITIONS[action]], posted_data(), posted=action)
    form = forms[action]
    if action != "claim":  # a lost claim race is answered by the claim itself, with the holder
        lifecycle.ensure_allowed(case, actor, action)
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


@bp.post("/cases/<int:case_id>/on-the-way")
def on_the_way(case_id: int) -> Response:
    case = db.get_or_404(Case, case_id)  # CSRF is checked for every POST by CSRFProtect
    lifecycle.on_the_way(case, Actor.of(current_user))
    db.session.commit()
    flash(_("Done: %(action)s.", action=ACTION_LABELS["on_the_way"]), "success")
    return redirect(url_for(".home"))


@bp.post("/cases/<int:case_id>/extend")
def extend_claim(case_id: int) -> Response:
    case = db.get_or_404(Case, case_id)
    claims.extend(case, Actor.of(current_user))
    db.session.commit()
    flash(_("Done: %(action)s.", action=ACTION_LABELS["extend_claim"]), "success")
    return redirect(url_for(".home"))
