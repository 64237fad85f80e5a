"""People on the desk: volunteers' applications to approve or decline, and the accounts
(a one-time link to reset a password; deactivating someone who left, their open work
returned to the team). The rules are in ``services/responders/joining.py``,
``links.py`` and ``services/cases/leaving.py``; every change is in the audit log."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import Role, User, VolunteerApplication
from dispatch.services import audit
from dispatch.services.cases import leaving
from dispatch.services.errors import InvalidInput
from dispatch.services.responders import joining, links
from dispatch.views.desk.blueprint import bp
from dispatch.views.joining_forms import DecisionForm, UserActionForm


def link_url(token: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return base + url_for("auth.set_password", token=token)


def _target(user_id: int | None) -> User:
    """The account acted on; only an administrator acts on an administrator's."""
    user = db.get_or_404(User, user_id)
    if user.role == Role.ADMIN and current_user.role != Role.ADMIN:
        abort(403)
    return user


def _page(status: int = 200) -> tuple[str, int]:
    users = list(db.session.scalars(select(User).order_by(
        User.active.desc(), User.role, User.display_name)))
    return render_template("desk/people.html", applications=joining.pending_for(current_user),
                           users=users, decision_form=DecisionForm(formdata=None),
                           user_form=UserActionForm(formdata=None),
                           entries=audit.latest(30)), status


@bp.get("/people")
def people() -> tuple[str, int]:
    return _page()


@bp.post("/people/applications")
def decide_application() -> Response | tuple[str, int]:
    form = DecisionForm()
    if not form.validate() or form.decision.data not in ("approve", "decline"):
        abort(400)
    application = db.get_or_404(VolunteerApplication, form.application_id.data)
    try:
        approved = joining.decide(application, current_user, form.decision.data,
                                  form.reason.data or "")
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message(), "danger")
        return redirect(url_for(".people"))
    db.session.commit()
    if approved is None:
        flash(_("Declined."), "success")
        return redirect(url_for(".people"))
    volunteer, token = approved
    return render_template("desk/link_given.html", user=volunteer, url=link_url(token),
                           new=True), 200


@bp.post("/people/reset")
def reset_password() -> tuple[str, int]:
    form = UserActionForm()
    if not form.validate():
        abort(400)
    user = _target(form.user_id.data)
    if not user.active:
        abort(409)
    token = links.create(user, current_user)
    audit.record(current_user, "user.password_link", f"user:{user.id}")
    db.session.commit()
    return render_template("desk/link_given.html", user=user, url=link_url(token),
                           new=False), 200


@bp.post("/people/deactivate")
def deactivate_user() -> Response:
    form = UserActionForm()
    if not form.validate():
        abort(400)
    user = _target(form.user_id.data)
    try:
        moved = leaving.deactivate(user, current_user)
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message(), "danger")
        return redirect(url_for(".people"))
    db.session.commit()
    flash(_("%(name)s is deactivated; %(n)d open cases went back to the team.",
            name=user.display_name, n=len(moved)), "success")
    return redirect(url_for(".people"))
