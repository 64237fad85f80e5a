"""Settings · users and roles: the list with its filters (role, studio, active; phones
masked), editing a role, studio and studio lead, a new staff account (its one-time
password link shown once), deactivating and bringing back. Administrators manage every
account, coordinators their own studio's volunteers and captains; the rules are in
``services/desk/user_settings.py``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import Role, Studio, User
from dispatch.services import audit
from dispatch.services.desk import user_settings as rules
from dispatch.services.desk.versioned import StaleSetting
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.people import link_url
from dispatch.views.desk.people_forms import NewUserForm, TeamStateForm, UserForm
from dispatch.views.forms import show_error
from dispatch.views.params import arg_id, page_arg

USERS_PER_PAGE = 50


def _choices(form: UserForm) -> None:
    form.role.choices = [(r.value, r.label) for r in rules.grantable(current_user)]
    studios = list(db.session.scalars(select(Studio).order_by(Studio.code)))
    if current_user.role != Role.ADMIN:
        studios = [s for s in studios if s.id == current_user.studio_id]
    form.studio_id.choices = [(None, _("No studio"))] + [(s.id, s.name) for s in studios]


@bp.get("/settings/users")
def user_settings() -> tuple[str, int]:
    filters = rules.Filters(role=request.args.get("role", "")[:20], studio_id=arg_id("studio"),
                            active=request.args.get("active", "")[:5],
                            text=request.args.get("q", "").strip()[:50])
    studios = list(db.session.scalars(select(Studio).order_by(Studio.code)))
    page = db.paginate(rules.listed(current_user, filters), page=page_arg(),
                       per_page=USERS_PER_PAGE, error_out=False)
    filter_args = {key: value for key, value in request.args.items() if key != "page"}
    return render_template("desk/settings_users.html", page=page, filter_args=filter_args,
                           filters=filters, studios=studios, roles=list(Role),
                           may_manage=rules.may_manage,
                           entries=audit.latest(15, area="user")), 200


def _target(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if not rules.may_manage(current_user, user):
        abort(403)
    return user


def _render(user: User, form: UserForm, status: int = 200,
            stale: StaleSetting | None = None) -> tuple[str, int]:
    _choices(form)
    return render_template("desk/settings_user.html", user=user, form=form, stale=stale,
                           state_form=TeamStateForm(formdata=None, version=user.version),
                           entries=audit.latest(10, target=f"user:{user.id}")), status


@bp.get("/settings/users/<id:user_id>")
def edit_user(user_id: int) -> tuple[str, int]:
    user = _target(user_id)
    form = UserForm(formdata=None, data=rules.values_of(user), version=user.version)
    return _render(user, form)


@bp.post("/settings/users/<id:user_id>")
def save_user(user_id: int) -> Response | tuple[str, int]:
    user = _target(user_id)
    form = UserForm()
    _choices(form)
    if not form.validate():
        return _render(user, form, 422)
    try:
        rules.update_user(user, current_user, form.version.data or 0,
                          {name: getattr(form, name).data for name in rules.FIELDS})
    except StaleSetting as stale:
        db.session.rollback()
        return _render(db.get_or_404(User, user_id), form, 409, stale)
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.role)
        return _render(db.get_or_404(User, user_id), form, 422)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".user_settings"))


def _render_new(form: NewUserForm, status: int = 200) -> tuple[str, int]:
    _choices(form)
    return render_template("desk/settings_user_new.html", form=form), status


@bp.get("/settings/users/new")
def new_user() -> tuple[str, int]:
    form = NewUserForm(formdata=None, role=Role.COORDINATOR.value,
                       studio_id=current_user.studio_id)
    return _render_new(form)


@bp.post("/settings/users/new")
def create_user() -> tuple[str, int]:
    form = NewUserForm()
    _choices(form)
    if not form.validate():
        return _render_new(form, 422)
    try:
        user, token = rules.create_staff(
            current_user, form.username.data or "", form.phone.data or None,
            {name: getattr(form, name).data for name in rules.FIELDS})
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.username)
        return _render_new(form, 422)
    db.session.commit()
    return render_template("desk/link_given.html", user=user, url=link_url(token),
                           new=False), 201


@bp.post("/settings/users/<id:user_id>/<any(deactivate, reactivate):change>")
def change_user_state(user_id: int, change: str) -> Response:
    user = _target(user_id)
    if not TeamStateForm().validate():
        abort(400)
    try:
        if change == "deactivate":
            moved = rules.deactivate(user, current_user)
            message = _("%(name)s is deactivated; %(n)d open cases went back to the team.",
                        name=user.display_name, n=len(moved))
        else:
            rules.reactivate(user, current_user)
            message = _("%(name)s can sign in again.", name=user.display_name)
    except (InvalidInput, NotPermitted) as error:
        db.session.rollback()
        flash(error.message(), "danger")
        return redirect(url_for(".edit_user", user_id=user_id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".edit_user", user_id=user_id))
