"""Pairings (结对): households paired one-to-one with a member who visits them at a chosen
rhythm; visits logged from the phone; a need found on a visit filed as a case in one tap;
a pairing handed to another member with its history (the visits stay on the household).

Who sees a household's personal data (address, people, contact): coordinators and the
member it is paired with now. Everyone else is refused (403) and sees only its label.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models import (
    Case,
    CaseKind,
    Category,
    Household,
    Pairing,
    User,
    Visit,
    utcnow,
)
from dispatch.models.people import DESK_ROLES, FIELD_ROLES
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.services.intake.filing import NewReport, file_report
from dispatch.services.phones import normalise_phone
from dispatch.services.text import xml_safe


@dataclass(frozen=True)
class HouseholdData:
    label: str
    address: str
    latitude: float
    longitude: float
    people: str = ""
    needs: str = ""
    contact_name: str = ""
    contact_phone: str | None = None


def _desk(user: User) -> bool:
    return user.active and user.role in DESK_ROLES


def paired_member_id(household: Household) -> int | None:
    return db.session.scalar(select(Pairing.member_id).where(
        Pairing.household_id == household.id, Pairing.active.is_(True)))


def may_see(household: Household, user: User | None) -> bool:
    """The household's personal data: coordinators, and the member paired with it now."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return _desk(user) or paired_member_id(household) == user.id


class HouseholdIsPrivate(NotPermitted):
    def message(self) -> str:
        return _("Only the studio's coordinators and the member paired with this household "
                 "may see it.")


def ensure_may_see(household: Household, user: User) -> None:
    if not may_see(household, user):
        raise HouseholdIsPrivate("see_household")


def _text(value: str, limit: int) -> str:
    return xml_safe(value or "").strip()[:limit]


def add_household(data: HouseholdData, coordinator: User) -> Household:
    if not _desk(coordinator):
        raise NotPermitted("add_household")
    if not data.label.strip():
        raise InvalidInput("label", _("Please give the estate and building."))
    if not data.address.strip():
        raise InvalidInput("address", _("Please give the address."))
    household = Household(
        code="HH-" + secrets.token_hex(4).upper(), studio_id=coordinator.studio_id,
        label=_text(data.label, 120), address=_text(data.address, 255),
        latitude=data.latitude, longitude=data.longitude, people=_text(data.people, 2000),
        needs=_text(data.needs, 2000), contact_name=_text(data.contact_name, 60),
        contact_phone=normalise_phone(data.contact_phone))
    db.session.add(household)
    db.session.flush()
    return household


def _member(user: User | None) -> User:
    if user is None or user.role not in FIELD_ROLES or not user.active:
        raise InvalidInput("member", _("Choose a volunteer or captain."))
    return user


def pair(household: Household, member: User | None, rhythm_days: int, coordinator: User,
         now: datetime | None = None) -> Pairing:
    """One active pairing per household, decided by a partial unique index."""
    if not _desk(coordinator):
        raise NotPermitted("pair")
    if not 1 <= rhythm_days <= 366:
        raise InvalidInput("rhythm_days", _("Visit every 1 to 366 days."))
    pairing = Pairing(household_id=household.id, member_id=_member(member).id,
                      rhythm_days=rhythm_days, started_at=now or utcnow())
    db.session.add(pairing)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the request's only write: nothing else is lost
        raise InvalidInput("member", _("This household is already paired: hand the "
                                       "pairing over instead.")) from None
    return pairing


def hand_over(pairing: Pairing, new_member: User | None, coordinator: User,
              now: datetime | None = None) -> Pairing:
    """The next member takes the household on at the same rhythm; the visits stay."""
    if not _desk(coordinator):
        raise NotPermitted("hand_over")
    member = _member(new_member)
    if member.id == pairing.member_id:
        raise InvalidInput("member", _("Choose another member."))
    now = now or utcnow()
    ended = db.session.execute(update(Pairing).where(
        Pairing.id == pairing.id, Pairing.active.is_(True))
        .values(active=False, ended_at=now, handed_to_id=member.id)
        .execution_options(synchronize_session=False))
    if ended.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidInput("member", _("This pairing was already handed over."))
    db.session.expire(pairing)
    successor = Pairing(household_id=pairing.household_id, member_id=member.id,
                        rhythm_days=pairing.rhythm_days, started_at=now)
    db.session.add(successor)
    db.session.flush()
    return successor


def last_visit_at(household_id: int) -> datetime | None:
    return db.session.scalar(select(func.max(Visit.visited_at)).where(
        Visit.household_id == household_id))


