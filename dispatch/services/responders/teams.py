"""Teams and their members: a captain's inbox and sharing work out, availability, each
volunteer's record, and the roster a coordinator keeps."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from dispatch.extensions import db
from dispatch.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Team,
    User,
    VolunteerProfile,
)
from dispatch.models.notify import WEBHOOK_KINDS
from dispatch.models.people import FIELD_ROLES, SKILL_LABELS
from dispatch.services.errors import InvalidInput


def still_active(team: Team) -> bool:
    """Whether the team is active, read under a share lock on its row that lasts until the
    commit: retiring a team locks the row for update and then counts its open cases, so a
    retirement and an assignment queue behind each other and the second sees the first.
    (The case's foreign key locks the row too, but only at the UPDATE; SQLite serialises
    writers anyway and ignores the lock.)"""
    return bool(db.session.scalar(select(Team.active).where(Team.id == team.id)
                                  .with_for_update(read=True)))


def team_led_by(user: User) -> Team | None:
    return db.session.scalar(select(Team).where(Team.captain_id == user.id))


@dataclass(frozen=True)
class MemberRow:
    user: User
    on_duty: bool
    open_work: int


def members_of(team: Team) -> list[MemberRow]:
    """Who is in the team, who is on duty, and how much open work each holds."""
    rows = db.session.execute(
        select(User, VolunteerProfile).join(VolunteerProfile)
        .where(VolunteerProfile.team_id == team.id).order_by(User.display_name))
    result = []
    for user, profile in rows:
        held = db.session.scalar(select(func.count()).select_from(Case).where(
            Case.status == CaseStatus.HANDLING,
            or_(Case.assigned_volunteer_id == user.id, Case.handled_by_id == user.id))) or 0
        result.append(MemberRow(user, profile.on_duty, held))
    return result


def inbox_of(team: Team) -> list[Case]:
    return list(db.session.scalars(select(Case).where(
        Case.assigned_team_id == team.id, Case.status == CaseStatus.HANDLING)
        .order_by(Case.due_at.asc().nulls_last())))


def set_availability(user: User, on_duty: bool, skills: list[str]) -> None:
    unknown = set(skills) - set(SKILL_LABELS)
    if unknown:
        raise InvalidInput("skills", _("Unknown skill."))
    db.session.execute(update(VolunteerProfile).where(VolunteerProfile.user_id == user.id)
                       .values(on_duty=on_duty, skills=sorted(set(skills))))


@dataclass(frozen=True)
class Record:
    tasks_done: int
    service_hours: float
    ratings: int
    average_rating: float | None


def record_of(user: User) -> Record:
    """Work this volunteer finished; hours count from check-in to done."""
    finished = db.session.scalars(select(Case).join(
        CaseEvent, (CaseEvent.case_id == Case.id) & (CaseEvent.action == "finish"))
        .where(CaseEvent.actor_id == user.id).distinct())
    cases = list(finished)
    hours = sum((c.done_at - c.checked_in_at).total_seconds() / 3600 for c in cases
                if c.done_at and c.checked_in_at and c.done_at > c.checked_in_at)
    rated = [c.feedback_rating for c in cases if c.feedback_rating]
    return Record(len(cases), round(hours, 1), len(rated),
                  round(sum(rated) / len(rated), 1) if rated else None)


def add_member(team: Team, user: User) -> None:
    if user.role not in FIELD_ROLES or user.profile is None:
        raise InvalidInput("username", _("Only captains and volunteers can join a team."))
    user.profile.team_id = team.id
    db.session.flush()


def remove_member(team: Team, user: User) -> None:
    if team.captain_id == user.id:
        raise InvalidInput("username", _("The captain cannot be removed from the team."))
    if user.profile is not None and user.profile.team_id == team.id:
        user.profile.team_id = None
        db.session.flush()


def set_webhook(team: Team, kind: str, url: str | None) -> None:
    """The team's group-chat robot; the form has checked the address is a web address."""
    if kind not in WEBHOOK_KINDS:
        raise InvalidInput("kind", _("Unknown group chat."))
    team.webhook_kind, team.webhook_url = kind, (url or "").strip() or None
    db.session.flush()


def add_member_by_username(team: Team, username: str) -> User:
    """The roster's "add": the account is named by its username, as the desk types it."""
    user = db.session.scalar(select(User).where(
        func.lower(User.username) == username.strip().lower()))
    if user is None:
        raise InvalidInput("username", _("No account has this username."))
    add_member(team, user)
    return user
