"""Every staff member's personal API tokens (/tokens): make one, shown once; revoke one.

The new token is rendered into the answer to the POST that made it, never flashed (a
flash travels in the session cookie) and never shown again; the answer is not cached."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.services.errors import InvalidInput
from dispatch.services.responders import tokens
from dispatch.views.forms import TokenForm, show_error

bp = Blueprint("tokens", __name__, url_prefix="/tokens")


@bp.before_request
@login_required
def _signed_in() -> None:
    return None


def _page(form: TokenForm, status: int = 200, new_token: str | None = None) -> Response:
    response = make_response(render_template(
        "tokens.html", form=form, tokens=tokens.live_tokens_of(current_user),
        new_token=new_token), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def index() -> Response:
    return _page(TokenForm(formdata=None))


@bp.post("/")
def create() -> Response:
    form = TokenForm()
    if not form.validate():
        return _page(form, 422)
    try:
        _row, token = tokens.issue(current_user, form.name.data or "")
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.name)
        return _page(form, 422)
    db.session.commit()
    return _page(TokenForm(formdata=None), 201, new_token=token)


@bp.post("/<id:token_id>/revoke")
def revoke(token_id: int) -> Response:
    # CSRFProtect has checked the form's token, as for every POST.
    if tokens.revoke(token_id, owner=current_user):
        db.session.commit()
        flash(_("The token is revoked: it no longer works."), "success")
    else:
        flash(_("There is no such token of yours (revoked already?)."), "warning")
    return redirect(url_for(".index"))
