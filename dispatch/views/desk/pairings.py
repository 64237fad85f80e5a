"""The coordinator's pairings board: households with their member, visits due and
overdue first, adding a household and pairing it, handing a pairing over; a household's
page with its whole visit history and the cases raised on visits."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.models import Household, Pairing, Studio, User, Visit, utcnow
from dispatch.models.people import FIELD_ROLES
from dispatch.services.errors import InvalidInput
from dispatch.services.standing import pairings
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.standing_forms import HandOverForm, HouseholdForm
from dispatch.views.forms import show_error
from dispatch.views.params import parse_id


def _members() -> list[SelectChoice]:
    users = db.session.scalars(select(User).where(User.role.in_(tuple(FIELD_ROLES)),
                                                  User.active.is_(True))
                               .order_by(User.display_name))
    return [SelectChoice(str(u.id), f"{u.display_name} · {u.role.label}") for u in users]


def _household_form(formdata: object = None) -> HouseholdForm:
    form = HouseholdForm(formdata=formdata)
    form.member.choices = [SelectChoice("", _("— later —")), *_members()]
    if formdata is None and current_user.studio_id:
        studio = db.session.get(Studio, current_user.studio_id)
        if studio is not None:
            form.latitude.data, form.longitude.data = studio.latitude, studio.longitude
    return form


def _render(form: HouseholdForm | None = None, status: int = 200) -> tuple[str, int]:
    rows = pairings.board()
    hand_forms = {}
    for due in rows:
        hand = HandOverForm(formdata=None, prefix=f"p{due.pairing.id}")
        hand.member.choices = [SelectChoice("", _("— choose —")), *_members()]
        hand_forms[due.pairing.id] = hand
    return render_template("desk/pairings.html", rows=rows, unpaired=pairings.unpaired(),
                           form=form or _household_form(), hand_forms=hand_forms,
                           members=_members(), now=utcnow()), status


@bp.get("/pairings")
def pairing_board() -> tuple[str, int]:
    return _render()


@bp.post("/pairings")
def add_household() -> Response | tuple[str, int]:
    form = _household_form(request.form)
    if not form.validate():
        return _render(form, 422)
    try:
        household = pairings.add_household(pairings.HouseholdData(
            label=form.label.data or "", address=form.address.data or "",
            latitude=form.latitude.data, longitude=form.longitude.data,
            people=form.people.data or "", needs=form.needs.data or "",
            contact_name=form.contact_name.data or "",
            contact_phone=form.contact_phone.data), current_user)
        member_id = parse_id(form.member.data)
        if member_id:
            pairings.pair(household, db.session.get(User, member_id),
                          form.rhythm_days.data or 7, current_user)
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.label, aliases={"phone": "contact_phone"})
        return _render(form, 422)
    db.session.commit()
    flash(_("Household added."), "success")
    return redirect(url_for(".pairing_board"))


@bp.post("/households/<id:household_id>/pair")
def pair_household(household_id: int) -> Response | tuple[str, int]:
    household = db.get_or_404(Household, household_id)
    member_id = parse_id(request.form.get("member"))
    rhythm = parse_id(request.form.get("rhythm_days")) or 7
    try:
        pairings.pair(household, db.session.get(User, member_id) if member_id else None,
                      rhythm, current_user)
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message(), "warning")
        return redirect(url_for(".pairing_board"))
    db.session.commit()
    flash(_("Paired."), "success")
    return redirect(url_for(".pairing_board"))


@bp.post("/pairings/<id:pairing_id>/hand-over")
def hand_over(pairing_id: int) -> Response | tuple[str, int]:
    pairing = db.get_or_404(Pairing, pairing_id)
    form = HandOverForm(prefix=f"p{pairing.id}")
    form.member.choices = _members()
    if not form.validate():
        flash(_("Choose a volunteer or captain."), "warning")
        return redirect(url_for(".pairing_board"))
    try:
        pairings.hand_over(pairing, db.session.get(User, int(form.member.data)), current_user)
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message(), "warning")
        return redirect(url_for(".pairing_board"))
    db.session.commit()
    flash(_("Handed over, with the visits so far."), "success")
    return redirect(url_for(".pairing_board"))


@bp.get("/households/<id:household_id>")
def household_detail(household_id: int) -> str:
    household = db.get_or_404(Household, household_id)
    visits = list(db.session.scalars(select(Visit).where(Visit.household_id == household.id)
                                     .order_by(Visit.visited_at.desc())))
    return render_template("desk/household.html", household=household, visits=visits,
                           history=household.pairings)
