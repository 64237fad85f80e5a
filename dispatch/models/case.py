"""A case and its ledger: the statuses, the allowed transitions, and the append-only events.

The transition table below is the single source of what may happen to a case; the
lifecycle service enforces it and the case page offers exactly what it allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.base import BilingualName, LabelledEnum, UTCDateTime, utcnow
from dispatch.models.people import Team, User
from dispatch.models.places import Studio, enum_column


class CaseKind(LabelledEnum):
    HAZARD = "hazard"
    WISH = "wish"
    INSPECTION = "inspection"

    @classmethod
    def _labels(cls) -> dict[CaseKind, str]:
        return KIND_LABELS


KIND_LABELS = {
    CaseKind.HAZARD: _l("Hazard"),
    CaseKind.WISH: _l("Micro-wish"),
    CaseKind.INSPECTION: _l("Inspection finding"),
}


class CaseStatus(LabelledEnum):
    """The six steps of the reception flow: 登记 接待 处理 回复 反馈 归档."""

    REGISTERED = "registered"
    RECEIVED = "received"
    HANDLING = "handling"
    REPLIED = "replied"
    FEEDBACK = "feedback"
    ARCHIVED = "archived"

    @classmethod
    def _labels(cls) -> dict[CaseStatus, str]:
        return STATUS_LABELS


STATUS_LABELS = {
    CaseStatus.REGISTERED: _l("Registered"),
    CaseStatus.RECEIVED: _l("Received"),
    CaseStatus.HANDLING: _l("Being handled"),
    CaseStatus.REPLIED: _l("Replied"),
    CaseStatus.FEEDBACK: _l("Feedback given"),
    CaseStatus.ARCHIVED: _l("Archived"),
}


class AssignmentStatus(LabelledEnum):
    """Where the work stands while a case is being handled."""

    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    ON_SITE = "on_site"
    DONE = "done"

    @classmethod
    def _labels(cls) -> dict[AssignmentStatus, str]:
        return ASSIGNMENT_LABELS


ASSIGNMENT_LABELS = {
    AssignmentStatus.ASSIGNED: _l("Assigned"),
    AssignmentStatus.ACCEPTED: _l("Accepted"),
    AssignmentStatus.ON_SITE: _l("On site"),
    AssignmentStatus.DONE: _l("Done"),
}


class Outcome(LabelledEnum):
    """Why a case was archived."""

    RESOLVED = "resolved"
    DUPLICATE = "duplicate"
    NOT_OURS = "not_ours"

    @classmethod
    def _labels(cls) -> dict[Outcome, str]:
        return OUTCOME_LABELS


OUTCOME_LABELS = {
    Outcome.RESOLVED: _l("Resolved"),
    Outcome.DUPLICATE: _l("Duplicate"),
    Outcome.NOT_OURS: _l("Not ours"),
}


# Who may take a step: "desk" = coordinator or admin; "assignee" = the assigned volunteer
# or the captain of the assigned team; "crew" = the assignee or any member of that team;
# "volunteer" = any active captain or volunteer (claiming); "resident" = whoever holds the
# tracking code; "system" = the periodic jobs.
# "reviewer" = the captain of the assigned team (or of the assigned volunteer's team), who
# may check finished work as the coordinator can.
DESK, ASSIGNEE, CREW, VOLUNTEER = "desk", "assignee", "crew", "volunteer"
REVIEWER = "reviewer"
RESIDENT, SYSTEM = "resident", "system"

S, A = CaseStatus, AssignmentStatus
UNFINISHED_WORK = frozenset({A.ASSIGNED, A.ACCEPTED, A.ON_SITE})


@dataclass(frozen=True)
class Transition:
    action: str
    from_status: CaseStatus
    from_assignments: frozenset[AssignmentStatus | None]
    to_status: CaseStatus
    to_assignment: AssignmentStatus | None
    actors: frozenset[str]
    label: str
    danger: bool = False

    def applies_to(self, status: CaseStatus, assignment: AssignmentStatus | None) -> bool:
        return status == self.from_status and assignment in self.from_assignments


def _t(action: str, frm: CaseStatus, frm_a: frozenset[AssignmentStatus | None] | None,
       to: CaseStatus, to_a: AssignmentStatus | None, actors: set[str], label: str,
       danger: bool = False) -> Transition:
    return Transition(action, frm, frm_a or frozenset({None}), to, to_a, frozenset(actors),
                      label, danger)


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    _t("receive", S.REGISTERED, None, S.RECEIVED, None, {DESK}, _l("Receive")),
    _t("assign", S.RECEIVED, None, S.HANDLING, A.ASSIGNED, {DESK}, _l("Assign")),
    _t("mark_duplicate", S.RECEIVED, None, S.ARCHIVED, None, {DESK},
       _l("Archive as duplicate"), danger=True),
    _t("mark_not_ours", S.RECEIVED, None, S.ARCHIVED, None, {DESK},
       _l("Archive as not ours"), danger=True),
    _t("accept", S.HANDLING, frozenset({A.ASSIGNED}), S.HANDLING, A.ACCEPTED,
       {DESK, ASSIGNEE}, _l("Accept")),
    _t("decline", S.HANDLING, frozenset({A.ASSIGNED}), S.RECEIVED, None, {ASSIGNEE},
       _l("Decline"), danger=True),
    _t("arrive", S.HANDLING, frozenset({A.ACCEPTED}), S.HANDLING, A.ON_SITE,
       {DESK, CREW}, _l("On site")),
    _t("finish", S.HANDLING, frozenset({A.ON_SITE}), S.HANDLING, A.DONE,
       {DESK, CREW}, _l("Done")),
    _t("reassign", S.HANDLING, UNFINISHED_WORK, S.HANDLING, A.ASSIGNED, {DESK},
       _l("Reassign")),
    # 认领: a volunteer takes a micro-wish or a published task straight into their hands.
    _t("claim", S.RECEIVED, None, S.HANDLING, A.ACCEPTED, {VOLUNTEER}, _l("Claim")),
    _t("release", S.HANDLING, frozenset({A.ACCEPTED, A.ON_SITE}), S.RECEIVED, None,
       {ASSIGNEE, DESK}, _l("Release"), danger=True),
    _t("expire_claim", S.HANDLING, frozenset({A.ACCEPTED, A.ON_SITE}), S.RECEIVED, None,
       {SYSTEM}, _l("Release an expired claim")),
    # A reply left without feedback for AUTO_CONFIRM_DAYS counts as confirmed.
    _t("auto_confirm", S.REPLIED, None, S.FEEDBACK, None, {SYSTEM},
       _l("Confirm without feedback")),
    # 复核: a second person checks the finished work against the note and after photos.
    _t("check_work", S.HANDLING, frozenset({A.DONE}), S.HANDLING, A.DONE, {DESK, REVIEWER},
       _l("Work checked: passed")),
    _t("return_work", S.HANDLING, frozenset({A.DONE}), S.HANDLING, A.ACCEPTED,
       {DESK, REVIEWER}, _l("Check failed: send back"), danger=True),
    _t("reply", S.HANDLING, frozenset({A.DONE}), S.REPLIED, None, {DESK},
       _l("Reply to resident")),
    _t("give_feedback", S.REPLIED, None, S.FEEDBACK, None, {DESK, RESIDENT},
       _l("Record feedback")),
    _t("reopen", S.FEEDBACK, None, S.HANDLING, A.ASSIGNED, {DESK},
       _l("Send back for handling"), danger=True),
    _t("archive", S.FEEDBACK, None, S.ARCHIVED, None, {DESK}, _l("Archive")),
)}

# How each ledger line reads: what happened, in the past tense (buttons use the labels above).
ACTION_LABELS: dict[str, str] = {
    "register": _l("Registered"),
    "receive": _l("Received"),
    "assign": _l("Assigned"),
    "reassign": _l("Reassigned"),
    "accept": _l("Accepted"),
    "decline": _l("Declined by the assignee"),
    "arrive": _l("On site"),
    "finish": _l("Work done"),
    "reply": _l("Replied to the resident"),
    "give_feedback": _l("Feedback given"),
    "reopen": _l("Sent back for handling"),
    "archive": _l("Archived"),
    "mark_duplicate": _l("Archived as a duplicate"),
    "mark_not_ours": _l("Archived: not for this studio"),
    "add_note": _l("Internal note"),
    "duplicate_linked": _l("A duplicate was linked"),
    "claim": _l("Claimed"),
    "release": _l("Claim released"),
    "expire_claim": _l("Claim expired and released"),
    "extend_claim": _l("Claim extended"),
    "on_the_way": _l("On the way"),
    "share_out": _l("Shared out to a team member"),
    "auto_confirm": _l("Confirmed: no feedback in time"),
    "escalate": _l("Escalated to the studio lead"),
    "check_work": _l("Work checked and passed"),
    "return_work": _l("Check failed: work sent back"),
    "moderate": _l("Moderated for the public page"),
    "merged_in": _l("Supporters carried over from a duplicate"),
}


# The column that adds up the time spent in each stage.
STAGE_SECONDS = {
    CaseStatus.REGISTERED: "seconds_registered",
    CaseStatus.RECEIVED: "seconds_received",
    CaseStatus.HANDLING: "seconds_handling",
    CaseStatus.REPLIED: "seconds_replied",
    CaseStatus.FEEDBACK: "seconds_feedback",
}


class Category(BilingualName, db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120))
    icon: Mapped[str] = mapped_column(String(8), default="")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    receive_hours: Mapped[int] = mapped_column(default=24)
    handle_hours: Mapped[int] = mapped_column(default=72)
    reply_hours: Mapped[int] = mapped_column(default=120)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("reply_hours > 0", name="reply_hours_positive"),
    )


class Case(db.Model):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[CaseKind] = mapped_column(enum_column(CaseKind, "kind"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(255), default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("studios.id"), index=True)
    reporter_name: Mapped[str | None] = mapped_column(String(60))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    reporter_wants_updates: Mapped[bool] = mapped_column(default=False)

    status: Mapped[CaseStatus] = mapped_column(
        enum_column(CaseStatus, "status"), default=CaseStatus.REGISTERED, index=True)
    assignment_status: Mapped[AssignmentStatus | None] = mapped_column(
        enum_column(AssignmentStatus, "assignment_status"))
    assigned_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    assigned_volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True)
    # For team work: the member the captain shared it out to (the team stays the assignee).
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, "outcome"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    closing_reason: Mapped[str | None] = mapped_column(String(255))
    reply_text: Mapped[str | None] = mapped_column(Text)
    feedback_satisfied: Mapped[bool | None]
    feedback_rating: Mapped[int | None] = mapped_column(Integer)
    feedback_comment: Mapped[str | None] = mapped_column(Text)
    feedback_fixed: Mapped[bool | None]

    # The hidden token of the form that filed it: a double-tapped submit files one case.
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    support_count: Mapped[int] = mapped_column(default=0, server_default="0")  # "me too"s

    # A claim (认领) lasts until claim_expires_at and may be extended once.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    claim_extended: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Field work: check-in on site (flagged when far from the case) and when it was done.
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_distance_m: Mapped[float | None] = mapped_column(Float)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # overdue, lead told
    # Who recorded the work as done, and the second person who checked it before the reply.
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    work_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    work_checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # The clock of each stage: ``due_at`` is the deadline of the stage the case is in (from
    # its category's hours), and the seconds spent in each stage add up across reopenings.
    stage_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seconds_registered: Mapped[int] = mapped_column(default=0, server_default="0")
    seconds_received: Mapped[int] = mapped_column(default=0, server_default="0")
    seconds_handling: Mapped[int] = mapped_column(default=0, server_default="0")
    seconds_replied: Mapped[int] = mapped_column(default=0, server_default="0")
    seconds_feedback: Mapped[int] = mapped_column(default=0, server_default="0")

    # One more than the number of ledger events; the conditional UPDATE checks it.
    version: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[Category] = relationship()
    studio: Mapped[Studio | None] = relationship()
    assigned_team: Mapped[Team | None] = relationship()
    assigned_volunteer: Mapped[User | None] = relationship(foreign_keys=[assigned_volunteer_id])
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])
    work_checked_by: Mapped[User | None] = relationship(foreign_keys=[work_checked_by_id])
    duplicate_of: Mapped[Case | None] = relationship(remote_side=[id])
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.seq", viewonly=True)
    photos: Mapped[list[CasePhoto]] = relationship(
        back_populates="case", order_by="CasePhoto.id")

    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180",
                        name="coordinates"),
        CheckConstraint("(status = 'handling') = (assignment_status IS NOT NULL)",
                        name="assignment_only_while_handling"),
        CheckConstraint("status <> 'handling' OR assigned_team_id IS NOT NULL "
                        "OR assigned_volunteer_id IS NOT NULL", name="handling_has_assignee"),
        CheckConstraint("assigned_team_id IS NULL OR assigned_volunteer_id IS NULL",
                        name="one_assignee"),
        CheckConstraint("(status = 'archived') = (outcome IS NOT NULL)",
                        name="outcome_when_archived"),
        CheckConstraint("outcome <> 'duplicate' OR duplicate_of_id IS NOT NULL",
                        name="duplicate_has_original"),
        CheckConstraint("duplicate_of_id IS NULL OR duplicate_of_id <> id",
                        name="not_own_duplicate"),
        CheckConstraint("feedback_rating IS NULL OR feedback_rating BETWEEN 1 AND 5",
                        name="rating_range"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    @property
    def is_overdue(self) -> bool:
        open_statuses = (CaseStatus.REGISTERED, CaseStatus.RECEIVED, CaseStatus.HANDLING)
        return bool(self.due_at and self.status in open_statuses and self.due_at < utcnow())

    @property
    def assignee_name(self) -> str | None:
        if self.assigned_team:
            return self.assigned_team.name
        if self.assigned_volunteer:
            return self.assigned_volunteer.display_name
        return None


class CaseEvent(db.Model):
    """One line of the ledger (台账). Written once, never changed, never deleted."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int]  # equals the case's version after this event
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_name: Mapped[str] = mapped_column(String(60), default="")
    from_status: Mapped[CaseStatus | None] = mapped_column(
        enum_column(CaseStatus, "from_status"))
    to_status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus, "to_status"))
    from_assignment: Mapped[AssignmentStatus | None] = mapped_column(
        enum_column(AssignmentStatus, "from_assignment"))
    to_assignment: Mapped[AssignmentStatus | None] = mapped_column(
        enum_column(AssignmentStatus, "to_assignment"))
    note: Mapped[str] = mapped_column(Text, default="")
    internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="events")

    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),)

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))


class PhotoStage(LabelledEnum):
    REPORT = "report"  # taken by the resident when reporting
    AFTER = "after"    # taken by the volunteer when the work is done

    @classmethod
    def _labels(cls) -> dict[PhotoStage, str]:
        return PHOTO_STAGE_LABELS


PHOTO_STAGE_LABELS = {
    PhotoStage.REPORT: _l("Reported"),
    PhotoStage.AFTER: _l("After the work"),
}


class CasePhoto(db.Model):
    """A photo stored under the uploads folder as ``<key>.jpg`` and ``<key>_thumb.jpg``,
    re-encoded with every EXIF field removed."""

    __tablename__ = "case_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    stage: Mapped[PhotoStage] = mapped_column(enum_column(PhotoStage, "stage"))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    hidden: Mapped[bool] = mapped_column(default=False)  # moderation: off the public pages
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="photos")


class Supporter(db.Model):
    """A resident who said "me too" to an open case instead of filing a new one."""

    __tablename__ = "supporters"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, optional
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
