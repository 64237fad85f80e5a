"""Volunteers and captains on their phones: the work they hold, open micro-wishes and
tasks near them to claim, and the next step of each."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.geo import maps
from dispatch.models import Case, PhotoStage, Region, User
from dispatch.models.people import SKILL_LABELS
from dispatch.models.vocabulary import ACTION_LABELS, TRANSITIONS
from dispatch.services.cases import claims, commands, lifecycle, team_work
from dispatch.services.cases.queries import claimable_near, work_of
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.services.permissions import (
    Actor,
    allowed_actions,
    next_step_by,
    work_to_check_by,
)
from dispatch.services.responders import teams
from dispatch.services.standing import calendar, rosters
from dispatch.views.case_forms import attach_error, build_forms, fields_of, posted_data
from dispatch.views.field.blueprint import bp
from dispatch.views.field.forms import AvailabilityForm, ShareOutForm, ShiftStepForm
from dispatch.views.forms import ActionForm
from dispatch.views.params import parse_coordinate, parse_id

# The captain checks finished work (复核) from the phone as a coordinator can at the desk.
FIELD_ACTIONS = frozenset({"accept", "decline", "arrive", "finish", "claim", "release",
                           "check_work", "return_work"})
CHECK_ACTIONS = frozenset({"check_work", "return_work"})


def _where_am_i() -> tuple[float, float, bool]:
    """The phone's position when it shared it, else the volunteer's base, else a region."""
    lat = parse_coordinate(request.args.get("lat"), 90)
    lon = parse_coordinate(request.args.get("lon"), 180)
    if lat is not None and lon is not None:
        return lat, lon, True
    profile = current_user.profile
    if profile and profile.latitude is not None and profile.longitude is not None:
        return profile.latitude, profile.longitude, False
    region = db.session.scalar(select(Region).order_by(Region.id))
    return (region.latitude, region.longitude, False) if region else (27.86, 112.95, False)


def check_panel(case: Case, actions: list) -> dict[str, object] | None:
    """What the captain compares before passing the work: the volunteer's note and the
    photos from the report and after the work."""
    if not CHECK_ACTIONS & {t.action for t in actions}:
        return None
    finished = [event for event in case.events if event.action == "finish"]
    return {"finish": finished[-1] if finished else None,
            "before": [p for p in case.photos if p.stage == PhotoStage.REPORT],
            "after": [p for p in case.photos if p.stage == PhotoStage.AFTER][::-1]}


def _render_home(posted_forms: dict[int, dict] | None = None, status: int = 200
                 ) -> tuple[str, int]:
    actor = Actor.of(current_user)
    cards = []
    work = work_of(current_user)
    to_check = [case for case in work_to_check_by(current_user) if case not in work]
    for case in work + to_check:
        actions = [t for t in allowed_actions(case, actor)
                   if t.action in FIELD_ACTIONS]
        # Every form of every card; the posted one (with its errors) replaces its own.
        forms = {**build_forms(case, actions), **(posted_forms or {}).get(case.id, {})}
        waiting = None if actions else next_step_by(case, current_user)
        cards.append((case, actions, forms, check_panel(case, actions), waiting))
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
    return render_template("field/home.html", cards=cards, nearby=nearby,
                           claim_forms=claim_forms, map=maps.embed(fmap),
                           from_phone=from_phone,
                           nearby_km=current_app.config["NEARBY_KM"],
                           open_claims=claims.open_claims_of(current_user.id),
                           remaining=claims.remaining), status


@bp.get("/")
def home() -> tuple[str, int]:
    return _render_home()


# Who holds a case, in the query that reads it: a refused claim names them. Built once.
_WITH_HOLDER = (joinedload(Case.assigned_volunteer), joinedload(Case.assigned_team))


@bp.post("/cases/<id:case_id>/actions/<action>")
def case_action(case_id: int, action: str) -> Response | tuple[str, int]:
    if action not in commands.COMMANDS:
        abort(404)
    if action not in FIELD_ACTIONS:
        raise NotPermitted(action)
    case = db.get_or_404(Case, case_id, options=_WITH_HOLDER)
    actor = Actor.of(current_user)
    # 403 or 409 before a form is built or its errors shown (most claims in a rush are
    # refused here, naming who won); the step checks again as it is done.
    commands.check(case, actor, action)
    forms = build_forms(case, [TRANSITIONS[action]], posted_data(), posted=action)
    form = forms[action]
    if not form.validate():
        return _render_home({case.id: forms}, status=422)
    try:
        commands.run(action, case, actor, fields_of(form))
    except InvalidInput as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_home({case.id: forms}, status=422)
    db.session.commit()
    flash(_("Done: %(action)s.", action=ACTION_LABELS[action]), "success")
    return redirect(url_for(".home", _anchor=f"case-{case_id}"))


@bp.post("/cases/<id:case_id>/on-the-way")
def on_the_way(case_id: int) -> Response:
    case = db.get_or_404(Case, case_id)  # CSRF is checked for every POST by CSRFProtect
    try:
        lifecycle.on_the_way(case, Actor.of(current_user))
    except lifecycle.AlreadyOnTheWay as already:  # a second tap: said once, kept once
        db.session.rollback()
        flash(already.message(), "info")
        return redirect(url_for(".home", _anchor=f"case-{case_id}"))
    db.session.commit()
    flash(_("Done: %(action)s.", action=ACTION_LABELS["on_the_way"]), "success")
    return redirect(url_for(".home", _anchor=f"case-{case_id}"))


@bp.post("/cases/<id:case_id>/extend")
def extend_claim(case_id: int) -> Response:
    case = db.get_or_404(Case, case_id)
    claims.extend(case, Actor.of(current_user))
    db.session.commit()
    flash(_("Done: %(action)s.", action=ACTION_LABELS["extend_claim"]), "success")
    return redirect(url_for(".home"))


def _render_team(failed: ShareOutForm | None = None, case_id: int | None = None,
                 status: int = 200) -> tuple[str, int]:
    led = teams.team_led_by(current_user)
    if led is None:
        abort(403)
    members = teams.members_of(led)
    choices = [SelectChoice(str(m.user.id), m.user.display_name) for m in members]
    inbox = teams.inbox_of(led)
    forms = {}
    for case in inbox:
        form = failed if failed is not None and case.id == case_id else \
            ShareOutForm(formdata=None, prefix=f"share{case.id}")
        form.member.choices = [SelectChoice("", _("— choose —")), *choices]
        forms[case.id] = form
    return render_template("field/team.html", team=led, members=members,
                           inbox=inbox, forms=forms), status


@bp.get("/team")
def team() -> tuple[str, int]:
    """The captain's team inbox: share work out, see who is free and what each holds."""
    return _render_team()


