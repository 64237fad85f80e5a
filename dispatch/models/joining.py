"""People joining and leaving: volunteers' applications, one-time links (set or reset a
password), and the audit log of changes to people and settings (who, when, before, after)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.base import LabelledEnum, UTCDateTime, utcnow
from dispatch.models.people import Team, User
from dispatch.models.places import enum_column


class ApplicationStatus(LabelledEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"

    @classmethod
    def _labels(cls) -> dict[ApplicationStatus, str]:
        return APPLICATION_LABELS


APPLICATION_LABELS = {
    ApplicationStatus.PENDING: _l("Waiting for a decision"),
    ApplicationStatus.APPROVED: _l("Approved"),
    ApplicationStatus.DECLINED: _l("Declined"),
}


class VolunteerApplication(db.Model):
    """A resident who wants to volunteer, from the phone; decided once (a conditional
    UPDATE on the pending status) by a coordinator or the captain of the team wanted."""

    __tablename__ = "volunteer_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164; None once anonymised
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    base_place: Mapped[str] = mapped_column(String(120), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "status"), default=ApplicationStatus.PENDING,
        index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    # One application waiting per phone number: the database decides a second one.
    __table_args__ = (
        Index("uq_volunteer_applications_pending_phone", "phone", unique=True,
              sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
    )


class OneTimeLink(db.Model):
    """A link that sets a password once (a new volunteer's first, or a reset by a
    coordinator). Only the sha256 of its token is kept; using it is a conditional UPDATE."""

    __tablename__ = "one_time_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AuditEntry(db.Model):
    """One change to people or settings: who, when, what, the values before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(60), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(60), default="")  # e.g. "user:5"
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (CheckConstraint("action <> ''", name="action_given"),)
