"""/api/v1/cases: filing, reading and listing cases (cursor pages), a case's legal next
steps and taking one, its suggested responders and its ledger.

Taking a step goes through the same forms (their validators, with CSRF off: the
blueprint checks it by header) and the same ``services/cases/commands.py:run`` as the
desk and the phone pages, after the same version check: a client that saw another
version gets 409 and the case as it is now."""

from __future__ import annotations

import secrets

from flask import Response, abort
from flask_babel import gettext as _
from spectree import Response as Responses
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from dispatch.extensions import db
from dispatch.models import Case, CaseKind, CaseStatus, Category
from dispatch.models.people import DESK_ROLES
from dispatch.models.vocabulary import TRANSITIONS
from dispatch.services.cases import commands
from dispatch.services.cases.queries import CaseFilter, conditions
from dispatch.services.errors import Conflict, InvalidInput
from dispatch.services.intake.filing import NewReport, file_report
from dispatch.services.permissions import Actor, allowed_actions, may_read_case
from dispatch.services.responders.suggest import suggest
from dispatch.views.api import present
from dispatch.views.api.schemas import (
    ActionIn,
    ActionList,
    CaseOut,
    CasePage,
    CaseQuery,
    ConflictBody,
    ErrorBody,
    EventList,
    NewCase,
    ResponderList,
)
from dispatch.views.api.spec import spec
from dispatch.views.api.v1 import bp, caller, error
from dispatch.views.case_forms import build_forms, fields_of
from dispatch.views.forms import ACTION_FORMS
from dispatch.views.params import MAX_ID

# What a listed case shows, loaded for the whole page in three queries, not one per case.
LIST_LOADS = (selectinload(Case.category), selectinload(Case.assigned_team),
              selectinload(Case.assigned_volunteer))
CASE_ID = "<int(min=1, max=2147483647):case_id>"
ACTIONS = ", ".join(sorted(commands.COMMANDS))
# Every operation may refuse: a control character anywhere (400), no or a bad token (401),
# a role that may not (403).
DENIED = {"HTTP_400": ErrorBody, "HTTP_401": ErrorBody, "HTTP_403": ErrorBody}
# What a body can be refused for: not JSON (415), too large (413).
BODY = {"HTTP_413": ErrorBody, "HTTP_415": ErrorBody}


