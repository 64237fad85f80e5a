"""The case action forms the desk and the volunteer pages share: which form an action takes,
its choices, and what the desk page shows beside them. What an action does is
``dispatch.services.cases.commands``."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import CombinedMultiDict
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.models import OPEN_STATUSES, AssignmentStatus, Case, CaseEvent, CaseStatus, PhotoStage
from dispatch.models.vocabulary import Transition
from dispatch.services.cases import replies as reply_templates
from dispatch.services.errors import InvalidInput
from dispatch.services.responders.suggest import Candidate, candidates, suggest
from dispatch.services.standing import pairings
from dispatch.views.forms import (
    ACTION_FORMS,
    ActionForm,
    EscalateForm,
    ModerateTextForm,
    PhotoVisibilityForm,
    show_error,
)
from dispatch.views.params import parse_int


def posted_data() -> CombinedMultiDict:
    """The request's fields and files together (a bound form needs both for photos)."""
    return CombinedMultiDict([request.files, request.form])


def build_forms(case: Case, actions: list[Transition], formdata: object = None,
                posted: str | None = None, meta: dict | None = None) -> dict[str, ActionForm]:
    """One form per allowed action; only the posted one is bound to the request data.
    ``meta`` goes to the forms (the JSON API turns their CSRF field off: it checks CSRF
    itself, by header)."""
    forms: dict[str, ActionForm] = {}
    choices = None
    for transition in actions:
        action = transition.action
        bound = formdata if action == posted else None
        form = ACTION_FORMS[action](formdata=bound, prefix=action, version=case.version,
                                    meta=meta or {})
        if hasattr(form, "assignee"):
            if choices is None:
                choices = [SelectChoice("", _("— choose —"))] + [
                    SelectChoice(c.key, _candidate_label(c)) for c in candidates(case)]
            form.assignee.choices = choices
        if action == "return_work":
            form.note.label.text = _("What is missing (the volunteer sees this)")
        if action == "reply":
            form.template.choices = [SelectChoice("", _("— write my own —"))] + [
                SelectChoice(value, label) for value, label, _text
                in reply_templates.choices(case)]
        forms[action] = form
    return forms


def _candidate_label(candidate: Candidate) -> str:
    kind = _("Team") if candidate.is_team else _("Volunteer")
    distance = ("" if candidate.distance_m is None
                else f" · {candidate.distance_m / 1000:.1f} km")
    return f"{kind}: {candidate.name}{distance}"


def fields_of(form: ActionForm) -> dict[str, object]:
    """The form's data as the case commands take it: uploads as their streams."""
    fields = dict(form.data)
    if "photos" in fields:
        fields["photos"] = [f.stream for f in fields["photos"] or [] if f and f.filename]
    return fields


def attach_error(form: ActionForm, error: InvalidInput) -> None:
    """Show a service's input error next to the field it is about (else by the note)."""
    fallback = getattr(form, "note", None) or next(
        field for field in form if getattr(field.widget, "input_type", None) != "hidden")
    show_error(form, error, fallback=fallback)


def posted_version(prefix: str) -> int | None:
    """The version the posted form was rendered at, if it sent a readable one."""
    return parse_int(request.form.get(f"{prefix}-version"))


def changes_since(case: Case, version: int) -> list[CaseEvent]:
    """What happened to the case after the page at ``version`` was rendered."""
    return list(db.session.scalars(select(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.seq > version).order_by(CaseEvent.seq)))


def _last_event(case: Case, actions: tuple[str, ...]) -> CaseEvent | None:
    return next((e for e in reversed(case.events) if e.action in actions), None)


def desk_context(case: Case, actions: list[Transition],
                 desk_forms: dict[str, FlaskForm] | None = None) -> dict[str, object]:
    """What the desk case page shows besides the action forms: suggested responders (for
    assign, reassign, or after receiving), the check panel, ready replies, moderation."""
    offered = {t.action for t in actions}
    suggest_action = next((a for a in ("assign", "reassign") if a in offered), None)
    receive_first = "receive" in offered
    forms: dict[str, FlaskForm] = {
        "escalate": EscalateForm(formdata=None, prefix="escalate", version=case.version),
        "moderate": ModerateTextForm(formdata=None, prefix="moderate", version=case.version),
        "photo": PhotoVisibilityForm(formdata=None, prefix="photo", version=case.version),
        **(desk_forms or {})}
    finish = _last_event(case, ("finish",))
    return {
        "suggestions": suggest(case) if suggest_action or receive_first else [],
        "suggest_action": suggest_action, "receive_first": receive_first,
        "finish_event": finish if case.assignment_status == AssignmentStatus.DONE else None,
        "report_photos": [p for p in case.photos if p.stage == PhotoStage.REPORT],
        "after_photos": [p for p in case.photos if p.stage == PhotoStage.AFTER][::-1],
        "returned": returned_note(case),
        "reply_texts": {value: text for value, _label, text in reply_templates.choices(case)}
        if "reply" in offered else {},
        "may_escalate": case.status in OPEN_STATUSES and case.escalated_at is None,
        "desk_forms": forms,
        "raised_on_visit": pairings.visit_of_case(case.id),
    }


def returned_note(case: Case) -> CaseEvent | None:
    """The last failed check, while the work it sent back is not yet done again."""
    last = _last_event(case, ("finish", "return_work", "reopen", "reassign", "assign"))
    return last if last is not None and last.action == "return_work" \
        and case.status == CaseStatus.HANDLING else None
