"""The studios' settings pages: the list (every desk user), a new studio (admins), a
studio's page (admins, and the studio's own coordinators: 403 for anyone else, checked
here and again in the service), retire and bring back (admins). Hand-written forms, as the
categories' (``settings.py`` says why). The rules are ``services/desk/studio_settings.py``."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.geo import maps
from dispatch.models import OPEN_STATUSES, Case, Region, Role, Studio, User
from dispatch.services import audit
from dispatch.services.desk import place_checks, studio_settings
from dispatch.services.desk.versioned import StaleSetting
from dispatch.services.errors import InvalidInput
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.place_forms import ActiveForm, PlaceForm, StudioForm
from dispatch.views.forms import show_error


def _counts(query: Any) -> dict[int, int]:
    return dict(db.session.execute(query).all())  # type: ignore[arg-type]


@bp.get("/settings/studios")
def studio_settings_list() -> tuple[str, int]:
    coordinators = _counts(select(User.studio_id, func.count()).where(
        User.active, User.role == Role.COORDINATOR).group_by(User.studio_id))
    open_cases = _counts(select(Case.studio_id, func.count()).where(
        Case.status.in_(OPEN_STATUSES)).group_by(Case.studio_id))
    return render_template(
        "desk/settings_studios.html", studios=studio_settings.listed(),
        coordinators=coordinators, open_cases=open_cases,
        may_edit=lambda studio: studio_settings.may_edit(current_user, studio),
        week_summary=place_checks.week_summary,
        entries=audit.latest(15, action=studio_settings.ACTION)), 200


def form_data(values: dict[str, Any]) -> dict[str, Any]:
    """A place's stored values as the form shows them (the week's hours one per day)."""
    data = dict(values)
    hours = data.pop("opening_hours", {}) or {}
    data.update({f"hours_{day}": hours.get(str(day), "") for day in range(7)})
    data["region_id"] = str(data.get("region_id") or "")
    return data


def place_map(form: PlaceForm) -> dict[str, Any]:
    """The map beside a place's form, centred on what the form holds (else on the first
    region), and the tiles' coordinate system the picker script needs."""
    lat, lon = form.latitude.data, form.longitude.data
    if not isinstance(lat, float) or not isinstance(lon, float):
        region = db.session.scalar(select(Region).order_by(Region.id).limit(1))
        lat, lon = (region.latitude, region.longitude) if region else (24.4798, 118.0894)
    return {"map": maps.embed(maps.base_map(lat, lon, zoom=14)),
            "tile_crs": current_app.config.get("TILE_CRS", "wgs84")}


def field_labels() -> dict[str, str]:
    """Names for the stale-form notice of the values that are not one form field."""
    return {"opening_hours": _("Opening hours"), "active": _("Offered")}


def _form(studio: Studio | None) -> StudioForm:
    if studio is None:
        form = StudioForm(formdata=None, version=1, service_radius_km=3.0)
    else:
        form = StudioForm(formdata=None, data=form_data(studio_settings.values_of(studio)),
                          version=studio.version)
    return form


def _render(studio: Studio | None, form: StudioForm, status: int = 200,
            stale: StaleSetting | None = None, refused: str | None = None
            ) -> tuple[str, int]:
    form.region_id.choices = [(str(r.id), r.name) for r in
                              db.session.scalars(select(Region).order_by(Region.code))]
    return render_template("desk/settings_studio.html", studio=studio, form=form,
                           stale=stale, refused=refused, active_form=ActiveForm(
                               formdata=None, version=studio.version if studio else 1),
                           field_labels=field_labels(), **place_map(form),
                           week_summary=place_checks.week_summary), status


def _editable(studio_id: int) -> Studio:
    studio = db.get_or_404(Studio, studio_id)
    if not studio_settings.may_edit(current_user, studio):
        abort(403)
    return studio


@bp.get("/settings/studios/new")
def new_studio() -> tuple[str, int]:
    if current_user.role is not Role.ADMIN:
        abort(403)
    return _render(None, _form(None))


@bp.get("/settings/studios/<id:studio_id>")
def edit_studio(studio_id: int) -> tuple[str, int]:
    studio = _editable(studio_id)
    return _render(studio, _form(studio))


@bp.post("/settings/studios/new")
@bp.post("/settings/studios/<id:studio_id>")
def save_studio(studio_id: int | None = None) -> Response | tuple[str, int]:
    if studio_id is None and current_user.role is not Role.ADMIN:
        abort(403)
    studio = _editable(studio_id) if studio_id is not None else None
    form = StudioForm()
    form.region_id.choices = [(str(r.id), r.name) for r in db.session.scalars(select(Region))]
    if not form.validate():
        return _render(studio, form, 422)
    try:
        if studio is None:
            studio = studio_settings.create_studio(current_user, form.values())
        else:
            studio_settings.update_studio(studio, current_user, form.version.data or 0,
                                          form.values())
    except StaleSetting as stale:
        db.session.rollback()
        return _render(db.get_or_404(Studio, studio_id), form, 409, stale)
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.name_zh)
        return _render(db.session.get(Studio, studio_id) if studio_id else None, form, 422)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".studio_settings_list"))


@bp.post("/settings/studios/<id:studio_id>/retire", defaults={"active": False})
@bp.post("/settings/studios/<id:studio_id>/reactivate", defaults={"active": True})
def set_studio_active(studio_id: int, active: bool) -> Response | tuple[str, int]:
    if current_user.role is not Role.ADMIN:
        abort(403)
    studio = db.get_or_404(Studio, studio_id)
    form = ActiveForm()
    if not form.validate():
        abort(400)
    try:
        studio_settings.set_active(studio, current_user, form.version.data or 0, active)
    except (StaleSetting, place_checks.InUse) as refusal:
        db.session.rollback()
        studio = db.get_or_404(Studio, studio_id)
        stale = refusal if isinstance(refusal, StaleSetting) else None
        return _render(studio, _form(studio), 409, stale=stale,
                       refused=None if stale else refusal.message())
    db.session.commit()
    flash(_("Retired.") if not active else _("Offered again."), "success")
    return redirect(url_for(".studio_settings_list"))