@bp.post("/cases/<id:case_id>/share")
def share(case_id: int) -> Response | tuple[str, int]:
    case = db.get_or_404(Case, case_id)
    form = ShareOutForm(prefix=f"share{case_id}")
    member_id = parse_id(request.form.get(f"share{case_id}-member"))
    member = db.session.get(User, member_id) if member_id else None
    try:
        if member is None:
            raise InvalidInput("member", _("Choose a member of this team."))
        team_work.share_out(case, Actor.of(current_user), member)
    except InvalidInput as error:  # beside the choice, on the case's card
        db.session.rollback()
        form.member.errors = [error.message()]
        return _render_team(form, case_id, status=422)
    db.session.commit()
    flash(_("Done: %(action)s.", action=ACTION_LABELS["share_out"]), "success")
    return redirect(url_for(".team", _anchor=f"case-{case_id}"))


def _availability_form(formdata: object = None) -> AvailabilityForm:
    profile = current_user.profile
    form = AvailabilityForm(formdata=formdata, on_duty=bool(profile and profile.on_duty),
                            skills=list(profile.skills) if profile else [])
    form.skills.choices = [SelectChoice(code, str(label))
                           for code, label in SKILL_LABELS.items()]
    return form


def render_me(form: AvailabilityForm | None = None, calendar_url: str | None = None) -> str:
    return render_template("field/me.html", form=form or _availability_form(),
                           record=teams.record_of(current_user),
                           shift_record=rosters.record_of(current_user),
                           calendar_url=calendar_url, has_feed=calendar.has_feed(current_user),
                           feed_form=ShiftStepForm())


@bp.get("/me")
def me() -> str:
    return render_me()


@bp.post("/me")
def update_me() -> Response | tuple[str, int]:
    form = _availability_form(request.form)
    if not form.validate():
        return render_me(form), 422
    teams.set_availability(current_user, bool(form.on_duty.data), form.skills.data or [])
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".me"))
