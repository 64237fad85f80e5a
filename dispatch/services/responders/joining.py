"""Volunteers joining: an application from the phone (name, phone, skills, base place,
the team wanted), decided once by a coordinator or the captain of that team. Approving
creates the volunteer's account (their phone number is the username) in the team, with a
one-time link to set their password; declining keeps the reason. Each decision is one
conditional UPDATE on the pending status, and a line in the audit log."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models import (
    ApplicationStatus,
    Role,
    Team,
    User,
    VolunteerApplication,
    utcnow,
)
from dispatch.models.people import SKILL_LABELS
from dispatch.services import audit
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.services.phones import national_digits, normalise_phone
from dispatch.services.responders import accounts, links
from dispatch.services.text import xml_safe


def apply(*, name: str, phone: str, skills: list[str], base_place: str,
          latitude: float | None, longitude: float | None, team: Team | None,
          submission_token: str) -> VolunteerApplication:
    """A new application; a second submit of the same form changes nothing."""
    name = xml_safe(name or "").strip()[:60]
    if not name:
        raise InvalidInput("name", _("Please give your name."))
    e164 = normalise_phone(phone)
    if not e164:
        raise InvalidInput("phone", _("Please give your mobile number: it will be your "
                                      "username."))
    if team is not None and not team.active:
        raise InvalidInput("team", _("This team is not taking volunteers."))
    known = db.session.scalar(select(VolunteerApplication).where(
        VolunteerApplication.submission_token == submission_token))
    if known is not None:
        return known
    application = VolunteerApplication(
        name=name, phone=e164, skills=[s for s in skills if s in SKILL_LABELS],
        base_place=xml_safe(base_place or "").strip()[:120], latitude=latitude,
        longitude=longitude, team_id=team.id if team else None,
        submission_token=submission_token)
    db.session.add(application)
    try:
        db.session.flush()
    except IntegrityError as error:  # the partial unique index: one pending per phone
        raise InvalidInput("phone", _("An application with this number is already "
                                      "waiting for a decision.")) from error
    return application


def may_decide(application: VolunteerApplication, user: User) -> bool:
    """Coordinators and admins; the captain of the team the applicant wants."""
    if user.at_desk:
        return True
    team = application.team
    return user.role == Role.CAPTAIN and team is not None and team.captain_id == user.id


def pending_for(user: User) -> list[VolunteerApplication]:
    query = select(VolunteerApplication).where(
        VolunteerApplication.status == ApplicationStatus.PENDING)
    if not user.at_desk:
        query = query.join(VolunteerApplication.team).where(Team.captain_id == user.id)
    return list(db.session.scalars(query.order_by(VolunteerApplication.id)))


def _claim_decision(application: VolunteerApplication, user: User,
                    status: ApplicationStatus, now: datetime, reason: str | None) -> None:
    if not may_decide(application, user):
        raise NotPermitted("decide")
    decided = db.session.execute(
        update(VolunteerApplication).where(
            VolunteerApplication.id == application.id,
            VolunteerApplication.status == ApplicationStatus.PENDING)
        .values(status=status, decided_by_id=user.id, decided_at=now,
                decline_reason=reason).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(application)
    if decided != 1:
        who = application.decided_by.display_name if application.decided_by else ""
        raise InvalidInput("decision", _("%(name)s already decided this application.",
                                         name=who))


def approve(application: VolunteerApplication, user: User,
            now: datetime | None = None) -> tuple[User, str]:
    """The account is created in the team wanted; returns it and its one-time link token."""
    now = now or utcnow()
    _claim_decision(application, user, ApplicationStatus.APPROVED, now, None)
    username = national_digits(application.phone or "")
    volunteer = accounts.create_user(
        username=username, display_name=application.name, role=Role.VOLUNTEER,
        password=secrets.token_urlsafe(24), phone=application.phone)
    assert volunteer.profile is not None
    volunteer.profile.team_id = application.team_id
    volunteer.profile.skills = list(application.skills or [])
    volunteer.profile.latitude, volunteer.profile.longitude = (application.latitude,
                                                               application.longitude)
    volunteer.profile.on_duty = True
    db.session.flush()
    db.session.execute(update(VolunteerApplication).where(
        VolunteerApplication.id == application.id).values(user_id=volunteer.id)
        .execution_options(synchronize_session=False))
    token = links.create(volunteer, user, now)
    audit.record(user, "application.approve", f"application:{application.id}",
                 before={"status": "pending"},
                 after={"status": "approved", "user": volunteer.id,
                        "team": application.team_id})
    return volunteer, token


def decline(application: VolunteerApplication, user: User, reason: str,
            now: datetime | None = None) -> None:
    reason = xml_safe(reason or "").strip()[:255]
    if not reason:
        raise InvalidInput("reason", _("Please give the reason, for the applicant."))
    _claim_decision(application, user, ApplicationStatus.DECLINED, now or utcnow(), reason)
    audit.record(user, "application.decline", f"application:{application.id}",
                 before={"status": "pending"}, after={"status": "declined",
                                                      "reason": reason})


def decide(application: VolunteerApplication, user: User, decision: str,
           reason: str = "") -> tuple[User, str] | None:
    """The desk's and the captain's one decision: "approve" gives the new account and its
    one-time link token, "decline" (with a reason) gives None."""
    if decision == "approve":
        return approve(application, user)
    decline(application, user, reason)
    return None