@dataclass(frozen=True)
class Due:
    pairing: Pairing
    last_visit: datetime | None
    due_at: datetime

    def overdue(self, now: datetime) -> bool:
        return self.due_at < now

    def coming(self, now: datetime, days: int = 2) -> bool:
        return now <= self.due_at < now + timedelta(days=days)


def due_of(pairing: Pairing) -> Due:
    last = last_visit_at(pairing.household_id)
    since = max(last, pairing.started_at) if last else pairing.started_at
    return Due(pairing, last, since + timedelta(days=pairing.rhythm_days))


def pairings_of(member: User) -> list[Due]:
    """The member's households, the most overdue first."""
    rows = db.session.scalars(select(Pairing).where(Pairing.member_id == member.id,
                                                    Pairing.active.is_(True)))
    return sorted((due_of(p) for p in rows), key=lambda d: d.due_at)


def board(studio_id: int | None = None) -> list[Due]:
    query = select(Pairing).join(Household).where(Pairing.active.is_(True))
    if studio_id is not None:
        query = query.where(Household.studio_id == studio_id)
    return sorted((due_of(p) for p in db.session.scalars(query)), key=lambda d: d.due_at)


def unpaired(studio_id: int | None = None) -> list[Household]:
    active = select(Pairing.household_id).where(Pairing.active.is_(True))
    query = select(Household).where(Household.id.not_in(active))
    if studio_id is not None:
        query = query.where(Household.studio_id == studio_id)
    return list(db.session.scalars(query.order_by(Household.label)))


def active_pairing(household: Household) -> Pairing | None:
    return db.session.scalar(select(Pairing).where(Pairing.household_id == household.id,
                                                   Pairing.active.is_(True)))


def log_visit(household: Household, member: User, visited_at: datetime, found: str,
              done: str, follow_up: str = "", now: datetime | None = None) -> Visit:
    """走访: only the member paired with the household now logs its visits."""
    pairing = active_pairing(household)
    if pairing is None or pairing.member_id != member.id:
        raise NotPermitted("log_visit")
    now = now or utcnow()
    if visited_at > now + timedelta(minutes=10):
        raise InvalidInput("visited_at", _("A visit cannot be in the future."))
    if not (found or "").strip() and not (done or "").strip():
        raise InvalidInput("found", _("Please say what you found or what you did."))
    visit = Visit(household_id=household.id, pairing_id=pairing.id, member_id=member.id,
                  visited_at=visited_at, found=_text(found, 2000), done=_text(done, 2000),
                  follow_up=_text(follow_up, 1000), created_at=now)
    db.session.add(visit)
    db.session.flush()
    return visit


def raise_case(visit: Visit, member: User, category: Category | None, need: str) -> Case:
    """A need found on a visit becomes a micro-wish case in one tap, linked to the visit
    (so to the household). The case carries the need as the member wrote it and the
    household's label, never its address, people or contact; the public page shows the
    place only to about 100 m, as for every wish. A second tap files nothing new."""
    if visit.member_id != member.id or paired_member_id(visit.household) != member.id:
        raise NotPermitted("raise_case")
    if visit.case_id is not None:
        existing = db.session.get(Case, visit.case_id)
        assert existing is not None
        return existing
    if category is None:
        raise InvalidInput("category", _("Choose a category."))
    need = (need or visit.found).strip()
    if not need:
        raise InvalidInput("need", _("Please describe the need."))
    household = visit.household
    case = file_report(NewReport(
        kind=CaseKind.WISH, category=category, description=need,
        latitude=household.latitude, longitude=household.longitude,
        submission_token=f"visit-{visit.id}", address=household.label))
    db.session.execute(update(Visit).where(Visit.id == visit.id, Visit.case_id.is_(None))
                       .values(case_id=case.id).execution_options(synchronize_session=False))
    db.session.flush()
    db.session.expire(visit)
    return case


def visits_in(start: datetime, end: datetime, studio_id: int | None = None) -> int:
    query = select(func.count()).select_from(Visit).join(Household).where(
        Visit.visited_at >= start, Visit.visited_at < end)
    if studio_id is not None:
        query = query.where(Household.studio_id == studio_id)
    return db.session.scalar(query) or 0


def visit_of_case(case_id: int) -> Visit | None:
    """The visit a case was raised on, if any (the desk's case page says so)."""
    return db.session.scalar(select(Visit).where(Visit.case_id == case_id))
