"""The desk's duty rota (轮值): a week per studio, shifts added and removed by any desk
user (coordinators cover for each other's studios)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.models import Studio, User, utcnow
from dispatch.services.clock import local
from dispatch.services.errors import InvalidInput
from dispatch.services.responders import rota
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.forms import ShiftForm, ShiftRemoveForm
from dispatch.views.desk.studio_choice import active_studios, chosen_studio
from dispatch.views.forms import show_error


def _shift_form(studio: Studio, formdata: object = None) -> ShiftForm:
    form = ShiftForm(formdata=formdata) if formdata is not None else ShiftForm(formdata=None)
    form.user_id.choices = [SelectChoice(user.id, f"{user.display_name} · {user.role.label}")
                            for user in rota.candidates(studio)]
    form.weekday.choices = [SelectChoice(day, str(label))
                            for day, label in enumerate(rota.WEEKDAYS)]
    return form


def _render(studio: Studio, form: ShiftForm | None = None, status: int = 200
            ) -> tuple[str, int]:
    today = local(utcnow())
    return render_template(
        "desk/rota.html", studio=studio, week=rota.week_of(studio),
        studios=active_studios(),
        weekdays=rota.WEEKDAYS, today=today.weekday(), local_now=today,
        form=form or _shift_form(studio), remove_form=ShiftRemoveForm()), status


@bp.get("/rota", endpoint="rota")
def rota_page() -> tuple[str, int]:
    return _render(chosen_studio())


@bp.post("/rota")
def add_shift() -> Response | tuple[str, int]:
    studio = chosen_studio()
    form = _shift_form(studio, request.form)
    if not form.validate():
        return _render(studio, form, status=422)
    user = db.session.get(User, form.user_id.data)
    if user is None:
        abort(400)
    try:
        rota.add_shift(studio, user, form.weekday.data or 0,
                       form.starts.data.strftime("%H:%M") if form.starts.data else "",
                       form.ends.data.strftime("%H:%M") if form.ends.data else "")
    except InvalidInput as error:
        db.session.rollback()
        studio = db.session.get(Studio, studio.id) or studio
        show_error(form, error, fallback=form.user_id, aliases={"user": "user_id"})
        return _render(studio, form, status=422)
    db.session.commit()
    flash(_("Added to the rota."), "success")
    return redirect(url_for(".rota", studio=studio.id))


@bp.post("/rota/remove")
def remove_shift() -> Response:
    studio = chosen_studio()
    form = ShiftRemoveForm()
    if not form.validate():
        abort(400)
    removed = rota.remove_shift(studio, form.shift_id.data or 0)
    db.session.commit()
    flash(_("Removed from the rota.") if removed else _("That shift was already removed."),
          "success")
    return redirect(url_for(".rota", studio=studio.id))
