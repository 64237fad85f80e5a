"""The desk's teams: the list, a team's roster (add and remove members) and its group chat."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import Team, User
from dispatch.services.errors import InvalidInput
from dispatch.services.responders import teams
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.forms import RosterAddForm, RosterRemoveForm, WebhookForm
from dispatch.views.forms import show_error


@bp.get("/teams")
def team_list() -> str:
    all_teams = db.session.scalars(select(Team).order_by(Team.active.desc(), Team.code))
    return render_template("desk/teams.html", teams=list(all_teams))


def _render_roster(team: Team, add_form: RosterAddForm | None = None,
                   webhook_form: WebhookForm | None = None,
                   status: int = 200) -> tuple[str, int]:
    webhook_form = webhook_form or WebhookForm(kind=team.webhook_kind or "wecom",
                                               url=team.webhook_url or "")
    return render_template("desk/team.html", team=team, members=teams.members_of(team),
                           add_form=add_form or RosterAddForm(), webhook_form=webhook_form,
                           remove_form=RosterRemoveForm()), status


@bp.get("/teams/<id:team_id>")
def roster(team_id: int) -> tuple[str, int]:
    return _render_roster(db.get_or_404(Team, team_id))


@bp.post("/teams/<id:team_id>/members")
def add_member(team_id: int) -> Response | tuple[str, int]:
    team = db.get_or_404(Team, team_id)
    form = RosterAddForm()
    if not form.validate():
        return _render_roster(team, form, status=422)
    try:
        teams.add_member_by_username(team, form.username.data or "")
    except InvalidInput as error:
        show_error(form, error, fallback=form.username)
        return _render_roster(team, form, status=422)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".roster", team_id=team.id))


@bp.post("/teams/<id:team_id>/members/remove")
def remove_member(team_id: int) -> Response:
    team = db.get_or_404(Team, team_id)
    form = RosterRemoveForm()
    user = db.session.get(User, form.user_id.data) if form.validate() else None
    if user is None:
        abort(400)
    teams.remove_member(team, user)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".roster", team_id=team.id))


@bp.post("/teams/<id:team_id>/webhook")
def set_webhook(team_id: int) -> Response | tuple[str, int]:
    team = db.get_or_404(Team, team_id)
    form = WebhookForm()
    if not form.validate():
        return _render_roster(team, webhook_form=form, status=422)
    teams.set_webhook(team, form.kind.data or "wecom", form.url.data or None)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".roster", team_id=team.id))
