"""Choosing who goes: suggested responders for a case, and the assignment dropdown.

``suggest(case)`` ranks the available teams and volunteers for one case. Available means:
the account or team is active, a volunteer has said they are on duty (off-duty volunteers
are left out: they said they cannot take work), and the current assignee is left out when
reassigning. A team is on duty when any active member is; a team with nobody on duty is
still suggested, ranked lower.

The score is a distance in kilometres, lower is better, so every term reads as "worth
walking this much farther":

    score = geodesic distance (km)
          + 1.0 km for each open case in hand (status handling, assigned to the team or
            volunteer, or shared out to the volunteer by their captain)
          + 3.0 km when the category names skills and none of them match
          + 5.0 km for a team with nobody on duty today

Ties go to the nearer one. Every suggestion carries the reason in words
("1.2 km · Skills match: Repairs · On duty today · 1 open in hand").

Speed: volunteers are looked up by a box around the case (the index
``ix_volunteer_profiles_lat_lon``), nearest first by a flat-earth measure, at most
``SHORTLIST`` rows (a box of 1 km to start). Since penalties are never negative, anyone left
outside the box (or cut off the shortlist) scores at least the distance to the box's edge
(or to the last one kept): when the ``limit``-th score is within that distance the ranking
is exact, otherwise the box widens (×3, up to ``MAX_ROUNDS`` times). Open work only adds
to a score, so the box is first widened on scores without it; then the open work of the
whole shortlist comes from one grouped COUNT. The shortlist is ranked on the flat distance
and the exact geodesic distance (and score) is computed for the best 2 × ``limit`` only.
Teams are few: all active ones are read, with whether anyone is on duty, in one query.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from dispatch.extensions import db
from dispatch.geo.distance import distance_m
from dispatch.models import Case, CaseStatus, Team, User, VolunteerProfile
from dispatch.models.base import in_english
from dispatch.models.people import FIELD_ROLES, SKILL_LABELS
from dispatch.services.text import listing

LOAD_KM = 1.0
NO_SKILL_KM = 3.0
TEAM_OFF_DUTY_KM = 5.0
SHORTLIST = 40  # volunteers scored exactly per round
FIRST_BOX_KM = 1.0
MAX_BOX_KM = 200.0
MAX_ROUNDS = 6  # 2, 6, 18, 54, 162, 200 km
KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class Candidate:
    """One choice of the assignment dropdown."""

    key: str  # "team:3" or "user:7", the value an assignment form posts
    name: str
    is_team: bool
    distance_m: float | None
    skills_matched: int


@dataclass(frozen=True)
class Suggestion:
    key: str
    name: str
    is_team: bool
    distance_m: float
    skills: tuple[str, ...]  # the category's skills this responder has
    on_duty: bool
    open_work: int
    score: float

    @property
    def reason(self) -> str:
        """Why it is suggested, in the reader's language."""
        km = self.distance_m / 1000
        parts = [_("%(m)d m", m=round(self.distance_m)) if km < 1
                 else _("%(km).1f km", km=km)]
        if self.skills:
            parts.append(_("Skills match: %(skills)s",
                           skills=listing(SKILL_LABELS.get(s, s) for s in self.skills)))
        else:
            parts.append(_("No matching skill"))
        parts.append(_("On duty today") if self.on_duty else _("Nobody on duty today"))
        parts.append(_("%(n)d open in hand", n=self.open_work) if self.open_work
                     else _("Nothing in hand"))
        return " · ".join(parts)


@dataclass(frozen=True)
class _Found:
    key: str
    id: int
    name: str
    is_team: bool
    latitude: float
    longitude: float
    skills: tuple[str, ...]
    on_duty: bool


def parse_assignee(key: str) -> tuple[Team | None, User | None]:
    kind, _sep, raw_id = key.partition(":")
    if not raw_id.isdigit():
        return None, None
    if kind == "team":
        return db.session.get(Team, int(raw_id)), None
    if kind == "user":
        return None, db.session.get(User, int(raw_id))
    return None, None


