"""People: staff accounts with roles, volunteer teams and volunteer profiles.

Residents have no account: they are known by a case's tracking code and, if they
choose, a name and phone number on the case.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, Float, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from dispatch.extensions import db
from dispatch.models.base import BilingualName, LabelledEnum, UTCDateTime, utcnow
from dispatch.models.places import Region, Studio, enum_column


class Role(LabelledEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    CAPTAIN = "captain"
    VOLUNTEER = "volunteer"

    @classmethod
    def _labels(cls) -> dict[Role, str]:
        return ROLE_LABELS


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.CAPTAIN: _l("Captain"),
    Role.VOLUNTEER: _l("Volunteer"),
}

# Roles that run the studio desk; admins may do everything a coordinator may.
DESK_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
FIELD_ROLES = frozenset({Role.CAPTAIN, Role.VOLUNTEER})

SKILL_LABELS = {
    "repair": _l("Repairs"),
    "traffic": _l("Traffic facilities"),
    "cleaning": _l("Cleaning and sanitation"),
    "greening": _l("Greenery"),
    "electrical": _l("Electrical and charging"),
    "elder_care": _l("Help for elders"),
    "road": _l("Road upkeep"),
    "coordination": _l("Liaison with owners and property companies"),
    "safety": _l("Safety patrol"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(20))
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("studios.id"), index=True)
    is_studio_lead: Mapped[bool] = mapped_column(default=False)
    # How this person hears about their work: the in-app inbox always, email if they ask.
    email: Mapped[str | None] = mapped_column(String(254))
    notify_by_email: Mapped[bool] = mapped_column(default=False, server_default=false())
    language: Mapped[str | None] = mapped_column(String(5))  # of messages; None: default
    active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # left; kept
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the session's user id: raised at sign-out, a password change or deactivation,
    # so that every copy of an older session cookie stops working at once.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Raised by every change on the users' settings page: a stale form is refused.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    studio: Mapped[Studio | None] = relationship()
    profile: Mapped[VolunteerProfile | None] = relationship(back_populates="user")

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:  # what Flask-Login keeps in the session and checks on load
        return f"{self.id}:{self.session_version or 0}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def at_desk(self) -> bool:
        return self.role in DESK_ROLES

    @property
    def team_id(self) -> int | None:
        return self.profile.team_id if self.profile else None


class Team(BilingualName, db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("studios.id"), index=True)
    captain_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # The team's group-chat robot: "wecom", "dingtalk" or "feishu", and its webhook URL.
    webhook_kind: Mapped[str | None] = mapped_column(String(16))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    # Raised by every change on the team's settings page: a stale form is refused.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    region: Mapped[Region] = relationship()
    studio: Mapped[Studio | None] = relationship()
    captain: Mapped[User | None] = relationship()
    members: Mapped[list[VolunteerProfile]] = relationship(back_populates="team")


class VolunteerProfile(db.Model):
    """What dispatching needs to know about a captain or volunteer."""

    __tablename__ = "volunteer_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    on_duty: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="profile")
    team: Mapped[Team | None] = relationship(back_populates="members")

    # Suggesting responders looks volunteers up by a box around the case first.
    __table_args__ = (Index("ix_volunteer_profiles_lat_lon", "latitude", "longitude"),)
