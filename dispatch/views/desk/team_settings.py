"""Settings · teams and captains: the list, a new team, editing one, choosing or
replacing its captain, retiring and bringing back. Coordinators manage their own
studio's teams, administrators every team; the rules are in
``services/desk/team_settings.py``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import Region, Role, Studio, Team
from dispatch.services import audit
from dispatch.services.desk import team_settings as rules
from dispatch.services.desk.versioned import StaleSetting
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.people_forms import CaptainForm, TeamForm, TeamStateForm
from dispatch.views.forms import show_error


def _choices(form: TeamForm) -> None:
    form.region_id.choices = [(r.id, r.name) for r in
                              db.session.scalars(select(Region).order_by(Region.code))]
    studios = list(db.session.scalars(select(Studio).order_by(Studio.code)))
    admin = current_user.role == Role.ADMIN
    if not admin:  # a coordinator's teams are their own studio's
        studios = [s for s in studios if s.id == current_user.studio_id]
    form.studio_id.choices = ([(None, _("No studio"))] if admin else []) + [
        (s.id, s.name) for s in studios]


@bp.get("/settings/teams")
def team_settings() -> tuple[str, int]:
    teams = list(db.session.scalars(select(Team).order_by(Team.active.desc(), Team.code)))
    return render_template("desk/settings_teams.html", teams=teams,
                           open_counts={t.id: rules.open_cases_of(t) for t in teams},
                           may_manage=rules.may_manage,
                           entries=audit.latest(15, area="team")), 200


def _target(team_id: int) -> Team:
    team = db.get_or_404(Team, team_id)
    if not rules.may_manage(current_user, team):
        abort(403)
    return team


def _render(team: Team | None, form: TeamForm, status: int = 200,
            stale: StaleSetting | None = None,
            captain_form: CaptainForm | None = None) -> tuple[str, int]:
    _choices(form)
    if team is not None:
        captain_form = captain_form or CaptainForm(formdata=None, version=team.version,
                                                   captain_id=team.captain_id)
        captain_form.captain_id.choices = [(None, "—")] + [
            (u.id, f"{u.display_name} ({u.username})") for u in rules.captain_candidates(team)]
    return render_template("desk/settings_team.html", team=team, form=form, stale=stale,
                           captain_form=captain_form,
                           state_form=TeamStateForm(formdata=None,
                                                    version=team.version if team else 0),
                           open_cases=rules.open_cases_of(team) if team else 0,
                           entries=audit.latest(10, target=f"team:{team.id}") if team else []
                           ), status


@bp.get("/settings/teams/new")
def new_team() -> tuple[str, int]:
    studio = current_user.studio  # a new team starts in the coordinator's studio and region
    form = TeamForm(formdata=None, studio_id=current_user.studio_id,
                    region_id=studio.region_id if studio else None)
    return _render(None, form)


@bp.post("/settings/teams/new")
def create_team() -> Response | tuple[str, int]:
    form = TeamForm()
    _choices(form)
    if not form.validate():
        return _render(None, form, 422)
    try:
        team = rules.create_team(current_user, {n: getattr(form, n).data for n in rules.FIELDS})
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.code)
        return _render(None, form, 422)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".edit_team", team_id=team.id))


@bp.get("/settings/teams/<id:team_id>")
def edit_team(team_id: int) -> tuple[str, int]:
    team = _target(team_id)
    form = TeamForm(formdata=None, data=rules.values_of(team), version=team.version)
    return _render(team, form)


@bp.post("/settings/teams/<id:team_id>")
def save_team(team_id: int) -> Response | tuple[str, int]:
    team = _target(team_id)
    form = TeamForm()
    _choices(form)
    if not form.validate():
        return _render(team, form, 422)
    try:
        rules.update_team(team, current_user, form.version.data or 0,
                          {n: getattr(form, n).data for n in rules.FIELDS})
    except StaleSetting as stale:
        db.session.rollback()
        return _render(db.get_or_404(Team, team_id), form, 409, stale)
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.code)
        return _render(db.get_or_404(Team, team_id), form, 422)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".team_settings"))


def _edit_form(team: Team) -> TeamForm:
    return TeamForm(formdata=None, data=rules.values_of(team), version=team.version)


@bp.post("/settings/teams/<id:team_id>/captain")
def set_captain(team_id: int) -> Response | tuple[str, int]:
    team = _target(team_id)
    form = CaptainForm()
    form.captain_id.choices = [(u.id, u.display_name) for u in rules.captain_candidates(team)]
    if not form.validate():
        return _render(team, _edit_form(team), 422, captain_form=form)
    try:
        rules.set_captain(team, current_user, form.version.data or 0, form.captain_id.data)
    except StaleSetting as stale:
        db.session.rollback()
        team = db.get_or_404(Team, team_id)
        return _render(team, _edit_form(team), 409, stale)
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.captain_id)
        team = db.get_or_404(Team, team_id)
        return _render(team, _edit_form(team), 422, captain_form=form)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".edit_team", team_id=team_id))


@bp.post("/settings/teams/<id:team_id>/<any(retire, restore):change>")
def change_team_state(team_id: int, change: str) -> Response | tuple[str, int]:
    team = _target(team_id)
    form = TeamStateForm()
    if not form.validate():
        abort(400)
    try:
        if change == "retire":
            freed = rules.retire(team, current_user, form.version.data or 0)
            message = _("%(team)s is retired; %(n)d members are independent volunteers now.",
                        team=team.name, n=len(freed))
        else:
            rules.restore(team, current_user, form.version.data or 0)
            message = _("%(team)s is offered again.", team=team.name)
    except StaleSetting as stale:
        db.session.rollback()
        team = db.get_or_404(Team, team_id)
        return _render(team, _edit_form(team), 409, stale)
    except (InvalidInput, NotPermitted) as error:
        db.session.rollback()
        flash(error.message(), "danger")
        return redirect(url_for(".edit_team", team_id=team_id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".edit_team", team_id=team_id))
