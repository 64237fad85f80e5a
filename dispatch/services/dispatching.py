"""Choosing who goes: the teams and volunteers a case can be assigned to, nearest first.

The dispatch-board issue ranks these further (on duty, load, skills); this module is
where that ranking belongs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.geo import distance_m
from dispatch.models import Case, Team, User, VolunteerProfile
from dispatch.models.people import FIELD_ROLES


@dataclass(frozen=True)
class Candidate:
    key: str  # "team:3" or "user:7", the value an assignment form posts
    name: str
    is_team: bool
    distance_m: float | None
    skills_matched: int


def parse_assignee(key: str) -> tuple[Team | None, User | None]:
    kind, _, raw_id = key.partition(":")
    if not raw_id.isdigit():
        return None, None
    if kind == "team":
        return db.session.get(Team, int(raw_id)), None
    if kind == "user":
        return None, db.session.get(User, int(raw_id))
    return None, None


def candidates(case: Case) -> list[Candidate]:
    needed = set(case.category.skills or [])
    found: list[Candidate] = []
    for team in db.session.scalars(select(Team).where(Team.active.is_(True))):
        found.append(Candidate(
            f"team:{team.id}", team.name, True,
            distance_m(case.latitude, case.longitude, team.latitude, team.longitude),
            len(needed & set(team.skills or []))))
    people = db.session.execute(
        select(User, VolunteerProfile).join(VolunteerProfile)
        .where(User.active.is_(True), User.role.in_(FIELD_ROLES)))
    for user, profile in people:
        distance = None
        if profile.latitude is not None and profile.longitude is not None:
            distance = distance_m(case.latitude, case.longitude,
                                  profile.latitude, profile.longitude)
        found.append(Candidate(f"user:{user.id}", user.display_name, False, distance,
                               len(needed & set(profile.skills or []))))
    return sorted(found, key=lambda c: (c.distance_m is None, c.distance_m or 0.0))
