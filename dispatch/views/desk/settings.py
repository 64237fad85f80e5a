"""The studio's settings on the desk: the categories (names, icon, skills, clocks in hours
or working days, retired or offered), admins only, with the version check and the audit
log. Hand-written WTForms rather than a CRUD library (Flask-Admin): the pages stay in the
desk's Bootstrap and its translations, every write goes through the service's conditional
UPDATE, refusals and audit line, and no new dependency or its own templates are needed.
The rules are in ``services/desk/settings.py``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import OPEN_STATUSES, Case, Category
from dispatch.services import audit
from dispatch.services.desk import settings
from dispatch.services.desk.versioned import StaleSetting
from dispatch.services.errors import InvalidInput
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.settings_forms import CategoryForm
from dispatch.views.forms import show_error


def _admin_only() -> None:
    if current_user.role.value != "admin":
        abort(403)


@bp.get("/settings/categories")
def category_settings() -> tuple[str, int]:
    categories = list(db.session.scalars(select(Category).order_by(Category.id)))
    open_counts = dict(db.session.execute(
        select(Case.category_id, func.count()).where(Case.status.in_(OPEN_STATUSES))
        .group_by(Case.category_id)).all())
    return render_template("desk/settings_categories.html", categories=categories,
                           open_counts=open_counts, editable=current_user.role.value == "admin",
                           entries=audit.latest(20, action="category.update")), 200


def _render(category: Category, form: CategoryForm, status: int = 200,
            stale: StaleSetting | None = None) -> tuple[str, int]:
    return render_template("desk/settings_category.html", category=category, form=form,
                           stale=stale), status


@bp.get("/settings/categories/<id:category_id>")
def edit_category(category_id: int) -> tuple[str, int]:
    _admin_only()
    category = db.get_or_404(Category, category_id)
    form = CategoryForm(formdata=None, data=settings.values_of(category),
                        version=category.version)
    return _render(category, form)


@bp.post("/settings/categories/<id:category_id>")
def save_category(category_id: int) -> Response | tuple[str, int]:
    _admin_only()
    category = db.get_or_404(Category, category_id)
    form = CategoryForm()
    if not form.validate():
        return _render(category, form, 422)
    try:
        settings.update_category(category, current_user, form.version.data or 0,
                                 {name: getattr(form, name).data for name in settings.FIELDS})
    except StaleSetting as stale:
        db.session.rollback()
        return _render(db.get_or_404(Category, category_id), form, 409, stale)
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.name_zh)
        return _render(db.get_or_404(Category, category_id), form, 422)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".category_settings"))
