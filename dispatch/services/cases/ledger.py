"""The ledger's writing primitives: the one place that moves a case or adds a line to its
ledger. ``apply_transition`` changes the status with one conditional UPDATE (on the status
and version it read) plus exactly one event; ``amend`` changes other fields the same way;
``record_event`` adds a line without a change of status. Each also keeps the stage clocks
and plans the event's notifications. They flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Update, inspect, update
from sqlalchemy.orm.attributes import set_committed_value

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, CaseStatus, utcnow
from dispatch.models.vocabulary import STAGE_SECONDS
from dispatch.services.cases import notifications
from dispatch.services.errors import Conflict, DomainError
from dispatch.services.permissions import Actor, ensure_allowed
from dispatch.services.workdays import deadline

# --- the one place that writes ---------------------------------------------------------

def _actor_fields(actor: Actor) -> dict[str, Any]:
    return {
        "actor_id": actor.user.id if actor.user else None,
        "actor_role": actor.role,
        "actor_name": actor.user.display_name if actor.user else "",
    }


# --- the clock of each stage ----------------------------------------------------------

_KEEP = object()


def _deadline(case: Case, action: str, to_status: CaseStatus, at: datetime) -> object:
    """The deadline the case has after ``action``: receiving starts the handling clock,
    finishing the reply clock; sending work back (reopen, a failed check) starts a new
    round of handling; once replied it is the resident's turn. Other steps keep it, so a
    decline or a released claim does not buy time."""
    category = case.category
    unit = category.clock_unit  # hours, or working days by the official calendar
    if action in ("receive", "reopen", "return_work"):
        return deadline(at, category.handle_hours, unit)
    if action == "finish":
        return deadline(at, category.reply_hours, unit)
    if to_status in (CaseStatus.REPLIED, CaseStatus.FEEDBACK, CaseStatus.ARCHIVED):
        return None
    return _KEEP


def _clock_values(case: Case, action: str, to_status: CaseStatus,
                  at: datetime) -> dict[str, Any]:
    """Add the time spent in the stage being left, and set the next stage's deadline."""
    values: dict[str, Any] = {}
    if to_status != case.status:
        column = STAGE_SECONDS.get(case.status)
        if column and case.stage_entered_at is not None:
            spent = max(0, int((at - case.stage_entered_at).total_seconds()))
            values[column] = getattr(Case, column) + spent
        values["stage_entered_at"] = at
    due = _deadline(case, action, to_status, at)
    if due is not _KEEP:
        values["due_at"] = due
        values["escalated_at"] = None  # a new deadline may escalate again
    return values


# The case's columns, for the UPDATE's RETURNING: the row as the UPDATE left it comes back
# with the write, not from a SELECT after it (one round trip fewer on every step).
_COLUMN_ATTRS = tuple(inspect(Case).column_attrs)
_RETURNING = tuple(attr.columns[0] for attr in _COLUMN_ATTRS)
_RELATIONSHIPS = tuple(rel.key for rel in inspect(Case).relationships)


def _write(case: Case, statement: Update) -> Row[Any] | bool:
    """Run the case's conditional UPDATE: the row it left (falsy: no row matched). With
    RETURNING every column when the case has no change of its own waiting to be flushed
    (then the returned row is exactly what the database holds); else whether one row
    changed, and the case is read again after the flush, as before."""
    if db.session.is_modified(case):
        return db.session.execute(statement).rowcount == 1
    return db.session.execute(statement.returning(*_RETURNING)).first() or False


def _append(case: Case, event: CaseEvent, written: Row[Any] | bool = True) -> None:
    """Write the ledger line, see the case as the UPDATE left it, plan who hears of it.
    ``written``: the UPDATE's returned row, or anything else to read the case again."""
    db.session.add(event)
    db.session.flush()
    if isinstance(written, Row):
        for attr, value in zip(_COLUMN_ATTRS, written, strict=True):
            set_committed_value(case, attr.key, value)
        # What a refresh does to them: read again when next used (a new holder, a new team).
        db.session.expire(case, _RELATIONSHIPS)
    else:
        db.session.refresh(case)
    notifications.plan(case, event)


