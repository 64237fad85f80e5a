"""The results wall (成果上墙) and the published task list (领题解题), for the public.

Only what a public page may show: titles, categories, photos not hidden by moderation,
the resident's feedback as stored (moderation may have redacted it), who did the work
(a team's name or a volunteer's display name) and the clock. Never reporters' names or
phone numbers, never internal notes, never a micro-wish's exact place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models import (
    AssignmentStatus,
    Case,
    CaseEvent,
    CasePhoto,
    CaseStatus,
    Outcome,
    PhotoStage,
    utcnow,
)
from dispatch.services.permissions import CLAIMABLE_KINDS

TASK_STATUSES = (CaseStatus.RECEIVED, CaseStatus.HANDLING, CaseStatus.REPLIED,
                 CaseStatus.FEEDBACK)
TAKING_ACTIONS = ("assign", "reassign", "claim")
# The four steps a published task goes through, as shown on the wall.
PROGRESS_STEPS = (_l("To be claimed"), _l("In progress"), _l("Done"), _l("Replied"))


@dataclass
class Result:
    """One resolved case on the wall."""

    case: Case
    before: list[CasePhoto] = field(default_factory=list)
    after: list[CasePhoto] = field(default_factory=list)
    took: timedelta | None = None


def _public_photos(case: Case, stage: PhotoStage) -> list[CasePhoto]:
    return [photo for photo in case.photos if photo.stage == stage and not photo.hidden]


def results(page: int, per_page: int = 12) -> tuple[Pagination, list[Result]]:
    """Resolved cases, the most recently archived first."""
    query = (select(Case)
             .where(Case.status == CaseStatus.ARCHIVED, Case.outcome == Outcome.RESOLVED)
             .options(selectinload(Case.photos), selectinload(Case.category),
                      selectinload(Case.assigned_team), selectinload(Case.assigned_volunteer))
             .order_by(Case.archived_at.desc(), Case.id.desc()))
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    rows = []
    for case in pagination.items:
        finished = case.replied_at or case.archived_at
        rows.append(Result(case, _public_photos(case, PhotoStage.REPORT),
                           _public_photos(case, PhotoStage.AFTER),
                           finished - case.created_at if finished else None))
    return pagination, rows


@dataclass
class Task:
    """One published task: who took it, when, its deadline and how far it has got."""

    case: Case
    taken_by: str | None
    taken_at: datetime | None
    step: int  # index into PROGRESS_STEPS
    overdue: bool


def _step(case: Case) -> int:
    if case.status == CaseStatus.RECEIVED:
        return 0
    if case.status == CaseStatus.HANDLING:
        return 2 if case.assignment_status == AssignmentStatus.DONE else 1
    return 3


def tasks(limit: int = 60) -> tuple[list[Task], int]:
    """Micro-wishes and inspection findings that are published and not yet archived:
    overdue first, then by deadline. Returns the first ``limit`` and how many there are."""
    now = utcnow()
    scope = (Case.kind.in_(CLAIMABLE_KINDS), Case.status.in_(TASK_STATUSES))
    total = db.session.scalar(select(func.count()).select_from(Case).where(*scope)) or 0
    open_statuses = (CaseStatus.RECEIVED, CaseStatus.HANDLING)
    overdue_first = sql_case(((Case.status.in_(open_statuses)) & (Case.due_at < now), 0),
                             else_=1)
    cases = list(db.session.scalars(
        select(Case).where(*scope)
        .options(selectinload(Case.category), selectinload(Case.assigned_team),
                 selectinload(Case.assigned_volunteer))
        .order_by(overdue_first, Case.due_at.asc().nulls_last(), Case.id)
        .limit(limit)))
    taken: dict[int, datetime] = {
        case_id: at for case_id, at in db.session.execute(
            select(CaseEvent.case_id, func.max(CaseEvent.created_at))
            .where(CaseEvent.case_id.in_([c.id for c in cases]),
                   CaseEvent.action.in_(TAKING_ACTIONS))
            .group_by(CaseEvent.case_id))} if cases else {}
    rows = [Task(case, case.assignee_name,
                 case.claimed_at or taken.get(case.id) if case.assignee_name else None,
                 _step(case), case.is_overdue) for case in cases]
    return rows, total
