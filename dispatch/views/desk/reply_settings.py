"""The ready replies' settings pages: the list (shared templates and the studio's own), a
new template, a template's page (retired by unticking "offered"). Admins change every
template; coordinators their studio's own (403 otherwise). The rules, and the placeholder
check, are ``services/desk/reply_settings.py``; the case page offers what is active."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import ReplyTemplate, Role
from dispatch.services import audit
from dispatch.services.cases.replies import PLACEHOLDERS
from dispatch.services.desk import reply_settings
from dispatch.services.desk.versioned import StaleSetting
from dispatch.services.errors import InvalidInput
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.place_forms import ReplyTemplateForm
from dispatch.views.forms import show_error


@bp.get("/settings/replies")
def reply_settings_list() -> tuple[str, int]:
    return render_template(
        "desk/settings_replies.html", templates=reply_settings.listed(current_user),
        may_edit=lambda template: reply_settings.may_edit(current_user, template),
        may_create=current_user.role is Role.ADMIN or current_user.studio_id is not None,
        entries=audit.latest(15, action=reply_settings.ACTION)), 200


def _render(template: ReplyTemplate | None, form: ReplyTemplateForm, status: int = 200,
            stale: StaleSetting | None = None) -> tuple[str, int]:
    return render_template("desk/settings_reply.html", template=template, form=form,
                           stale=stale, placeholders=PLACEHOLDERS, field_labels={},
                           week_summary=None), status


def _editable(template_id: int) -> ReplyTemplate:
    template = db.get_or_404(ReplyTemplate, template_id)
    if not reply_settings.may_edit(current_user, template):
        abort(403)
    return template


def _may_create() -> None:
    if current_user.role is not Role.ADMIN and current_user.studio_id is None:
        abort(403)


@bp.get("/settings/replies/new")
def new_reply_template() -> tuple[str, int]:
    _may_create()
    form = ReplyTemplateForm(formdata=None, version=1, active=True, sort_order=100,
                             shared=current_user.role is Role.ADMIN)
    return _render(None, form)


@bp.get("/settings/replies/<id:template_id>")
def edit_reply_template(template_id: int) -> tuple[str, int]:
    template = _editable(template_id)
    form = ReplyTemplateForm(formdata=None, data=reply_settings.values_of(template),
                             version=template.version)
    return _render(template, form)


@bp.post("/settings/replies/new")
@bp.post("/settings/replies/<id:template_id>")
def save_reply_template(template_id: int | None = None) -> Response | tuple[str, int]:
    if template_id is None:
        _may_create()
    template = _editable(template_id) if template_id is not None else None
    form = ReplyTemplateForm()
    if not form.validate():
        return _render(template, form, 422)
    values = {name: field.data for name, field in form._fields.items()}
    try:
        if template is None:
            shared = current_user.role is Role.ADMIN and (
                bool(form.shared.data) or current_user.studio_id is None)
            reply_settings.create_template(current_user, values, shared=shared)
        else:
            reply_settings.update_template(template, current_user, form.version.data or 0,
                                           values)
    except StaleSetting as stale:
        db.session.rollback()
        return _render(db.get_or_404(ReplyTemplate, template_id), form, 409, stale)
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.label_zh)
        return _render(db.session.get(ReplyTemplate, template_id) if template_id else None,
                       form, 422)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".reply_settings_list"))
