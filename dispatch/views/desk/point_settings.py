"""The service points' settings pages: the list (every desk user, with kind, region, hours,
offered or retired), a new point, a point's page, retire and bring back. Admins change any
point, a coordinator those in their studio's region (403 otherwise, checked here and again
in the service). The rules are ``services/desk/point_settings.py``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import Region, Role, ServicePoint
from dispatch.services import audit
from dispatch.services.desk import place_checks, point_settings
from dispatch.services.desk.versioned import StaleSetting
from dispatch.services.errors import InvalidInput
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.place_forms import ActiveForm, ServicePointForm
from dispatch.views.desk.studio_settings import field_labels, form_data, place_map
from dispatch.views.forms import show_error


@bp.get("/settings/service-points")
def point_settings_list() -> tuple[str, int]:
    return render_template(
        "desk/settings_points.html", points=point_settings.listed(),
        may_edit=lambda point: point_settings.may_edit(current_user, point),
        may_create=current_user.role is Role.ADMIN
        or point_settings.own_region(current_user) is not None,
        week_summary=place_checks.week_summary,
        entries=audit.latest(15, action=point_settings.ACTION)), 200


def _regions() -> list[tuple[str, str]]:
    query = select(Region).order_by(Region.code)
    if current_user.role is not Role.ADMIN:
        query = query.where(Region.id == point_settings.own_region(current_user))
    return [(str(r.id), r.name) for r in db.session.scalars(query)]


def _form(point: ServicePoint | None) -> ServicePointForm:
    if point is None:
        own = point_settings.own_region(current_user)
        return ServicePointForm(formdata=None, version=1, region_id=str(own or ""))
    return ServicePointForm(formdata=None, data=form_data(point_settings.values_of(point)),
                            version=point.version)


def _render(point: ServicePoint | None, form: ServicePointForm, status: int = 200,
            stale: StaleSetting | None = None) -> tuple[str, int]:
    form.region_id.choices = _regions()
    return render_template("desk/settings_point.html", point=point, form=form, stale=stale,
                           active_form=ActiveForm(formdata=None,
                                                  version=point.version if point else 1),
                           field_labels=field_labels(), **place_map(form),
                           week_summary=place_checks.week_summary), status


def _editable(point_id: int) -> ServicePoint:
    point = db.get_or_404(ServicePoint, point_id)
    if not point_settings.may_edit(current_user, point):
        abort(403)
    return point


def _may_create() -> None:
    if current_user.role is not Role.ADMIN and point_settings.own_region(current_user) is None:
        abort(403)


@bp.get("/settings/service-points/new")
def new_point() -> tuple[str, int]:
    _may_create()
    return _render(None, _form(None))


@bp.get("/settings/service-points/<id:point_id>")
def edit_point(point_id: int) -> tuple[str, int]:
    point = _editable(point_id)
    return _render(point, _form(point))


@bp.post("/settings/service-points/new")
@bp.post("/settings/service-points/<id:point_id>")
def save_point(point_id: int | None = None) -> Response | tuple[str, int]:
    if point_id is None:
        _may_create()
    point = _editable(point_id) if point_id is not None else None
    form = ServicePointForm()
    form.region_id.choices = _regions()
    if not form.validate():
        return _render(point, form, 422)
    try:
        if point is None:
            point_settings.create_point(current_user, form.values())
        else:
            point_settings.update_point(point, current_user, form.version.data or 0,
                                        form.values())
    except StaleSetting as stale:
        db.session.rollback()
        return _render(db.get_or_404(ServicePoint, point_id), form, 409, stale)
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.name_zh)
        return _render(db.session.get(ServicePoint, point_id) if point_id else None, form, 422)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".point_settings_list"))


@bp.post("/settings/service-points/<id:point_id>/retire", defaults={"active": False})
@bp.post("/settings/service-points/<id:point_id>/reactivate", defaults={"active": True})
def set_point_active(point_id: int, active: bool) -> Response | tuple[str, int]:
    point = _editable(point_id)
    form = ActiveForm()
    if not form.validate():
        abort(400)
    try:
        point_settings.set_active(point, current_user, form.version.data or 0, active)
    except StaleSetting as stale:
        db.session.rollback()
        point = db.get_or_404(ServicePoint, point_id)
        return _render(point, _form(point), 409, stale)
    db.session.commit()
    flash(_("Retired.") if not active else _("Offered again."), "success")
    return redirect(url_for(".point_settings_list"))
