"""The studio desk: the case list, and the case page with its legal next steps."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.geo import maps
from dispatch.models import OPEN_STATUSES, Case, CaseKind, CaseStatus, utcnow
from dispatch.models.people import SKILL_LABELS
from dispatch.models.vocabulary import ACTION_LABELS
from dispatch.services.cases import claims, commands, lifecycle, moderation
from dispatch.services.cases.queries import CaseFilter, count_by_status, filtered
from dispatch.services.desk import bulk, glance
from dispatch.services.desk.free_now import free_now
from dispatch.services.errors import Conflict, InvalidInput
from dispatch.services.permissions import Actor, allowed_actions
from dispatch.views.case_forms import (
    attach_error,
    build_forms,
    changes_since,
    desk_context,
    fields_of,
    posted_data,
    posted_version,
)
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.forms import (
    NoteForm,
    StatusFilterForm,
)
from dispatch.views.desk.glance_forms import BulkForm
from dispatch.views.forms import (
    ActionForm,
    EscalateForm,
    ModerateTextForm,
    PhotoVisibilityForm,
)
from dispatch.views.params import page_arg, parse_choice


def _case_or_404(case_id: int) -> Case:
    return db.get_or_404(Case, case_id)


@bp.get("/")
def index() -> Response:
    return redirect(url_for(".board"))  # the desk starts at the dispatch board


@bp.get("/cases")
def case_list() -> str:
    return render_case_list()[0]


def render_case_list(bulk_form: BulkForm | None = None, selected: frozenset[int] = frozenset(),
                     status: int = 200) -> tuple[str, int]:
    """The list with its filters (from the query string), and the bulk form beneath it:
    a refused bulk step shows the list again with the same cases ticked."""
    form = StatusFilterForm(request.args)
    form.status.choices = [SelectChoice("", _("All statuses"))] + [
        SelectChoice(s.value, s.label) for s in CaseStatus]
    form.kind.choices = [SelectChoice("", _("All kinds"))] + [
        SelectChoice(k.value, k.label) for k in CaseKind]
    form.validate()  # an unknown value is dropped, not an error page
    case_filter = CaseFilter(
        status=None if form.status.errors else parse_choice(form.status.data, CaseStatus),
        kind=None if form.kind.errors else parse_choice(form.kind.data, CaseKind),
        overdue_only=bool(form.overdue.data), text=(form.q.data or "").strip())
    query = filtered(case_filter).options(  # the assignee column, without a query per row
        selectinload(Case.category), selectinload(Case.assigned_team),
        selectinload(Case.assigned_volunteer), selectinload(Case.studio))
    page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    filter_args = {key: value for key, value in request.args.items() if key != "page"}
    if bulk_form is None:
        bulk_form = BulkForm(formdata=None)
    bulk_form.fill_choices(glance.bulk_teams(current_user.studio_id))
    return render_template("desk/case_list.html", form=form, page=page,
                           counts=count_by_status(), filter_args=filter_args,
                           bulk_form=bulk_form, selected=selected,
                           soon=glance.due_soon_test(), page_args=request.args,
                           max_batch=bulk.MAX_BATCH), status


def _render_case(case: Case, forms: dict | None = None, note_form: NoteForm | None = None,
                 status: int = 200, conflict_since: int | None = None,
                 desk_forms: dict[str, FlaskForm] | None = None) -> tuple[str, int]:
    actor = Actor.of(current_user)
    actions = allowed_actions(case, actor)
    fmap = maps.base_map(case.latitude, case.longitude, zoom=16)
    maps.add_marker(fmap, case.latitude, case.longitude, popup=case.title, tooltip=case.title)
    changes = changes_since(case, conflict_since) if conflict_since is not None else None
    return render_template(
        "desk/case.html", case=case, actions=actions, map=maps.embed(fmap),
        remaining=claims.remaining, conflict=changes,
        forms=forms or build_forms(case, actions), note_form=note_form or NoteForm(),
        action_labels=ACTION_LABELS, skill_labels=SKILL_LABELS,
        free_now=free_now(case, utcnow()) if case.status in OPEN_STATUSES else [],
        open_statuses=OPEN_STATUSES,
        **desk_context(case, actions, desk_forms)), status


def _conflict(case_id: int, seen: int | None) -> tuple[str, int]:
    """Someone else moved the case: show it as it is now, and what changed, with a 409."""
    db.session.rollback()
    case = _case_or_404(case_id)
    return _render_case(case, status=409, conflict_since=seen if seen is not None
                        else case.version - 1)


@bp.get("/cases/<id:case_id>")
def case_page(case_id: int) -> tuple[str, int]:
    return _render_case(_case_or_404(case_id))


@bp.post("/cases/<id:case_id>/actions/<action>")
def case_action(case_id: int, action: str) -> Response | tuple[str, int]:
    case = _case_or_404(case_id)
    if action not in commands.COMMANDS:
        abort(404)
    seen = posted_version(action)
    if seen is not None and seen != case.version:
        return _conflict(case_id, seen)  # a stale page: nothing is looked at further
    actor = Actor.of(current_user)
    forms = build_forms(case, allowed_actions(case, actor), posted_data(), posted=action)
    form = forms.get(action)
    if form is None or not form.validate():
        commands.check(case, actor, action)  # 403 or 409 rather than a form's errors
        return _render_case(case, forms, status=422)
    try:
        commands.run(action, case, actor, fields_of(form))
    except InvalidInput as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_case(db.session.get(Case, case_id) or case, forms, status=422)
    except Conflict:
        return _conflict(case_id, seen)
    db.session.commit()
    flash(_("Done: %(action)s.", action=ACTION_LABELS[action]), "success")
    return redirect(url_for(".case_page", case_id=case.id))


def _desk_step(case: Case, name: str, form: ActionForm, step: Callable[[], object],
               done: str) -> Response | tuple[str, int]:
    """Escalating and moderating: validate, act on the version the page showed, commit."""
    if not form.validate():
        return _render_case(case, desk_forms={name: form}, status=422)
    try:
        step()
    except InvalidInput as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_case(_case_or_404(case.id), desk_forms={name: form}, status=422)
    except Conflict:
        return _conflict(case.id, form.version.data)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(".case_page", case_id=case.id))


@bp.post("/cases/<id:case_id>/escalate")
def escalate(case_id: int) -> Response | tuple[str, int]:
    case = _case_or_404(case_id)
    form = EscalateForm(prefix="escalate")
    return _desk_step(case, "escalate", form, lambda: lifecycle.escalate(
        case, Actor.of(current_user), form.note.data or "",
        expected_version=form.version.data), _("Escalated to the studio lead."))


@bp.post("/cases/<id:case_id>/moderate")
def moderate_text(case_id: int) -> Response | tuple[str, int]:
    case = _case_or_404(case_id)
    form = ModerateTextForm(prefix="moderate")
    return _desk_step(case, "moderate", form, lambda: moderation.redact(
        case, Actor.of(current_user), form.field.data or "", form.replacement.data,
        form.version.data or 0), _("The public page no longer shows the original text."))


@bp.post("/cases/<id:case_id>/photos/<id:photo_id>/visibility")
def photo_visibility(case_id: int, photo_id: int) -> Response | tuple[str, int]:
    case = _case_or_404(case_id)
    form = PhotoVisibilityForm(prefix="photo")
    return _desk_step(case, "photo", form, lambda: moderation.set_photo_hidden(
        case, Actor.of(current_user), photo_id, form.hidden.data == "1",
        form.version.data or 0), _("Saved."))


@bp.post("/cases/<id:case_id>/notes")
def add_note(case_id: int) -> Response | tuple[str, int]:
    case = _case_or_404(case_id)
    form = NoteForm()
    if not form.validate():
        return _render_case(case, note_form=form, status=422)
    lifecycle.add_note(case, Actor.of(current_user), form.text.data or "")
    db.session.commit()
    flash(_("Note added to the ledger."), "success")
    return redirect(url_for(".case_page", case_id=case.id))


