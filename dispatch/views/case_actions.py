"""Glue shared by the desk and the volunteer pages: which form an action takes, and how
its fields become a call to the lifecycle service."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import CombinedMultiDict
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.forms import ACTION_FORMS, ActionForm
from dispatch.models import Case
from dispatch.models.case import Transition
from dispatch.permissions import Actor
from dispatch.services import claims, lifecycle
from dispatch.services.dispatching import Candidate, candidates, parse_assignee
from dispatch.services.errors import InvalidInput
from dispatch.services.reports import discard_photos, store_photos


def posted_data() -> CombinedMultiDict:
    """The request's fields and files together (a bound form needs both for photos)."""
    return CombinedMultiDict([request.files, request.form])


def build_forms(case: Case, actions: list[Transition], formdata: object = None,
                posted: str | None = None) -> dict[str, ActionForm]:
    """One form per allowed action; only the posted one is bound to the request data."""
    forms: dict[str, ActionForm] = {}
    choices = None
    for transition in actions:
        action = transition.action
        bound = formdata if action == posted else None
        form = ACTION_FORMS[action](formdata=bound, prefix=action, version=case.version)
        if hasattr(form, "assignee"):
            if choices is None:
                choices = [SelectChoice("", _("— choose —"))] + [
                    SelectChoice(c.key, _candidate_label(c)) for c in candidates(case)]
            form.assignee.choices = choices
        forms[action] = form
    return forms


def _candidate_label(candidate: Candidate) -> str:
    kind = _("Team") if candidate.is_team else _("Volunteer")
    distance = ("" if candidate.distance_m is None
                else f" · {candidate.distance_m / 1000:.1f} km")
    return f"{kind}: {candidate.name}{distance}"


def perform(action: str, case: Case, actor: Actor, form: ActionForm) -> None:
    """Call the lifecycle function for ``action`` with the form's fields."""
    fields = form.data
    kw = {"expected_version": fields["version"]}
    note = fields.get("note") or ""
    if action in ("assign", "reassign"):
        team, volunteer = parse_assignee(fields["assignee"] or "")
        if team is None and volunteer is None:
            raise InvalidInput("assignee", _("Choose a team or a volunteer."))
        step = lifecycle.assign if action == "assign" else lifecycle.reassign
        step(case, actor, team=team, volunteer=volunteer, note=note, **kw)
    elif action == "reply":
        lifecycle.reply(case, actor, fields["text"] or "", **kw)
    elif action == "give_feedback":
        lifecycle.give_feedback(case, actor, satisfied=fields["satisfied"] == "yes",
                                rating=int(fields["rating"]), comment=fields["comment"] or "",
                                fixed=bool(fields["fixed"]), **kw)
    elif action == "mark_duplicate":
        code = (fields["original"] or "").strip().upper()
        original = db.session.scalar(select(Case).where(Case.tracking_code == code))
        if original is None:
            raise InvalidInput("original", _("No case has this tracking code."))
        lifecycle.mark_duplicate(case, actor, original, note=note, **kw)
    elif action == "mark_not_ours":
        lifecycle.mark_not_ours(case, actor, fields["reason"] or "", **kw)
    elif action == "arrive":
        lifecycle.arrive(case, actor, note=note, latitude=fields["latitude"],
                         longitude=fields["longitude"], **kw)
    elif action == "finish":
        uploads = [f.stream for f in fields["photos"] or [] if f and f.filename]
        stored = store_photos(uploads)
        try:
            lifecycle.finish(case, actor, note, photos=tuple(stored), **kw)
        except Exception:
            discard_photos(stored)
            raise
    elif action == "claim":
        claims.claim(case, actor)
    elif action == "release":
        claims.release(case, actor, note)
    else:
        getattr(lifecycle, action)(case, actor, note=note, **kw)


def attach_error(form: ActionForm, error: InvalidInput) -> None:
    """Show a service's input error next to the field it is about."""
    field = getattr(form, error.field, None) or form.note
    field.errors = [*field.errors, error.message()]
