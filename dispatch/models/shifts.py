"""Shifts (班次) at a site, the volunteers signed up for them, and each volunteer's secret
calendar feed.

Capacity is decided in the database: ``taken`` counts the active sign-ups, a CHECK keeps it
between 0 and ``places``, and a sign-up raises it with one conditional UPDATE. A partial
unique index allows one active sign-up per volunteer and shift.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.base import LabelledEnum, UTCDateTime, utcnow
from dispatch.models.people import Team, User
from dispatch.models.places import Studio, enum_column


class ShiftState(LabelledEnum):
    OPEN = "open"
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls) -> dict[ShiftState, str]:
        return SHIFT_STATE_LABELS


SHIFT_STATE_LABELS = {ShiftState.OPEN: _l("Published"), ShiftState.CANCELLED: _l("Cancelled")}


class SignupState(LabelledEnum):
    SIGNED_UP = "signed_up"
    DROPPED = "dropped"  # by the volunteer, before the cut-off
    RELEASED = "released"  # by the captain, at any time before check-in

    @classmethod
    def _labels(cls) -> dict[SignupState, str]:
        return SIGNUP_STATE_LABELS


SIGNUP_STATE_LABELS = {
    SignupState.SIGNED_UP: _l("Signed up"),
    SignupState.DROPPED: _l("Dropped out"),
    SignupState.RELEASED: _l("Released by the captain"),
}


class Availability(LabelledEnum):
    """The one answer to "can this volunteer sign up for this shift?", shown by the phone
    page, returned by the API and raised as the reason when a sign-up is refused."""

    AVAILABLE = "available"
    FULL = "full"
    PAST = "past"
    NOT_YET_OPEN = "not_yet_open"
    OVERLAPS = "overlaps"
    SKILL_MISSING = "skill_missing"
    CANCELLED = "cancelled"
    SIGNED_UP = "signed_up"

    @classmethod
    def _labels(cls) -> dict[Availability, str]:
        return AVAILABILITY_LABELS


AVAILABILITY_LABELS = {
    Availability.AVAILABLE: _l("Open for sign-up"),
    Availability.FULL: _l("Full"),
    Availability.PAST: _l("Started or over"),
    Availability.NOT_YET_OPEN: _l("Sign-up not open yet"),
    Availability.OVERLAPS: _l("Overlaps another shift of yours"),
    Availability.SKILL_MISSING: _l("A wanted skill is missing"),
    Availability.CANCELLED: _l("Cancelled"),
    Availability.SIGNED_UP: _l("You are signed up"),
}


class Shift(db.Model):
    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("studios.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    captain_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    site_name: Mapped[str] = mapped_column(String(120))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: open at once
    places: Mapped[int] = mapped_column()
    taken: Mapped[int] = mapped_column(default=0, server_default="0")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)  # any one of them will do
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[ShiftState] = mapped_column(enum_column(ShiftState, "shift_state"),
                                              default=ShiftState.OPEN)
    # Occurrences expanded from one recurrence rule share its series and keep the rule.
    series: Mapped[str | None] = mapped_column(String(32), index=True)
    rule: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    studio: Mapped[Studio | None] = relationship()
    team: Mapped[Team | None] = relationship()
    captain: Mapped[User | None] = relationship(foreign_keys=[captain_id])
    signups: Mapped[list[ShiftSignup]] = relationship(back_populates="shift",
                                                      order_by="ShiftSignup.id")

    __table_args__ = (
        CheckConstraint("places > 0", name="places_positive"),
        CheckConstraint("taken >= 0 AND taken <= places", name="taken_within_places"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    @property
    def free_places(self) -> int:
        return max(self.places - self.taken, 0)


class ShiftSignup(db.Model):
    __tablename__ = "shift_signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[SignupState] = mapped_column(enum_column(SignupState, "signup_state"),
                                               default=SignupState.SIGNED_UP)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # dropped or released
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_distance_m: Mapped[float | None] = mapped_column(Float)
    checkin_far: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    no_show: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    shift: Mapped[Shift] = relationship(back_populates="signups")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        Index("uq_shift_signups_active", "shift_id", "user_id", unique=True,
              sqlite_where=text("state = 'signed_up'"),
              postgresql_where=text("state = 'signed_up'")),
        CheckConstraint("checked_out_at IS NULL OR checked_in_at IS NOT NULL",
                        name="out_after_in"),
    )

    @property
    def hours(self) -> float:
        if self.checked_in_at and self.checked_out_at and \
                self.checked_out_at > self.checked_in_at:
            return (self.checked_out_at - self.checked_in_at).total_seconds() / 3600
        return 0.0


class CalendarFeed(db.Model):
    """A volunteer's secret calendar address: only the token's SHA-256 is kept, so a new
    address (or none) revokes the old one at once."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

