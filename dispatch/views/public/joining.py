"""Volunteering from the phone (/join): name, phone, skills, base place and the team
wanted; a coordinator or that team's captain decides. The rules are in
``services/responders/joining.py``."""

from __future__ import annotations

import secrets

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.models import Team
from dispatch.services.errors import InvalidInput
from dispatch.services.intake.places import search_places
from dispatch.services.responders import joining
from dispatch.views.forms import show_error
from dispatch.views.joining_forms import JoinForm
from dispatch.views.params import parse_id
from dispatch.views.public.blueprint import bp


def _form() -> JoinForm:
    form = JoinForm()
    teams = db.session.scalars(select(Team).where(Team.active.is_(True)).order_by(Team.code))
    form.team.choices = [SelectChoice("", _("Any team near me"))] + [
        SelectChoice(str(t.id), t.name) for t in teams]
    return form


@bp.get("/join")
def join() -> tuple[str, int]:
    form = _form()
    form.submission_token.data = secrets.token_urlsafe(24)
    return render_template("public/join.html", form=form), 200


@bp.post("/join")
def submit_join() -> tuple[str, int]:
    form = _form()
    if not form.validate():
        return render_template("public/join.html", form=form), 422
    lat, lon = form.lat.data, form.lon.data
    if lat is None or lon is None:  # no position from the phone: the place named, if known
        found = search_places(form.base_place.data or "", limit=1)
        lat, lon = (found[0].latitude, found[0].longitude) if found else (None, None)
    team_id = parse_id(form.team.data)
    team = db.session.get(Team, team_id) if team_id else None
    try:
        application = joining.apply(
            name=form.name.data or "", phone=form.phone.data or "",
            skills=list(form.skills.data or []), base_place=form.base_place.data or "",
            latitude=lat, longitude=lon, team=team,
            submission_token=form.submission_token.data or "")
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.name)
        return render_template("public/join.html", form=form), 422
    db.session.commit()
    return render_template("public/join_sent.html", application=application), 200
