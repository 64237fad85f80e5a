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

Speed: volunteers come from the spatial index (``dispatch/geo/spatial.py``: R*Tree,
PostGIS or earthdistance), the ``SHORTLIST`` nearest suitable ones (on duty, active) first,
each with its open work in hand (correlated COUNTs on the (responder, status) indexes), in
one statement; the teams with theirs in another. Since penalties are never negative, anyone
not read scores at least the distance of the last one read: when the ``limit``-th score is
within that distance the ranking is exact, otherwise four times as many are read (with 60,
about 1 case in 100 among 100,000 volunteers needs that; with 40 it was 7 in 100, and they
made the p95). The statements are built once (``_team_query``, ``_volunteer_query``):
building a SELECT costs more Python time than SQLite takes to run it. Distances are
great-circle distances on the mean sphere (within 0.5 % of the ellipsoid's, which no walk
to a case notices), computed once per row by the index's query. Teams are few: the active
ones within ``ASSIGN_RADIUS_KM`` (the ``MIN_TEAMS`` nearest when none is) are read, with
whether anyone is on duty, in one query.

The assignment dropdown (``candidates``) lists the same teams and the nearest on-duty
volunteers within ``ASSIGN_RADIUS_KM``, nearest first, so a studio is never offered a team
in another city (the demo spans five, 600–700 km apart).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, func, literal, select, union_all

from dispatch.extensions import db
from dispatch.geo import spatial
from dispatch.geo.spatial import sphere_m
from dispatch.models import Case, CaseStatus, Team, User, VolunteerProfile
from dispatch.models.base import in_english
from dispatch.models.people import FIELD_ROLES, SKILL_LABELS
from dispatch.models.spatial_index import VOLUNTEER_POINTS
from dispatch.services.text import listing

LOAD_KM = 1.0
NO_SKILL_KM = 3.0
TEAM_OFF_DUTY_KM = 5.0
SHORTLIST = 60  # volunteers read from the index in the first round (then ×4)
MIN_TEAMS = 3  # the nearest teams offered when none is within the radius
MAX_TEAMS = 10  # teams in the dropdown and among the suggestions
DROPDOWN_VOLUNTEERS = 20


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
    distance_m: float = math.nan  # from the case, on the sphere (nan: not yet measured)
    load: int | None = None  # open work in hand, when read with the row


def parse_assignee(key: str) -> tuple[Team | None, User | None]:
    kind, _sep, raw_id = key.partition(":")
    if not raw_id.isdigit():
        return None, None
    if kind == "team":
        return db.session.get(Team, int(raw_id)), None
    if kind == "user":
        return None, db.session.get(User, int(raw_id))
    return None, None


def _current_key(case: Case) -> str | None:
    if case.assigned_team_id is not None:
        return f"team:{case.assigned_team_id}"
    if case.assigned_volunteer_id is not None:
        return f"user:{case.assigned_volunteer_id}"
    return None


def _radius_m() -> float:
    return float(current_app.config["ASSIGN_RADIUS_KM"]) * 1000


@functools.cache
def _team_query() -> Select[Any]:
    """Built once: constructing a statement costs more Python time than SQLite running it.
    The open work in hand comes along as a correlated COUNT (on ix_cases_team_status)."""
    someone = (select(VolunteerProfile.user_id).join(User, User.id == VolunteerProfile.user_id)
               .where(VolunteerProfile.team_id == Team.id, VolunteerProfile.on_duty.is_(True),
                      User.active.is_(True)).exists())
    load = (select(func.count()).select_from(Case)
            .where(Case.assigned_team_id == Team.id, Case.status == CaseStatus.HANDLING)
            .scalar_subquery())
    return select(Team.id, Team.name_zh, Team.name_en, Team.latitude, Team.longitude,
                  Team.skills, someone.label("on_duty"), load.label("load")
                  ).where(Team.active.is_(True))


def _teams(case: Case) -> list[_Found]:
    """Active teams within ``ASSIGN_RADIUS_KM`` of the case, nearest first, at most
    ``MAX_TEAMS`` (when none is that near, the ``MIN_TEAMS`` nearest, however far), each
    with whether anyone is on duty (an EXISTS that stops at the first member found) and its
    open work. Teams are few: a scan of the active ones, measured here."""
    rows = db.session.execute(_team_query()).all()
    found = sorted((_Found(f"team:{r.id}", r.id, _team_name(r.name_zh, r.name_en), True,
                           r.latitude, r.longitude, tuple(r.skills or ()), bool(r.on_duty),
                           sphere_m(case.latitude, case.longitude, r.latitude, r.longitude),
                           r.load)
                    for r in rows), key=lambda t: (t.distance_m, t.id))
    radius = _radius_m()
    near = [t for t in found if t.distance_m <= radius][:MAX_TEAMS]
    return near or found[:MIN_TEAMS]


def _team_name(name_zh: str, name_en: str) -> str:
    return name_en if in_english() and name_en else name_zh


def _volunteer_load() -> ColumnElement[int]:
    """A volunteer's open work as two correlated COUNTs, each on its own index, the same
    rule as :func:`open_work`: recorded as handling it, or assigned with nobody recorded."""
    handling = Case.status == CaseStatus.HANDLING
    handled = (select(func.count()).select_from(Case)
               .where(Case.handled_by_id == VolunteerProfile.user_id, handling)
               .scalar_subquery())
    assigned = (select(func.count()).select_from(Case)
                .where(and_(Case.assigned_volunteer_id == VolunteerProfile.user_id, handling,
                            Case.handled_by_id.is_(None)))
                .scalar_subquery())
    return handled + assigned


