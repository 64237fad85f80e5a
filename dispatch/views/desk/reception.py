"""Reception days (接待日) on the desk: a studio's sessions with the representatives on
duty, and during a session the list of who was received and what each matter became
(a case, answered on the spot, a work-log note). Registering a matter is the intake
page with the session set. The rules are in ``services/desk/reception.py``."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.models import ReceptionSession, Studio, User, VisitOutcome, utcnow
from dispatch.services.clock import local
from dispatch.services.desk import reception
from dispatch.services.errors import InvalidInput
from dispatch.services.responders import rota
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.intake_forms import ReceptionSessionForm, VisitNoteForm
from dispatch.views.desk.studio_choice import active_studios, chosen_studio
from dispatch.views.forms import show_error


def _session_form(studio: Studio, formdata: object = None) -> ReceptionSessionForm:
    form = ReceptionSessionForm(formdata=formdata) if formdata is not None \
        else ReceptionSessionForm(formdata=None)
    form.representatives.choices = [
        SelectChoice(user.id, f"{user.display_name} · {user.role.label}")
        for user in rota.candidates(studio)]
    return form


def _render_list(studio: Studio, form: ReceptionSessionForm | None = None,
                 status: int = 200) -> tuple[str, int]:
    today = local(utcnow()).date()
    return render_template(
        "desk/reception_list.html", studio=studio, today=today,
        sessions=reception.sessions_of(studio, today),
        studios=active_studios(),
        form=form or _session_form(studio)), status


@bp.get("/reception")
def reception_list() -> tuple[str, int]:
    return _render_list(chosen_studio())


@bp.post("/reception")
def add_reception_session() -> Response | tuple[str, int]:
    studio = chosen_studio()
    form = _session_form(studio, request.form)
    if not form.validate():
        return _render_list(studio, form, 422)
    people = list(db.session.scalars(select(User).where(
        User.id.in_(form.representatives.data or []))))
    try:
        session = reception.create_session(
            studio, form.day.data, form.starts.data.strftime("%H:%M"),
            form.ends.data.strftime("%H:%M"), people, current_user, form.topic.data or "")
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.day)
        return _render_list(db.session.get(Studio, studio.id) or studio, form, 422)
    db.session.commit()
    flash(_("Reception session added to the rota."), "success")
    return redirect(url_for(".reception_session", session_id=session.id))


def _render_session(session: ReceptionSession, note_form: VisitNoteForm | None = None,
                    status: int = 200) -> tuple[str, int]:
    today = local(utcnow()).date()
    counts = {outcome: sum(1 for v in session.visits if v.outcome is outcome)
              for outcome in VisitOutcome}
    return render_template("desk/reception_session.html", session=session,
                           today=today, counts=counts,
                           note_form=note_form or VisitNoteForm(formdata=None)), status


@bp.get("/reception/<id:session_id>")
def reception_session(session_id: int) -> tuple[str, int]:
    return _render_session(db.get_or_404(ReceptionSession, session_id))


@bp.post("/reception/<id:session_id>/notes")
def add_visit_note(session_id: int) -> Response | tuple[str, int]:
    session = db.get_or_404(ReceptionSession, session_id)
    form = VisitNoteForm()
    if not form.validate():
        return _render_session(session, form, 422)
    try:
        reception.record_visit(session, VisitOutcome.NOTE, current_user,
                               name=form.visitor_name.data, phone=form.visitor_phone.data,
                               note=form.note.data or "")
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.note, aliases={"phone": "visitor_phone"})
        return _render_session(db.get_or_404(ReceptionSession, session_id), form, 422)
    db.session.commit()
    flash(_("Noted in the session's list."), "success")
    return redirect(url_for(".reception_session", session_id=session_id))
