"""Bulk receive and bulk assign from the case list or the board's list (POST, CSRF), and
the summary page.

One transaction per case: commit after each case that went through, roll back after each
that did not. Why not savepoints in one transaction: a case's step is then exactly the step
its own page takes (same locks, same commit, its notifications queued by the outbox's
after-commit hook as soon as that case is committed), a conflict on case 7 cannot hold the
row locks of cases 1–6 while the rest run, and a rolled-back savepoint would leave planned
notifications behind in the outbox's after-commit list (it only forgets them on a real
rollback).
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.extensions import db
from dispatch.models import Action
from dispatch.services.desk import bulk
from dispatch.services.errors import InvalidInput
from dispatch.services.permissions import Actor
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.board import render_board
from dispatch.views.desk.cases import render_case_list
from dispatch.views.desk.glance_forms import BulkForm
from dispatch.views.params import parse_id


def _refused(form: BulkForm, error: InvalidInput | None = None) -> tuple[str, int]:
    """The list again, the same cases ticked, what was typed kept, the reason beside the
    bulk form."""
    if error is not None and error.field == "assignee":
        form.assignee.errors = [*form.assignee.errors, error.text]
    elif error is not None:
        form.form_errors.append(error.text)
    ticked = frozenset(n for n in (parse_id(v.partition(":")[0])
                                   for v in request.form.getlist("case")) if n)
    if _from_board():
        return render_board(form, ticked, status=422)
    return render_case_list(form, ticked, status=422)


def _from_board() -> bool:
    """The board's list sends ``back_to=board`` (with its filters) in the form's address."""
    return request.args.get("back_to") == "board"


@bp.post("/cases/bulk")
def bulk_step() -> tuple[str, int]:
    form = BulkForm()
    form.fill_choices([])
    action = request.form.get("action", "")
    if action not in bulk.BULK_ACTIONS:
        return _refused(form, InvalidInput("action", _("Choose “Receive” or “Assign”.")))
    if not form.validate():
        return _refused(form)
    try:
        selection = bulk.parse_selection(request.form.getlist("case"))
        assignee = bulk.check_assignee(form.assignee.data or "") \
            if action == Action.ASSIGN else ""
    except InvalidInput as error:
        return _refused(form, error)
    db.session.rollback()  # nothing written yet: each case starts its own transaction
    actor = Actor.of(current_user)
    results = []
    for selected in selection.cases:
        result = bulk.step_one(action, selected, actor, assignee=assignee,
                               note=form.note.data or "")
        if result.done:
            db.session.commit()  # this case's step and its notifications go out now
        else:
            db.session.rollback()
        results.append(result)
    done = [r for r in results if r.done]
    refused = [r for r in results if not r.done]
    back = {key: value for key, value in request.args.items() if key != "back_to"}
    return render_template("desk/bulk_result.html", action=action, done=done,
                           refused=refused, unreadable=selection.unreadable, back=back,
                           back_endpoint="desk.board" if _from_board() else "desk.case_list"
                           ), 200
