"""Shifts on the phone: the ones a volunteer can take and why not, signing up, dropping
out, check-in and check-out on site; and the captain's view of a shift (who is coming, who
has arrived, who is missing) with release, no-show and one tap to ask free members."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import Shift, utcnow
from dispatch.services.errors import DomainError
from dispatch.services.standing import calendar, rosters, shifts, signups
from dispatch.views.field import work
from dispatch.views.field.blueprint import bp
from dispatch.views.field.forms import ShiftCheckInForm, ShiftStepForm


def _render_list(status: int = 200, refused: str | None = None) -> tuple[str, int]:
    now = utcnow()
    mine = {s.shift_id: s for s in shifts.active_signups(current_user.id)}
    return render_template(
        "field/shifts.html", rows=shifts.for_volunteer(current_user, now), mine=mine,
        led=shifts.led_by(current_user, now), record=rosters.record_of(current_user),
        step_form=ShiftStepForm(), checkin_form=ShiftCheckInForm(), now=now,
        drop_cutoff=signups.drop_cutoff, refused=refused), status


@bp.get("/shifts")
def shift_list() -> tuple[str, int]:
    return _render_list()


def _checked(form: ShiftStepForm | ShiftCheckInForm) -> None:
    if not form.validate():
        abort(400)


@bp.post("/shifts/<id:shift_id>/sign-up")
def sign_up(shift_id: int) -> Response | tuple[str, int]:
    _checked(ShiftStepForm())
    shift = db.get_or_404(Shift, shift_id)
    try:
        signups.sign_up(shift, current_user)
    except signups.SignupRefused as refused:
        db.session.rollback()
        return _render_list(status=409, refused=refused.message())
    db.session.commit()
    flash(_("Signed up: %(site)s, %(when)s.", site=shift.site_name,
            when=rosters.when(shift)), "success")
    return redirect(url_for(".shift_list"))


def _own_step(signup_id: int, step: str) -> Response | tuple[str, int]:
    signup = signups.signup_of(signup_id)
    try:
        if step == "drop":
            _checked(ShiftStepForm())
            signups.drop_out(signup, current_user)
        elif step == "check_in":
            form = ShiftCheckInForm()
            _checked(form)
            signups.check_in(signup, current_user, *signups.parse_position(
                form.latitude.data, form.longitude.data))
        else:
            _checked(ShiftStepForm())
            signups.check_out(signup, current_user)
    except signups.ShiftStepRefused as refused:
        db.session.rollback()
        return _render_list(status=409, refused=refused.message())
    db.session.commit()
    flash({"drop": _("You dropped out; the place is free again."),
           "check_in": _("Checked in. Thank you for coming."),
           "check_out": _("Checked out. Your hours are in your record.")}[step], "success")
    return redirect(url_for(".shift_list"))


@bp.post("/signups/<id:signup_id>/drop")
def drop_out(signup_id: int) -> Response | tuple[str, int]:
    return _own_step(signup_id, "drop")


@bp.post("/signups/<id:signup_id>/check-in")
def shift_check_in(signup_id: int) -> Response | tuple[str, int]:
    return _own_step(signup_id, "check_in")


@bp.post("/signups/<id:signup_id>/check-out")
def shift_check_out(signup_id: int) -> Response | tuple[str, int]:
    return _own_step(signup_id, "check_out")


def _led_shift(shift_id: int) -> Shift:
    shift = db.get_or_404(Shift, shift_id)
    if not shifts.may_lead(shift, current_user):
        abort(403)
    return shift


def _render_roster(shift: Shift, status: int = 200, refused: str | None = None
                   ) -> tuple[str, int]:
    now = utcnow()
    return render_template("field/shift_roster.html", shift=shift,
                           roster=rosters.roster(shift, now), now=now,
                           free=rosters.free_members(shift), form=ShiftStepForm(),
                           refused=refused), status


@bp.get("/shifts/<id:shift_id>/roster")
def shift_roster(shift_id: int) -> tuple[str, int]:
    return _render_roster(_led_shift(shift_id))


@bp.post("/signups/<id:signup_id>/<any(release, no_show):step>")
def captain_step(signup_id: int, step: str) -> Response | tuple[str, int]:
    _checked(ShiftStepForm())
    signup = signups.signup_of(signup_id)
    shift = _led_shift(signup.shift_id)
    try:
        (signups.release if step == "release" else signups.mark_no_show)(signup, current_user)
    except DomainError as refused:
        db.session.rollback()
        return _render_roster(shift, status=409, refused=refused.message())
    db.session.commit()
    flash(_("Released; the place is free again.") if step == "release"
          else _("Marked as not come."), "success")
    return redirect(url_for(".shift_roster", shift_id=shift.id))


@bp.post("/shifts/<id:shift_id>/ask")
def ask_members(shift_id: int) -> Response:
    _checked(ShiftStepForm())
    shift = _led_shift(shift_id)
    told = rosters.ask_free_members(shift, current_user)
    db.session.commit()  # after commit, the outbox rows are queued
    flash(_("Asked %(n)d free members.", n=told) if told else
          _("Nobody new to ask: every free member has already been asked."), "success")
    return redirect(url_for(".shift_roster", shift_id=shift.id))


@bp.post("/me/calendar")
def new_calendar_feed() -> tuple[str, int]:
    """A new secret calendar address, shown once on this page (only its hash is kept)."""
    _checked(ShiftStepForm())
    token = calendar.new_feed(current_user)
    db.session.commit()
    return work.render_me(calendar_url=url_for("public.calendar_feed", token=token,
                                               _external=True)), 200


@bp.post("/me/calendar/revoke")
def revoke_calendar_feed() -> Response:
    _checked(ShiftStepForm())
    calendar.revoke(current_user)
    db.session.commit()
    flash(_("The calendar address no longer works."), "success")
    return redirect(url_for(".me"))
