"""Pairings on the phone: the member's households (overdue first), a household's page
(only for the member paired with it now), logging a visit, and a need found on it filed as
a case in one tap."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.models import Category, Household, Visit, utcnow
from dispatch.services.clock import display_zone, local
from dispatch.services.errors import InvalidInput
from dispatch.services.standing import pairings
from dispatch.views.field.blueprint import bp
from dispatch.views.field.forms import RaiseCaseForm, VisitForm
from dispatch.views.forms import show_error
from dispatch.views.params import parse_id


@bp.get("/pairings")
def my_pairings() -> str:
    return render_template("field/pairings.html", rows=pairings.pairings_of(current_user),
                           now=utcnow())


def _household(household_id: int) -> Household:
    household = db.get_or_404(Household, household_id)
    pairings.ensure_may_see(household, current_user)  # 403 for anyone else
    return household


def _raise_form(visit: Visit, formdata: object = None) -> RaiseCaseForm:
    form = RaiseCaseForm(formdata=formdata, prefix=f"v{visit.id}", need=visit.found)
    form.category.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(str(c.id), f"{c.icon} {c.name}")
        for c in db.session.scalars(select(Category).order_by(Category.id))]
    return form


def _render(household: Household, form: VisitForm | None = None,
            raise_forms: dict[int, RaiseCaseForm] | None = None, status: int = 200
            ) -> tuple[str, int]:
    if form is None:
        form = VisitForm(formdata=None)
        form.visited_at.data = local(utcnow()).replace(tzinfo=None, second=0, microsecond=0)
    forms = {visit.id: _raise_form(visit) for visit in household.visits}
    forms.update(raise_forms or {})
    pairing = pairings.active_pairing(household)
    return render_template("field/household.html", household=household, form=form,
                           raise_forms=forms, due=pairings.due_of(pairing) if pairing else None,
                           now=utcnow()), status


@bp.get("/households/<id:household_id>")
def household_page(household_id: int) -> tuple[str, int]:
    return _render(_household(household_id))


@bp.post("/households/<id:household_id>/visits")
def log_visit(household_id: int) -> Response | tuple[str, int]:
    household = _household(household_id)
    form = VisitForm()
    if not form.validate():
        return _render(household, form, status=422)
    visited_at = form.visited_at.data.replace(tzinfo=display_zone())
    try:
        pairings.log_visit(household, current_user, visited_at, form.found.data or "",
                           form.done.data or "", form.follow_up.data or "")
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.found)
        return _render(_household(household_id), form, status=422)
    db.session.commit()
    flash(_("Visit logged."), "success")
    return redirect(url_for(".household_page", household_id=household.id))


@bp.post("/visits/<id:visit_id>/case")
def raise_case(visit_id: int) -> Response | tuple[str, int]:
    visit = db.get_or_404(Visit, visit_id)
    household = _household(visit.household_id)
    form = _raise_form(visit, request.form)
    if not form.validate():
        return _render(household, raise_forms={visit.id: form}, status=422)
    category_id = parse_id(form.category.data)
    category = db.session.get(Category, category_id) if category_id else None
    try:
        case = pairings.raise_case(visit, current_user, category, form.need.data or "")
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.need)
        return _render(_household(visit.household_id), raise_forms={visit.id: form},
                       status=422)
    db.session.commit()
    flash(_("Filed as case %(code)s: the studio will receive it.", code=case.tracking_code),
          "success")
    return redirect(url_for(".household_page", household_id=household.id))
