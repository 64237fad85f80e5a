"""Open311 API keys (admins only): issue a key to a named client, shown once; revoke it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from dispatch.extensions import db
from dispatch.models import Role
from dispatch.services.errors import InvalidInput
from dispatch.services.open_data import api_keys
from dispatch.views.desk.blueprint import bp
from dispatch.views.forms import show_error


class IssueKeyForm(FlaskForm):
    name = StringField(_l("Client (who will use the key)"), validators=[
        DataRequired(_l("Please name the client (who will use this key).")),
        Length(max=api_keys.NAME_LENGTH)])


class RevokeKeyForm(FlaskForm):
    pass


def _admin_only() -> None:
    if current_user.role != Role.ADMIN:
        abort(403)


def _page(form: IssueKeyForm, issued: api_keys.IssuedKey | None = None,
          status: int = 200) -> tuple[str, int, dict[str, str]]:
    page = render_template("desk/api_clients.html", form=form, issued=issued,
                           clients=api_keys.all_clients(), revoke_form=RevokeKeyForm())
    # The page that shows a new key once is never kept by a cache or the back button.
    return page, status, {"Cache-Control": "no-store"}


@bp.get("/api-clients")
def api_clients() -> tuple[str, int, dict[str, str]]:
    _admin_only()
    return _page(IssueKeyForm())


@bp.post("/api-clients")
def issue_api_key() -> tuple[str, int, dict[str, str]]:
    _admin_only()
    form = IssueKeyForm()
    if not form.validate():
        return _page(form, status=422)
    try:
        issued = api_keys.issue(form.name.data or "", current_user)
    except InvalidInput as error:
        show_error(form, error, fallback=form.name)
        return _page(form, status=422)
    db.session.commit()
    # Shown on this response only (a flash would keep it in the session cookie).
    return _page(IssueKeyForm(formdata=None), issued=issued, status=201)


@bp.post("/api-clients/<id:client_id>/revoke")
def revoke_api_key(client_id: int) -> Response:
    _admin_only()
    if not RevokeKeyForm().validate():
        abort(400)
    revoked = api_keys.revoke(client_id)
    db.session.commit()
    flash(_("The key is revoked.") if revoked else _("This key was already revoked."),
          "success")
    return redirect(url_for(".api_clients"))