def _readable(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not may_read_case(case, caller()):
        abort(404)
    return case


def _desk_only() -> Response | None:
    if caller().role not in DESK_ROLES:
        return error(403, _("Your role does not allow this."))
    return None


def _case_out(case: Case) -> CaseOut:
    return CaseOut.model_validate(present.case(case, caller()))


@bp.get("/cases")
@spec.validate(query=CaseQuery, resp=Responses(HTTP_200=CasePage, **DENIED), tags=["cases"])
def list_cases(query: CaseQuery) -> CasePage | Response:
    """Cases, newest first, a page at a time (the desk only)."""
    if (refused := _desk_only()) is not None:
        return refused
    statement = select(Case).where(*conditions(CaseFilter(
        status=CaseStatus(query.status) if query.status else None,
        kind=CaseKind(query.kind) if query.kind else None, overdue_only=query.overdue,
        text=query.q.strip(), category_id=query.category_id, studio_id=query.studio_id)))
    if query.cursor is not None:
        statement = statement.where(Case.id < min(int(query.cursor), MAX_ID + 1))
    rows = list(db.session.scalars(statement.options(*LIST_LOADS).order_by(Case.id.desc())
                                   .limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    return CasePage(items=[_case_out(case) for case in rows],
                    next_cursor=str(rows[-1].id) if more else None)


@bp.post("/cases")
@spec.validate(json=NewCase, resp=Responses(HTTP_201=CaseOut, **DENIED, **BODY), tags=["cases"])
def file_case(json: NewCase) -> tuple[CaseOut, int]:
    """File a case (登记) as a resident's report, e.g. one taken by phone."""
    category = db.session.get(Category, json.category_id)
    if category is None or not category.active:
        raise InvalidInput("category_id", _("There is no such category."))
    case = file_report(NewReport(
        kind=CaseKind(json.kind), category=category, description=json.description,
        latitude=json.latitude, longitude=json.longitude, title=json.title,
        address=json.address, reporter_name=json.reporter_name or None,
        reporter_phone=json.reporter_phone or None, wants_updates=json.wants_updates,
        submission_token=json.idempotency_key or secrets.token_urlsafe(24)))
    db.session.commit()
    return _case_out(case), 201


@bp.get(f"/cases/{CASE_ID}")
@spec.validate(resp=Responses(HTTP_200=CaseOut, **DENIED, HTTP_404=ErrorBody), tags=["cases"])
def read_case(case_id: int) -> CaseOut:
    """One case, as the reader may see it."""
    return _case_out(_readable(case_id))


@bp.get(f"/cases/{CASE_ID}/events")
@spec.validate(resp=Responses(HTTP_200=EventList, **DENIED, HTTP_404=ErrorBody),
               tags=["cases"])
def case_events(case_id: int) -> EventList:
    """The case's ledger (台账); internal notes for the desk only."""
    return EventList.model_validate(present.events(_readable(case_id), caller()))


@bp.get(f"/cases/{CASE_ID}/responders")
@spec.validate(resp=Responses(HTTP_200=ResponderList, **DENIED, HTTP_404=ErrorBody),
               tags=["cases"])
def case_responders(case_id: int) -> ResponderList | Response:
    """Suggested responders, best first (the desk only)."""
    if (refused := _desk_only()) is not None:
        return refused
    return ResponderList.model_validate(
        [present.responder(s) for s in suggest(_readable(case_id))])


@bp.get(f"/cases/{CASE_ID}/actions")
@spec.validate(resp=Responses(HTTP_200=ActionList, **DENIED, HTTP_404=ErrorBody),
               tags=["cases"])
def case_actions(case_id: int) -> ActionList:
    """Exactly the steps the caller may take now, with the fields each takes."""
    case = _readable(case_id)
    return ActionList.model_validate([{
        "action": t.action, "label": str(t.label), "danger": t.danger,
        "fields": _fields(t.action)} for t in allowed_actions(case, Actor.of(caller()))])


def _fields(action: str) -> list[str]:
    form = ACTION_FORMS[action](formdata=None, meta={"csrf": False})
    return [name for name in form._fields if name != "photos"]


@bp.post(f"/cases/{CASE_ID}/actions/<any({ACTIONS}):action>")
@spec.validate(json=ActionIn, resp=Responses(
    HTTP_200=CaseOut, **DENIED, **BODY, HTTP_404=ErrorBody, HTTP_409=ConflictBody), tags=["cases"])
def take_action(case_id: int, action: str, json: ActionIn) -> CaseOut | Response:
    """Take one step; `version` must be the version the client saw, else 409."""
    case = _readable(case_id)
    if json.version != case.version:
        return _conflict(case)
    actor = Actor.of(caller())
    commands.check(case, actor, action)  # 403 or 409 before the fields are looked at
    form = build_forms(case, [TRANSITIONS[action]], _formdata(action, json), posted=action,
                       meta={"csrf": False})[action]
    if not form.validate():
        return _invalid({name: [str(m) for m in messages]
                         for name, messages in form.errors.items()})
    try:
        commands.run(action, case, actor, fields_of(form))
    except InvalidInput as problem:
        db.session.rollback()
        return _invalid({problem.field: [problem.message()]})
    except Conflict:
        db.session.rollback()
        return _conflict(_readable(case_id))
    db.session.commit()
    return _case_out(_readable(case_id))


def _formdata(action: str, body: ActionIn) -> MultiDict:
    """The JSON body as the action's form would have posted it."""
    values = body.model_dump(exclude_none=True)
    if "satisfied" in values:
        values["satisfied"] = "yes" if values["satisfied"] else "no"
    if values.get("fixed") is False:
        del values["fixed"]
    return MultiDict({f"{action}-{key}": "y" if value is True else str(value)
                      for key, value in values.items()})


def _invalid(fields: dict[str, list[str]]) -> Response:
    return error(422, _("Please check your input: %(fields)s.", fields=", ".join(fields)),
                 errors=[{"loc": [name], "msg": " ".join(messages), "type": "form"}
                         for name, messages in fields.items()])


def _conflict(case: Case) -> Response:
    body = ConflictBody(status=409, message=Conflict(case.id, case.status.value).message(),
                        case=_case_out(case))
    return Response(body.model_dump_json(), status=409, mimetype="application/json")
