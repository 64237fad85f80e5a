"""The case lifecycle: register → receive → handle → reply → feedback → archive.

Every step is one function. Each checks the actor's role and the case's current status
against ``TRANSITIONS``, then changes the case with one conditional UPDATE (matching the
status and version it read) and appends exactly one ledger event, in the caller's
transaction (through ``services/ledger.py``, the one place that writes). If the UPDATE
matches no row, another actor got there first: ``Conflict``, and nothing is written.
Functions flush; the caller commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import update

from dispatch.extensions import db
from dispatch.models import (
    OPEN_STATUSES,
    AssignmentStatus,
    Case,
    CaseEvent,
    CaseKind,
    CasePhoto,
    CaseStatus,
    Category,
    IntakeChannel,
    Outcome,
    PhotoStage,
    Studio,
    Supporter,
    Team,
    User,
    utcnow,
)
from dispatch.models.people import FIELD_ROLES
from dispatch.services import checkin
from dispatch.services.cases import notifications
from dispatch.services.cases.answers import answer  # noqa: F401  (the step 当场答复)
from dispatch.services.cases.ledger import (  # noqa: F401  (re-exported: the lifecycle's API)
    _actor_fields,
    _stamp,
    add_supporters,
    amend,
    apply_transition,
    record_event,
)
from dispatch.services.errors import (
    Conflict,
    IllegalTransition,
    InvalidInput,
    NotPermitted,
)
from dispatch.services.permissions import RESIDENT_ROLE, SYSTEM_ROLE, Actor, ensure_allowed
from dispatch.services.phones import normalise_phone
from dispatch.services.photos import StoredPhoto
from dispatch.services.responders.studios import serving_studio
from dispatch.services.responders.teams import still_active
from dispatch.services.text import xml_safe
from dispatch.services.workdays import deadline

# No 0/O/1/I/L: codes are read aloud over the phone and typed on small keyboards.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 10  # 31**10 ≈ 8e14: not guessable at any rate we allow


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def _required(text: str | None, field_name: str, message: str) -> str:
    if not text or not text.strip():
        raise InvalidInput(field_name, message)
    return text.strip()


# --- the steps -------------------------------------------------------------------------

def register(*, kind: CaseKind, title: str, description: str, latitude: float,
             longitude: float, category: Category, address: str = "",
             reporter_name: str | None = None, reporter_phone: str | None = None,
             wants_updates: bool = False, studio: Studio | None = None,
             external_ref: str | None = None, submission_token: str | None = None,
             actor: Actor | None = None, at: datetime | None = None,
             channel: IntakeChannel = IntakeChannel.ONLINE,
             feedback_key_hash: str | None = None) -> Case:
    """登记: a new case, and the first line of its ledger (which names the channel when
    the desk registered it: 来访, 来电, 微信群, 信件, 巡查). ``feedback_key_hash`` goes
    into the same INSERT (the resident's own form; see services/intake/filing.py)."""
    actor = actor or Actor.resident()
    if actor.role not in (RESIDENT_ROLE, SYSTEM_ROLE) and not actor.at_desk:
        raise NotPermitted("register")
    title = _required(xml_safe(title), "title", _("Please give a short title."))
    description = _required(xml_safe(description), "description", _("Please describe the problem."))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("location", _("The location is not on the map."))
    at = at or utcnow()
    if studio is None:
        studio = serving_studio(latitude, longitude)
    case = Case(
        tracking_code=new_tracking_code(), external_ref=external_ref,
        submission_token=submission_token, kind=kind,
        title=title[:120], description=description, latitude=latitude, longitude=longitude,
        address=xml_safe(address).strip()[:255], category=category, studio=studio,
        reporter_name=xml_safe(reporter_name or "").strip()[:60] or None,
        reporter_phone=normalise_phone(reporter_phone),
        reporter_wants_updates=wants_updates and bool(reporter_phone),
        status=CaseStatus.REGISTERED, version=1, created_at=at, updated_at=at,
        due_at=deadline(at, category.receive_hours, category.clock_unit),
        stage_entered_at=at,
        channel=channel,
        feedback_key_hash=feedback_key_hash,
    )
    db.session.add(case)
    # One flush inserts the case and its first ledger line together.
    note = "" if channel is IntakeChannel.ONLINE else _("Channel: %(channel)s",
                                                         channel=channel.label)
    event = CaseEvent(case=case, seq=1, action="register", from_status=None,
                      to_status=CaseStatus.REGISTERED, created_at=at, note=note,
                      **_actor_fields(actor))
    db.session.add(event)
    db.session.flush()
    notifications.plan(case, event)
    return case


def receive(case: Case, actor: Actor, note: str = "", **kw: Any) -> Case:
    """接待: a coordinator takes the case in."""
    return apply_transition(case, actor, "receive", note=note,
                       values={"received_at": _stamp(kw)}, **kw)


def _assignee_values(team: Team | None, volunteer: User | None) -> dict[str, Any]:
    if (team is None) == (volunteer is None):
        raise InvalidInput("assignee", _("Choose either a team or a volunteer."))
    if team is not None and not still_active(team):
        raise InvalidInput("assignee", _("This team is not active."))
    if volunteer is not None and (volunteer.role not in FIELD_ROLES or not volunteer.active):
        raise InvalidInput("assignee", _("Only an active volunteer or captain can be assigned."))
    return {"assigned_team_id": team.id if team else None,
            "assigned_volunteer_id": volunteer.id if volunteer else None}


def assign(case: Case, actor: Actor, *, team: Team | None = None,
           volunteer: User | None = None, note: str = "", **kw: Any) -> Case:
    """派单: hand the case to a team or a volunteer; handling starts."""
    values = _assignee_values(team, volunteer)
    return apply_transition(case, actor, "assign", values=values, note=note, **kw)


def reassign(case: Case, actor: Actor, *, team: Team | None = None,
             volunteer: User | None = None, note: str = "", **kw: Any) -> Case:
    values = _assignee_values(team, volunteer)
    return apply_transition(case, actor, "reassign", values=values, note=note, **kw)


def accept(case: Case, actor: Actor, note: str = "", **kw: Any) -> Case:
    return apply_transition(case, actor, "accept", note=note, **kw)


def decline(case: Case, actor: Actor, note: str, **kw: Any) -> Case:
    note = _required(note, "note", _("Please say why the work is declined."))
    return apply_transition(case, actor, "decline", note=note,
                       values={"assigned_team_id": None, "assigned_volunteer_id": None}, **kw)


def on_the_way(case: Case, actor: Actor, at: datetime | None = None) -> CaseEvent:
    """出发: a ledger line, no change of status (the same people who may check in), once
    per round of work: the UPDATE sets ``on_the_way_at`` only where it is still empty."""
    ensure_allowed(case, actor, "arrive")
    at = at or utcnow()
    return amend(case, actor, "on_the_way", {"on_the_way_at": at}, at=at, conditions=(
        Case.on_the_way_at.is_(None), Case.status == CaseStatus.HANDLING,
        Case.assignment_status == AssignmentStatus.ACCEPTED),
        refused=AlreadyOnTheWay(case.status))


class AlreadyOnTheWay(IllegalTransition):
    def __init__(self, status: CaseStatus) -> None:
        super().__init__("on_the_way", status, reason=_("Already on the way."))


def arrive(case: Case, actor: Actor, note: str = "", latitude: float | None = None,
           longitude: float | None = None, **kw: Any) -> Case:
    """到场签到. With the phone's position, the distance to the case is kept; a check-in
    farther than CHECKIN_FAR_M is recorded and flagged, not refused."""
    at = _stamp(kw)
    values: dict[str, Any] = {"checked_in_at": at}
    coded: dict[str, Any] = {}
    if latitude is not None and longitude is not None:
        place = checkin.measure(latitude, longitude, case.latitude, case.longitude)
        values["checkin_distance_m"] = place.distance_m
        coded = {"note_code": "checked_in", "note_params": {
            "km": round(place.distance_m / 1000, 3), "far": place.far}}
    return apply_transition(case, actor, "arrive", note=note, values=values, **coded, **kw)


def finish(case: Case, actor: Actor, note: str, photos: tuple[StoredPhoto, ...] = (),
           **kw: Any) -> Case:
    """完成: what was done, with optional after photos (already checked and stored)."""
    note = _required(note, "note", _("Please say what was done."))
    apply_transition(case, actor, "finish", note=note, values={
        "done_at": _stamp(kw), "done_by_id": actor.user.id if actor.user else None}, **kw)
    for photo in photos:
        db.session.add(CasePhoto(case_id=case.id, key=photo.key, stage=PhotoStage.AFTER,
                                 width=photo.width, height=photo.height,
                                 size_bytes=photo.size_bytes))
    db.session.flush()
    return case


def check_work(case: Case, actor: Actor, note: str = "", **kw: Any) -> Case:
    """复核通过: a second person (the captain or a coordinator) compared the volunteer's note
    and after photos with the report; only then may the reply go out."""
    return apply_transition(case, actor, "check_work", note=note, values={
        "work_checked_at": _stamp(kw),
        "work_checked_by_id": actor.user.id if actor.user else None}, **kw)


def return_work(case: Case, actor: Actor, note: str, **kw: Any) -> Case:
    """复核不通过: back to the volunteer, with the comment they must see (not internal)."""
    note = _required(note, "note", _("Please say what is missing, for the volunteer."))
    return apply_transition(case, actor, "return_work", note=note, values={
        "done_at": None, "done_by_id": None, "checked_in_at": None,
        "checkin_distance_m": None}, **kw)


def reply(case: Case, actor: Actor, text: str, **kw: Any) -> Case:
    """回复: the answer the resident sees on the case's public page."""
    text = _required(text, "text", _("Please write the reply to the resident."))
    return apply_transition(case, actor, "reply", note=text,
                       values={"reply_text": text, "replied_at": _stamp(kw)}, **kw)


def give_feedback(case: Case, actor: Actor, *, satisfied: bool, rating: int,
                  comment: str = "", fixed: bool | None = None, **kw: Any) -> Case:
    """反馈: the resident's verdict (or one a coordinator took down by phone)."""
    if not 1 <= int(rating) <= 5:
        raise InvalidInput("rating", _("Choose a rating from 1 to 5."))
    # The verdict is the software's words; the comment is the resident's own.
    return apply_transition(case, actor, "give_feedback", note=comment.strip(),
                            note_code="feedback", note_params={
                                "satisfied": bool(satisfied), "rating": int(rating),
                                "fixed": fixed}, values={
        "feedback_satisfied": satisfied, "feedback_rating": int(rating),
        "feedback_comment": comment.strip() or None, "feedback_fixed": fixed}, **kw)


def reopen(case: Case, actor: Actor, note: str, **kw: Any) -> Case:
    """An unsatisfied resident: back to the same assignee, with a fresh deadline."""
    note = _required(note, "note", _("Please say what still needs doing."))
    return apply_transition(case, actor, "reopen", note=note, values={
        "work_checked_at": None, "work_checked_by_id": None, "done_at": None,
        "done_by_id": None, "feedback_satisfied": None, "feedback_rating": None,
        "feedback_comment": None, "feedback_fixed": None}, **kw)


def archive(case: Case, actor: Actor, note: str = "", **kw: Any) -> Case:
    """归档: one case, one record, one resolution."""
    return apply_transition(case, actor, "archive", note=note, values={
        "outcome": Outcome.RESOLVED, "archived_at": _stamp(kw)}, **kw)


def mark_duplicate(case: Case, actor: Actor, original: Case, note: str = "",
                   **kw: Any) -> Case:
    """Merge into the case it repeats: archived as a duplicate, its supporters move to the
    original and its reporter becomes one of them; both ledgers say so. Every change is an
    UPDATE or INSERT that decides on its own, no count is read and written back."""
    while original.duplicate_of is not None:  # link to the first report, not a copy
        original = original.duplicate_of
    if original.id == case.id:
        raise InvalidInput("original", _("A case cannot duplicate itself."))
    at = _stamp(kw)
    apply_transition(case, actor, "mark_duplicate", note=note or original.tracking_code, values={
        "outcome": Outcome.DUPLICATE, "duplicate_of_id": original.id, "archived_at": at,
        "support_count": 0}, **kw)
    moved = db.session.execute(
        update(Supporter).where(Supporter.case_id == case.id)
        .values(case_id=original.id).execution_options(synchronize_session=False)).rowcount
    db.session.add(Supporter(case_id=original.id, phone=case.reporter_phone,
                             submission_token=f"merge:{case.tracking_code}", created_at=at))
    add_supporters(original.id, moved + 1)
    record_event(original, actor, "duplicate_linked", internal=False, at=at,
                 note_code="merged_in", note_params={"code": case.tracking_code, "n": moved})
    return case


def escalate(case: Case, actor: Actor, note: str, expected_version: int | None = None,
             at: datetime | None = None) -> CaseEvent:
    """上报: a coordinator tells the studio's lead coordinator about an open case by hand.
    Once per deadline: a new deadline clears ``escalated_at``."""
    if not actor.at_desk:
        raise NotPermitted("escalate")
    note = _required(note, "note", _("Please say why the lead should look at it."))
    if expected_version is not None and expected_version != case.version:
        raise Conflict(case.id, case.status)
    if case.status not in OPEN_STATUSES:
        raise IllegalTransition("escalate", case.status,
                                reason=_("Only an open case can be escalated."))
    if case.escalated_at is not None:
        raise IllegalTransition("escalate", case.status, reason=_(
            "This case was already escalated since its current deadline was set."))
    at = at or utcnow()
    return amend(case, actor, "escalate", {"escalated_at": at}, note=note, at=at,
                 note_code="escalated_by_hand", note_params={})


def mark_not_ours(case: Case, actor: Actor, reason: str, **kw: Any) -> Case:
    reason = _required(reason, "reason", _("Please give the reason, for the resident."))
    return apply_transition(case, actor, "mark_not_ours", note=reason, values={
        "outcome": Outcome.NOT_OURS, "closing_reason": reason[:255],
        "archived_at": _stamp(kw)}, **kw)


def add_note(case: Case, actor: Actor, text: str, at: datetime | None = None) -> CaseEvent:
    """An internal note: in the ledger, never on the public page."""
    if not actor.at_desk:
        raise NotPermitted("add_note")
    text = _required(text, "text", _("The note is empty."))
    return record_event(case, actor, "add_note", text, internal=True, at=at)
