"""The studio's work log and talk notes on the desk: write an entry, search them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.models import Case, Household, LogKind, utcnow
from dispatch.services.clock import display_zone, local
from dispatch.services.errors import InvalidInput
from dispatch.services.standing import worklog
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.standing_forms import WorkLogForm, WorkLogSearchForm
from dispatch.views.forms import show_error
from dispatch.views.params import parse_choice, parse_id


def _form(formdata: object = None) -> WorkLogForm:
    form = WorkLogForm(formdata=formdata)
    form.household.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(str(h.id), h.label)
        for h in db.session.scalars(select(Household).order_by(Household.label))]
    if formdata is None:
        form.happened_at.data = local(utcnow()).replace(tzinfo=None, second=0, microsecond=0)
    return form


def _render(form: WorkLogForm | None = None, status: int = 200) -> tuple[str, int]:
    search = WorkLogSearchForm(request.args)
    search.validate()
    kind = parse_choice(search.kind.data, LogKind)
    entries = worklog.search(search.q.data or "", kind) if not search.errors else []
    return render_template("desk/worklog.html", form=form or _form(), search=search,
                           entries=entries), status


@bp.get("/worklog")
def work_log() -> tuple[str, int]:
    return _render()


@bp.post("/worklog")
def write_work_log() -> Response | tuple[str, int]:
    form = _form(request.form)
    if not form.validate():
        return _render(form, 422)
    try:
        case = None
        if form.case_code.data:
            case = db.session.scalar(select(Case).where(
                Case.tracking_code == form.case_code.data.upper()))
            if case is None:
                raise InvalidInput("case_code", _("No case has this tracking code."))
        household_id = parse_id(form.household.data)
        worklog.write(worklog.NewEntry(
            kind=LogKind(form.kind.data), text=form.text.data or "",
            happened_at=form.happened_at.data.replace(tzinfo=display_zone()),
            with_whom=form.with_whom.data or "", hours=form.hours.data, case=case,
            household=db.session.get(Household, household_id) if household_id else None),
            current_user)
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.text)
        return _render(form, 422)
    db.session.commit()
    flash(_("Written in the work log."), "success")
    return redirect(url_for(".work_log"))
