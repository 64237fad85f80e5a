"""Keeping personal data no longer than needed: once ``RETENTION_MONTHS`` have passed,
the periodic job anonymises

* people who left (deactivated that long ago): name, phone, email and base place go, the
  account stays (their history in the ledger keeps the name it was written with: the
  ledger is never edited);
* residents of cases archived that long ago: their name and phone on the case, the
  phones of those who said "me too", and the names and phones of the reception list.

Each run writes one line in the audit log with the counts. Safe to run twice: what was
anonymised is not touched again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from dispatch.extensions import db
from dispatch.models import (
    Case,
    CaseStatus,
    ReceptionVisit,
    Supporter,
    User,
    VolunteerApplication,
    VolunteerProfile,
    utcnow,
)
from dispatch.services import audit

DAYS_PER_MONTH = 30.44


def cutoff(now: datetime) -> datetime:
    months = current_app.config.get("RETENTION_MONTHS", 24)
    return now - timedelta(days=months * DAYS_PER_MONTH)


def anonymise(now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    before = cutoff(now)
    users = list(db.session.scalars(select(User).where(
        User.active.is_(False), User.deactivated_at.is_not(None),
        User.deactivated_at < before, User.anonymised_at.is_(None))))
    for user in users:
        db.session.execute(update(User).where(User.id == user.id).values(
            display_name=f"#{user.id}", phone=None, email=None, notify_by_email=False,
            anonymised_at=now).execution_options(synchronize_session=False))
        db.session.execute(update(VolunteerProfile).where(VolunteerProfile.user_id == user.id)
                           .values(latitude=None, longitude=None)
                           .execution_options(synchronize_session=False))
        db.session.execute(update(VolunteerApplication).where(
            VolunteerApplication.user_id == user.id).values(
            name=f"#{user.id}", phone=None, base_place="", latitude=None, longitude=None)
            .execution_options(synchronize_session=False))
    old_cases = select(Case.id).where(Case.status == CaseStatus.ARCHIVED,
                                      Case.archived_at < before)
    # Not through the ledger's writer: no step of the case, no version, no ledger line.
    residents = db.session.execute(update(Case).where(
        Case.id.in_(old_cases), or_(Case.reporter_name.is_not(None),
                                    Case.reporter_phone.is_not(None)))
        .values(reporter_name=None, reporter_phone=None, reporter_wants_updates=False)
        .execution_options(synchronize_session=False)).rowcount
    supporters = db.session.execute(update(Supporter).where(
        Supporter.case_id.in_(old_cases), Supporter.phone.is_not(None))
        .values(phone=None).execution_options(synchronize_session=False)).rowcount
    visits = db.session.execute(update(ReceptionVisit).where(
        ReceptionVisit.created_at < before, or_(ReceptionVisit.visitor_name.is_not(None),
                                                ReceptionVisit.visitor_phone.is_not(None)))
        .values(visitor_name=None, visitor_phone=None)
        .execution_options(synchronize_session=False)).rowcount
    counts = {"users": len(users), "cases": residents, "supporters": supporters,
              "reception_visits": visits}
    audit.record(None, "retention.anonymise", "", after=counts,
                 note=f"RETENTION_MONTHS={current_app.config.get('RETENTION_MONTHS', 24)}")
    db.session.expire_all()
    return counts