def _flat_km(lat: float, lon: float, lat2: float, lon2: float) -> float:
    dx = (lon2 - lon) * math.cos(math.radians(lat))
    return math.hypot(lat2 - lat, dx) * KM_PER_DEGREE


def _current_key(case: Case) -> str | None:
    if case.assigned_team_id is not None:
        return f"team:{case.assigned_team_id}"
    if case.assigned_volunteer_id is not None:
        return f"user:{case.assigned_volunteer_id}"
    return None


def _teams(case: Case, keep: int) -> list[_Found]:
    """Active teams, the ``keep`` nearest (teams are few: a flat measure picks them), each
    with whether anyone is on duty (an EXISTS that stops at the first member found)."""
    someone = (select(VolunteerProfile.user_id).join(User, User.id == VolunteerProfile.user_id)
               .where(VolunteerProfile.team_id == Team.id, VolunteerProfile.on_duty.is_(True),
                      User.active.is_(True)).exists())
    rows = db.session.execute(select(Team.id, Team.name_zh, Team.name_en, Team.latitude,
                                     Team.longitude, Team.skills, someone.label("on_duty"))
                              .where(Team.active.is_(True))).all()
    rows.sort(key=lambda r: _flat_km(case.latitude, case.longitude, r.latitude, r.longitude))
    return [_Found(f"team:{r.id}", r.id, _team_name(r.name_zh, r.name_en), True, r.latitude,
                   r.longitude, tuple(r.skills or ()), bool(r.on_duty)) for r in rows[:keep]]


def _team_name(name_zh: str, name_en: str) -> str:
    return name_en if in_english() and name_en else name_zh


def _volunteers(case: Case, half_km: float, cap: int) -> list[_Found]:
    """On-duty active volunteers inside a box of ``half_km`` around the case, nearest
    first, at most ``cap``."""
    dlat = half_km / KM_PER_DEGREE
    dlon = half_km / (KM_PER_DEGREE * max(0.01, math.cos(math.radians(case.latitude))))
    squeeze = math.cos(math.radians(case.latitude)) ** 2
    near = ((VolunteerProfile.latitude - case.latitude) * (VolunteerProfile.latitude
                                                           - case.latitude)
            + (VolunteerProfile.longitude - case.longitude)
            * (VolunteerProfile.longitude - case.longitude) * squeeze)
    rows = db.session.execute(
        select(User.id, User.display_name, VolunteerProfile.latitude,
               VolunteerProfile.longitude, VolunteerProfile.skills)
        .join(User, User.id == VolunteerProfile.user_id)
        .where(VolunteerProfile.latitude.between(case.latitude - dlat, case.latitude + dlat),
               VolunteerProfile.longitude.between(case.longitude - dlon,
                                                  case.longitude + dlon),
               VolunteerProfile.on_duty.is_(True), User.active.is_(True),
               User.role.in_(FIELD_ROLES))
        .order_by(near).limit(cap)).all()
    return [_Found(f"user:{r.id}", r.id, r.display_name, False, r.latitude, r.longitude,
                   tuple(r.skills or ()), True) for r in rows]


def open_work(team_ids: Sequence[int], user_ids: Sequence[int]) -> dict[str, int]:
    """Open (handling) cases in hand, keyed "team:N" / "user:N", in one grouped COUNT."""
    if not team_ids and not user_ids:
        return {}
    person = func.coalesce(Case.handled_by_id, Case.assigned_volunteer_id)
    rows = db.session.execute(
        select(Case.assigned_team_id, person, func.count())
        .where(Case.status == CaseStatus.HANDLING,
               or_(Case.assigned_team_id.in_(team_ids), person.in_(user_ids)))
        .group_by(Case.assigned_team_id, person)).all()
    counts: dict[str, int] = {}
    users = set(user_ids)
    for team_id, user_id, n in rows:
        if team_id is not None:
            counts[f"team:{team_id}"] = counts.get(f"team:{team_id}", 0) + n
        if user_id is not None and user_id in users:
            counts[f"user:{user_id}"] = counts.get(f"user:{user_id}", 0) + n
    return counts