@functools.cache
def _volunteer_query(with_load: bool) -> Select[Any]:
    """Built once (``spatial.nearest`` keeps what it derives from it): on-duty, active field
    volunteers, only the columns the ranking needs, and their open work when asked."""
    columns: list[Any] = [VolunteerProfile.user_id, User.display_name, VolunteerProfile.skills]
    if with_load:
        columns.append(_volunteer_load().label("load"))
    return (select(*columns).join(User, User.id == VolunteerProfile.user_id)
            .where(VolunteerProfile.on_duty.is_(True), User.active.is_(True),
                   User.role.in_(FIELD_ROLES)))


def _volunteers(case: Case, count: int, with_load: bool = False) -> list[_Found]:
    """The ``count`` nearest on-duty active volunteers within ``ASSIGN_RADIUS_KM``, nearest
    first, from the spatial index (with their open work in hand when ``with_load``)."""
    hits = spatial.nearest(db.session, VOLUNTEER_POINTS, _volunteer_query(with_load),
                           case.latitude, case.longitude, limit=count, within_m=_radius_m(),
                           keep=True)
    return [_Found(f"user:{h.id}", h.id, h.row.display_name, False, h.row.latitude,
                   h.row.longitude, tuple(h.row.skills or ()), True, h.distance_m,
                   h.row.load if with_load else None)
            for h in hits]


def open_work(team_ids: Sequence[int], user_ids: Sequence[int]) -> dict[str, int]:
    """Open (handling) cases in hand, keyed "team:N" / "user:N", in one statement: three
    grouped COUNTs, each on its own index (the team; the volunteer recorded as handling it;
    the volunteer assigned, when nobody is recorded), joined by UNION ALL."""
    if not team_ids and not user_ids:
        return {}
    handling = Case.status == CaseStatus.HANDLING
    parts = []
    if team_ids:
        parts.append(select(literal("team"), Case.assigned_team_id, func.count())
                     .where(handling, Case.assigned_team_id.in_(team_ids))
                     .group_by(Case.assigned_team_id))
    if user_ids:
        parts.append(select(literal("user"), Case.handled_by_id, func.count())
                     .where(handling, Case.handled_by_id.in_(user_ids))
                     .group_by(Case.handled_by_id))
        parts.append(select(literal("user"), Case.assigned_volunteer_id, func.count())
                     .where(handling, Case.handled_by_id.is_(None),
                            Case.assigned_volunteer_id.in_(user_ids))
                     .group_by(Case.assigned_volunteer_id))
    counts: dict[str, int] = {}
    for kind, key, n in db.session.execute(union_all(*parts)).all():
        counts[f"{kind}:{key}"] = counts.get(f"{kind}:{key}", 0) + n
    return counts


def _score(case: Case, found: Iterable[_Found], loads: dict[str, int]) -> list[Suggestion]:
    """Scored and sorted, best first (ties: the nearer, then the key)."""
    needed = set(case.category.skills or ())
    scored = []
    for item in found:
        metres = item.distance_m
        if math.isnan(metres):
            metres = sphere_m(case.latitude, case.longitude, item.latitude, item.longitude)
        matched = any(s in needed for s in item.skills)
        penalty = (LOAD_KM * loads.get(item.key, 0)
                   + (NO_SKILL_KM if needed and not matched else 0.0)
                   + (0.0 if item.on_duty else TEAM_OFF_DUTY_KM))
        scored.append(Suggestion(item.key, item.name, item.is_team, metres,
                                 tuple(s for s in item.skills if s in needed), item.on_duty,
                                 loads.get(item.key, 0), metres / 1000 + penalty))
    return sorted(scored, key=lambda s: (s.score, s.distance_m, s.key))


def suggest(case: Case, limit: int = 5) -> list[Suggestion]:
    """The ``limit`` best available teams and volunteers for ``case``, best first."""
    skip = _current_key(case)
    teams = [t for t in _teams(case) if t.key != skip]
    count = max(SHORTLIST, limit * 4)
    while True:
        # Two statements in all, usually: the teams, and the volunteers with their open work.
        read = _volunteers(case, count, with_load=True)
        people = [p for p in read if p.key != skip]
        # Everyone not read is at least as far (km) as the last one read, and penalties are
        # never negative; when fewer than asked came back, nobody suitable was left unread.
        complete = len(read) < count
        reach = math.inf if complete else read[-1].distance_m / 1000
        found = [*teams, *people]
        loads = {item.key: item.load for item in found if item.load}
        ranked = _score(case, found, loads)[:limit]
        if complete or _enough(ranked, limit, reach):
            return ranked
        count *= 4


def _enough(ranked: list[Suggestion], limit: int, reach_km: float) -> bool:
    return len(ranked) >= limit and ranked[limit - 1].score <= reach_km


def candidates(case: Case, volunteers: int = DROPDOWN_VOLUNTEERS) -> list[Candidate]:
    """The assignment dropdown: the teams near the case (``_teams``) and the nearest on-duty
    volunteers within ``ASSIGN_RADIUS_KM``, nearest first. (Anyone else may still be
    assigned by key, as a suggestion does; the service checks them.)"""
    needed = set(case.category.skills or ())
    found = _teams(case) + _volunteers(case, volunteers)
    choices = [Candidate(item.key, item.name, item.is_team, item.distance_m,
                         len(needed & set(item.skills))) for item in found]
    return sorted(choices, key=lambda c: (c.distance_m is None, c.distance_m or 0.0, c.key))
