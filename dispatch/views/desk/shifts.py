"""Publishing shifts (班次) on the desk: coordinators for any team's captain, captains for
their own team. One shift, or a series from one repeat rule; a bad rule is a form error."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.geo import maps
from dispatch.models import Role, Shift, Studio, User
from dispatch.models.people import SKILL_LABELS
from dispatch.services.errors import InvalidInput
from dispatch.services.standing import recurrence, shifts
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.standing_forms import ShiftCancelForm, ShiftPublishForm
from dispatch.views.forms import show_error
from dispatch.views.params import parse_id


def _form(formdata: object = None) -> ShiftPublishForm:
    form = ShiftPublishForm(formdata=formdata) if formdata is not None \
        else ShiftPublishForm(formdata=None)
    form.skills.choices = [SelectChoice(code, str(label)) for code, label in SKILL_LABELS.items()]
    captains = db.session.scalars(select(User).where(User.role == Role.CAPTAIN,
                                                     User.active.is_(True))
                                  .order_by(User.display_name))
    form.captain_id.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(str(c.id), c.display_name) for c in captains]
    if formdata is None:
        studio = db.session.get(Studio, current_user.studio_id) if current_user.studio_id \
            else None
        if studio is not None:
            form.latitude.data, form.longitude.data = studio.latitude, studio.longitude
    return form


def _render(form: ShiftPublishForm, status: int = 200) -> tuple[str, int]:
    listed = [s for s in shifts.upcoming()
              if current_user.at_desk or s.captain_id == current_user.id]
    lat = form.latitude.data if isinstance(form.latitude.data, float) else 24.81
    lon = form.longitude.data if isinstance(form.longitude.data, float) else 118.58
    fmap = maps.base_map(lat, lon, zoom=13)
    for shift in listed:
        maps.add_marker(fmap, shift.latitude, shift.longitude, tooltip=shift.site_name,
                        colour="blue", icon="flag")
    return render_template("desk/shifts.html", form=form, shifts=listed,
                           map=maps.embed(fmap), cancel_form=ShiftCancelForm(),
                           tile_crs=current_app.config.get("TILE_CRS", "wgs84"),
                           captain_view=not current_user.at_desk), status


@bp.get("/shifts", endpoint="shifts")
def shift_page() -> tuple[str, int]:
    return _render(_form())


@bp.post("/shifts")
def publish_shifts() -> Response | tuple[str, int]:
    form = _form(request.form)
    if not form.validate():
        return _render(form, status=422)
    try:
        rule = recurrence.rule_from(form.repeat.data or "", form.until.data, form.rule.data)
        plan = shifts.ShiftPlan(
            site_name=form.site_name.data or "", latitude=form.latitude.data,
            longitude=form.longitude.data, first_day=form.first_day.data,
            starts=form.starts.data, ends=form.ends.data, places=form.places.data or 1,
            skills=tuple(form.skills.data or ()), note=form.note.data or "", rule=rule,
            opens_hours_before=form.opens_hours_before.data,
            captain_id=parse_id(form.captain_id.data))
        made = shifts.publish(plan, current_user)
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.rule, aliases={"first_day": "first_day"})
        return _render(form, status=422)
    db.session.commit()
    flash(_("Published %(n)d shifts.", n=len(made)), "success")
    return redirect(url_for(".shifts"))


@bp.post("/shifts/<id:shift_id>/cancel")
def cancel_shift(shift_id: int) -> Response:
    form = ShiftCancelForm()
    shift = db.get_or_404(Shift, shift_id)
    if not form.validate():
        flash(_("The form expired; please try again."), "warning")
        return redirect(url_for(".shifts"))
    cancelled = shifts.cancel(shift, current_user, whole_series=bool(form.whole_series.data))
    db.session.commit()
    flash(_("Cancelled %(n)d shifts.", n=cancelled), "success")
    return redirect(url_for(".shifts"))