def _score(case: Case, found: Iterable[_Found], loads: dict[str, int],
           keep: int | None = None) -> list[Suggestion]:
    """Scored and sorted. With ``keep``, a flat-earth distance ranks everyone first and
    the exact geodesic is computed for the best ``keep`` × 2 only (it costs ~70 µs each)."""
    needed = set(case.category.skills or ())

    def penalty(item: _Found) -> float:
        matched = any(s in needed for s in item.skills)
        return (LOAD_KM * loads.get(item.key, 0)
                + (NO_SKILL_KM if needed and not matched else 0.0)
                + (0.0 if item.on_duty else TEAM_OFF_DUTY_KM))

    items = list(found)
    if keep is not None:
        items.sort(key=lambda i: _flat_km(case.latitude, case.longitude, i.latitude,
                                          i.longitude) + penalty(i))
        items = items[:keep * 2]
    scored = []
    for item in items:
        metres = distance_m(case.latitude, case.longitude, item.latitude, item.longitude)
        scored.append(Suggestion(item.key, item.name, item.is_team, metres,
                                 tuple(s for s in item.skills if s in needed), item.on_duty,
                                 loads.get(item.key, 0), metres / 1000 + penalty(item)))
    return sorted(scored, key=lambda s: (s.score, s.distance_m, s.key))


def suggest(case: Case, limit: int = 5) -> list[Suggestion]:
    """The ``limit`` best available teams and volunteers for ``case``, best first."""
    skip = _current_key(case)
    teams = [t for t in _teams(case, keep=max(limit * 3, 10)) if t.key != skip]
    half_km, cap = FIRST_BOX_KM, max(SHORTLIST, limit * 4)
    ranked: list[Suggestion] = []
    for _round in range(MAX_ROUNDS):
        people = [p for p in _volunteers(case, half_km, cap) if p.key != skip]
        # Everyone not looked at is at least this far (km) from the case; flat distances
        # are within 0.5 % of geodesic ones at this scale.
        reach = half_km
        if len(people) >= cap:
            reach = min(reach, max(_flat_km(case.latitude, case.longitude, p.latitude,
                                            p.longitude) for p in people))
        reach *= 0.995
        last = half_km >= MAX_BOX_KM or _round == MAX_ROUNDS - 1
        # Open work only adds to a score: if even without it the shortlist is not good
        # enough, widen before counting anything.
        if not last and not _enough(_score(case, [*teams, *people], {}, keep=limit), limit,
                                    reach):
            half_km, cap = min(half_km * 3, MAX_BOX_KM), cap * 2
            continue
        loads = open_work([t.id for t in teams], [p.id for p in people])
        ranked = _score(case, [*teams, *people], loads, keep=limit)[:limit]
        if last or _enough(ranked, limit, reach):
            return ranked
        half_km, cap = min(half_km * 3, MAX_BOX_KM), cap * 2
    return ranked


def _enough(ranked: list[Suggestion], limit: int, reach_km: float) -> bool:
    return len(ranked) >= limit and ranked[limit - 1].score <= reach_km


def candidates(case: Case, volunteers: int = 30) -> list[Candidate]:
    """The assignment dropdown: every active team and the nearest on-duty volunteers,
    nearest first. (Anyone else may still be assigned by key; the service checks them.)"""
    needed = set(case.category.skills or ())
    found = _teams(case, keep=10_000) + _volunteers(case, MAX_BOX_KM, volunteers)
    choices = [Candidate(item.key, item.name, item.is_team,
                         distance_m(case.latitude, case.longitude, item.latitude,
                                    item.longitude),
                         len(needed & set(item.skills))) for item in found]
    return sorted(choices, key=lambda c: (c.distance_m is None, c.distance_m or 0.0))

