"""Signing in and out. Failed attempts count against a limit per address and username,
and another per address across usernames. The session names the user and their
``session_version``: signing out raises it, so a copy of the cookie is worth nothing."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import bindparam, func, select
from werkzeug.wrappers import Response

from dispatch.extensions import db, limiter, login_manager
from dispatch.models import InboxMessage, User
from dispatch.services.errors import InvalidInput
from dispatch.services.responders import links
from dispatch.services.responders.accounts import authenticate, end_sessions, session_is_current
from dispatch.views.forms import LoginForm, show_error
from dispatch.views.joining_forms import SetPasswordForm
from dispatch.views.redirects import safe_next

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = None  # the login page says what to do


# Unread inbox messages of the user loaded with them: one round trip for every signed-in page.
UNREAD = select(func.count()).select_from(InboxMessage).where(
    InboxMessage.user_id == User.id, InboxMessage.read_at.is_(None)).scalar_subquery()
# Built once: making the statement cost more than running it (it is read on every request).
_USER_WITH_UNREAD = select(User, UNREAD).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """``"<id>:<session_version>"``; an older version (signed out, password changed,
    deactivated) or the bare id of a cookie from before versions is no session at all."""
    ident, _sep, version = user_id.partition(":")
    if not ident.isdigit() or not version:
        return None
    row = db.session.execute(_USER_WITH_UNREAD, {"user_id": int(ident)}).first()
    if row is None or not session_is_current(row[0], version):
        return None
    g.unread_count = row[1]  # the header's badge, read in the same query (templating.py)
    return row[0]


def _fresh_session() -> None:
    """A new session at sign-in and sign-out (new CSRF token, nothing carried over) but
    for the visitor's language choice."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def home_for(user: User) -> str:
    return url_for("desk.board") if user.at_desk else url_for("field.home")


def _login_key() -> str:
    return f"{request.remote_addr}|{(request.form.get('username') or '').strip().lower()}"


def _address_key() -> str:
    return f"login-address|{request.remote_addr}"


def _failed(response: Response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMITS"], key_func=_login_key,
               methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMITS_PER_ADDRESS"],
               key_func=_address_key, methods=["POST"], deduct_when=_failed)
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is not None:
            _fresh_session()
            login_user(user)
            return redirect(safe_next(form.next.data) or home_for(user))
        form.password.errors.append(_("Wrong username or password."))
        return render_template("auth/login.html", form=form), 401
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    end_sessions(current_user._get_current_object())  # the User, not the proxy
    db.session.commit()
    logout_user()
    _fresh_session()
    flash(_("You have signed out."), "success")
    return redirect(url_for("public.home"))


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Response | tuple[str, int]:
    """A one-time link from the studio: a new volunteer's first password, or a reset."""
    link = links.valid_link(token)
    if link is None:
        return render_template("auth/set_password.html", form=None), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = links.redeem(token, form.password.data or "")
        except InvalidInput as error:
            db.session.rollback()
            show_error(form, error, fallback=form.password)
            return render_template("auth/set_password.html", form=form,
                                   username=link.user.username), 422
        db.session.commit()
        flash(_("Your password is set. Sign in with %(username)s.", username=user.username),
              "success")
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/set_password.html", form=form,
                           username=link.user.username), status
