"""A case and its ledger: the case row, its append-only events, photos and supporters.

What a case can be and what may happen to it is in ``vocabulary.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.base import BilingualName, UTCDateTime, utcnow
from dispatch.models.ledger_notes import render as render_note
from dispatch.models.people import Team, User
from dispatch.models.places import Studio, enum_column
from dispatch.models.vocabulary import (
    ACTION_LABELS,
    OPEN_STATUSES,
    AssignmentStatus,
    CaseKind,
    CaseStatus,
    ClockUnit,
    IntakeChannel,
    Outcome,
    PhotoStage,
)

# A micro-wish is often someone's home: public pages show it only to a grid of 0.001°
# (about 110 m by 100 m here), drawn as a circle of WISH_PRECISION_M around the grid point.
WISH_DECIMALS = 3
WISH_PRECISION_M = 100


def public_point(kind: CaseKind | str, latitude: float,
                 longitude: float) -> tuple[float, float]:
    """Where public pages, maps and APIs may put a case of this kind at this place."""
    if kind in (CaseKind.WISH, CaseKind.WISH.value):
        return round(latitude, WISH_DECIMALS), round(longitude, WISH_DECIMALS)
    return latitude, longitude


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
    # What the three clocks above count: hours, or working days (services/workdays.py).
    clock_unit: Mapped[ClockUnit] = mapped_column(
        enum_column(ClockUnit, "clock_unit"), default=ClockUnit.HOURS,
        server_default=ClockUnit.HOURS.value)
    active: Mapped[bool] = mapped_column(default=True)  # False: retired (kept, not offered)
    # Raised by every change on the settings page: a second editor's stale form is refused.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # What a resident may file under it: "hazard", "wish", or None for both.
    kind: Mapped[str | None] = mapped_column(String(16))
    # Whether volunteers may claim its micro-wishes and published tasks on the phone (a
    # hazard is never claimed, whatever this says), and how long a claim lasts.
    claimable: Mapped[bool] = mapped_column(default=True, server_default=true())
    claim_hours: Mapped[int] = mapped_column(default=72, server_default="72")

    __table_args__ = (
        CheckConstraint("reply_hours > 0", name="reply_hours_positive"),
    )

    def fits(self, kind: CaseKind | str) -> bool:
        return self.kind is None or self.kind == CaseKind(kind).value


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
    # How it reached the studio (来访 来电 微信群 信件 巡查, or 网上: the resident's form).
    channel: Mapped[IntakeChannel] = mapped_column(
        enum_column(IntakeChannel, "channel"), default=IntakeChannel.ONLINE,
        server_default=IntakeChannel.ONLINE.value, index=True)

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
    # Moderation replaces what the public reads; the team doing the work still reads what
    # the resident wrote (set once, at the first moderation of that text).
    original_title: Mapped[str | None] = mapped_column(String(120))
    original_description: Mapped[str | None] = mapped_column(Text)

    # The hidden token of the form that filed it: a double-tapped submit files one case.
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    support_count: Mapped[int] = mapped_column(default=0, server_default="0")  # "me too"s
    # sha256 (hex) of the resident's feedback key, which only the link they got after
    # filing carries; None for cases filed by the desk, imported, or filed before it existed.
    feedback_key_hash: Mapped[str | None] = mapped_column(String(64))

    # A claim (认领) lasts until claim_expires_at and may be extended once.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    claim_extended: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Field work: check-in on site (flagged when far from the case) and when it was done.
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 出发: once per round of work; any change of the assignment state clears it.
    on_the_way_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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
        # Open work in hand per responder (suggest.open_work): the responder's id with the
        # status, so SQLite seeks each id's handling cases instead of reading every handling
        # case through the status index.
        Index("ix_cases_team_status", "assigned_team_id", "status"),
        Index("ix_cases_handler_status", "handled_by_id", "status"),
        Index("ix_cases_volunteer_status", "assigned_volunteer_id", "status"),
    )

    @property
    def is_overdue(self) -> bool:
        return bool(self.due_at and self.status in OPEN_STATUSES and self.due_at < utcnow())

    @property
    def public_point(self) -> tuple[float, float]:
        """Where public pages, maps and APIs may put the case: a wish only to the grid."""
        return public_point(self.kind, self.latitude, self.longitude)

    @property
    def work_title(self) -> str:
        """The title as the resident wrote it: for the team doing the work, never public."""
        return self.original_title or self.title

    @property
    def work_description(self) -> str:
        return self.original_description or self.description

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
    note: Mapped[str] = mapped_column(Text, default="")  # as a person typed it
    # What the software itself says about the step: a code with parameters, worded when
    # read (models/ledger_notes.py), so each reader sees it in their own language.
    note_code: Mapped[str | None] = mapped_column(String(40))
    note_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="events")

    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),)

    @property
    def coded_text(self) -> str:
        """The software's own words about the step, in the reader's language."""
        return render_note(self.note_code, self.note_params)

    @property
    def text(self) -> str:
        """The whole line: the software's words, then what the person typed."""
        return "\n".join(part for part in (self.coded_text, self.note) if part)

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))



PHOTO_STATES = ("pending", "ready", "refused")


class CasePhoto(db.Model):
    """A photo stored under the uploads folder as ``<key>.jpg`` and ``<key>_thumb.jpg``,
    re-encoded with every EXIF field removed.

    ``state``: "pending" while the upload (checked by content when it arrived, kept as
    ``<key>.upload``, never served) waits for the worker to decode and re-encode it;
    "ready" once both files exist; "refused" when it could not be decoded after all
    (then hidden, its files removed). Only a ready photo's files are ever served."""

    __tablename__ = "case_photos"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'ready', 'refused')", name="photo_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    stage: Mapped[PhotoStage] = mapped_column(enum_column(PhotoStage, "stage"))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    hidden: Mapped[bool] = mapped_column(default=False)  # moderation: off the public pages
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A row made without saying is pending: nothing is served until the worker says ready.
    state: Mapped[str] = mapped_column(String(8), default="pending", server_default="ready")

    case: Mapped[Case] = relationship(back_populates="photos")


class Supporter(db.Model):
    """A resident who said "me too" to an open case instead of filing a new one."""

    __tablename__ = "supporters"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, optional
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