def apply_transition(case: Case, actor: Actor, action: str, *,
                     values: dict[str, Any] | None = None, note: str = "",
                     at: datetime | None = None, expected_version: int | None = None,
                     conditions: tuple[Any, ...] = (), refused: DomainError | None = None,
                     note_code: str | None = None,
                     note_params: dict[str, Any] | None = None) -> Case:
    """The one place that moves a case. ``conditions`` join the UPDATE's WHERE (a rule the
    database must decide, such as a claim limit); when they alone stop it, ``refused`` is
    raised instead of a conflict. ``note`` is what a person typed; what the software says
    is ``note_code`` with ``note_params`` (worded when read, models/ledger_notes.py)."""
    transition = ensure_allowed(case, actor, action)
    seen = case.version
    if expected_version is not None and expected_version != seen:
        raise Conflict(case.id, case.status)
    at = at or utcnow()
    # "On my way" belongs to one round of work: a new state of the work starts afresh.
    moved_on = {"on_the_way_at": None} if transition.to_assignment != case.assignment_status \
        else {}
    condition = Case.assignment_status.is_(None) if case.assignment_status is None \
        else Case.assignment_status == case.assignment_status
    statement = (
        update(Case)
        .where(Case.id == case.id, Case.version == seen, Case.status == case.status, condition,
               *conditions)
        .values(status=transition.to_status, assignment_status=transition.to_assignment,
                version=seen + 1, updated_at=at,
                **{**moved_on, **_clock_values(case, action, transition.to_status, at),
                   **(values or {})})
        .execution_options(synchronize_session=False)
    )
    written = _write(case, statement)
    if not written:
        db.session.refresh(case)
        if refused is not None and case.version == seen:
            raise refused  # nobody else moved the case: the extra condition said no
        raise Conflict(case.id, case.status)
    event = CaseEvent(
        case_id=case.id, seq=seen + 1, action=action, from_status=case.status,
        to_status=transition.to_status, from_assignment=case.assignment_status,
        to_assignment=transition.to_assignment, note=note.strip(), created_at=at,
        note_code=note_code, note_params=note_params, **_actor_fields(actor))
    _append(case, event, written)
    return case


def record_event(case: Case, actor: Actor, action: str, note: str = "", *, internal: bool,
                 at: datetime | None = None, note_code: str | None = None,
                 note_params: dict[str, Any] | None = None) -> CaseEvent:
    """A ledger line that changes no status; takes the next number atomically."""
    at = at or utcnow()
    seq = db.session.execute(
        update(Case).where(Case.id == case.id)
        .values(version=Case.version + 1).returning(Case.version, Case.status)
        .execution_options(synchronize_session=False)
    ).one()
    event = CaseEvent(case_id=case.id, seq=seq.version, action=action,
                      from_status=seq.status, to_status=seq.status, note=note.strip(),
                      note_code=note_code, note_params=note_params,
                      internal=internal, created_at=at, **_actor_fields(actor))
    _append(case, event)
    return event


def _stamp(kw: dict[str, Any]) -> datetime:
    """Fix the step's moment once, so the event and any ``*_at`` column agree."""
    kw["at"] = kw.get("at") or utcnow()
    return kw["at"]


def amend(case: Case, actor: Actor, action: str, values: dict[str, Any], note: str = "",
          at: datetime | None = None, *, expected_version: int | None = None,
          conditions: tuple[Any, ...] = (), refused: DomainError | None = None,
          internal: bool = False, note_code: str | None = None,
          note_params: dict[str, Any] | None = None) -> CaseEvent:
    """Change fields that are not the status (who handles it, a moderated text, a claim's
    deadline) with the same guarantees: the UPDATE matches only the version that was read
    (or the one the page showed, ``expected_version``) and ``conditions``, and writes one
    ledger line. When only ``conditions`` stopped it, ``refused`` is raised."""
    at = at or utcnow()
    seen = case.version if expected_version is None else expected_version
    statement = (update(Case).where(Case.id == case.id, Case.version == seen, *conditions)
                 .values(version=seen + 1, updated_at=at, **values)
                 .execution_options(synchronize_session=False))
    written = _write(case, statement)
    if not written:
        db.session.refresh(case)
        if refused is not None and case.version == seen:
            raise refused
        raise Conflict(case.id, case.status)
    event = CaseEvent(case_id=case.id, seq=seen + 1, action=action, from_status=case.status,
                      to_status=case.status, note=note.strip(), created_at=at,
                      note_code=note_code, note_params=note_params,
                      internal=internal, **_actor_fields(actor))
    _append(case, event, written)
    return event


def add_supporters(case_id: int, count: int) -> None:
    """Add to a case's "me too" count inside the UPDATE (never read and written back).
    Support is not an edit of the case: no version, no ledger line."""
    db.session.execute(update(Case).where(Case.id == case_id)
                       .values(support_count=Case.support_count + count)
                       .execution_options(synchronize_session=False))
