"""Signing in and out. Failed attempts count against a limit per address and username."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from dispatch.extensions import db, limiter, login_manager
from dispatch.models import User
from dispatch.services.responders.accounts import authenticate
from dispatch.views.forms import LoginForm
from dispatch.views.redirects import safe_next

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = None  # the login page says what to do


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def home_for(user: User) -> str:
    return url_for("desk.board") if user.at_desk else url_for("field.home")


def _login_key() -> str:
    return f"{request.remote_addr}|{(request.form.get('username') or '').strip().lower()}"


def _failed(response: Response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMITS"], key_func=_login_key,
               methods=["POST"], deduct_when=_failed)
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            return redirect(safe_next(form.next.data) or home_for(user))
        form.password.errors.append(_("Wrong username or password."))
        return render_template("auth/login.html", form=form), 401
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    flash(_("You have signed out."), "success")
    return redirect(url_for("public.home"))
