"""Who is free now (谁现在有空), for the desk's case page: the teams and volunteers on duty at
this moment, each with their open work, the case category's skills they have, and their
distance to the case.

On duty now means either of the two ways the project records it: the volunteer said so on
their phone (``VolunteerProfile.on_duty``; a team is on duty when a member is), or they are
on a studio's duty rota (``DutyShift``) for a shift that covers this minute, in the studio's
time zone. Distances, skills and loads come from the responders' suggestion service (its
spatial-index query and its grouped count of open work); only the few people on the rota
now who have not said they are on duty are measured here, one by one, from their own base.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.geo.spatial import sphere_m
from dispatch.models import Case, DutyShift, User, VolunteerProfile
from dispatch.models.people import FIELD_ROLES
from dispatch.services.clock import local
from dispatch.services.responders import suggest

PANEL_SIZE = 8


@dataclass(frozen=True)
class FreeNow:
    key: str  # "team:3" / "user:7": what an assignment form posts
    name: str
    is_team: bool
    distance_m: float
    skills: tuple[str, ...]  # the case category's skills they have
    open_work: int
    said_on_duty: bool  # a volunteer's own switch; for a team, any member's
    rota_until: str | None  # "HH:MM" when a rota shift covers now (for a team: a member's)
    members_on_duty: int = 0  # teams only


def _rota_now(now: datetime) -> dict[int, str]:
    """Active people whose rota shift covers ``now``: user id → the shift's end."""
    moment = local(now)
    hhmm = moment.strftime("%H:%M")
    rows = db.session.execute(
        select(DutyShift.user_id, func.max(DutyShift.ends)).join(DutyShift.user)
        .where(DutyShift.weekday == moment.weekday(), DutyShift.starts <= hhmm,
               DutyShift.ends > hhmm, User.active.is_(True))
        .group_by(DutyShift.user_id))
    return {user_id: ends for user_id, ends in rows}


def _team_presence(team_ids: list[int], rota: dict[int, str]) -> dict[int, tuple[int, str | None]]:
    """Per team: how many active members are on duty now (either way), and the latest end
    of a member's rota shift."""
    if not team_ids:
        return {}
    rows = db.session.execute(
        select(VolunteerProfile.team_id, VolunteerProfile.user_id, VolunteerProfile.on_duty)
        .join(User, User.id == VolunteerProfile.user_id)
        .where(VolunteerProfile.team_id.in_(team_ids), User.active.is_(True)))
    presence: dict[int, tuple[int, str | None]] = {}
    for team_id, user_id, on_duty in rows:
        count, until = presence.get(team_id, (0, None))
        shift_end = rota.get(user_id)
        if on_duty or shift_end:
            count += 1
        if shift_end and (until is None or shift_end > until):
            until = shift_end
        presence[team_id] = (count, until)
    return presence


def _on_rota_only(case: Case, rota: dict[int, str], known: set[str]) -> list[FreeNow]:
    """Field people on the rota now who are not among the suggestions (they have not
    switched themselves on duty): measured from their own base, when they have one."""
    ids = [uid for uid in rota if f"user:{uid}" not in known]
    if not ids:
        return []
    rows = db.session.execute(
        select(User.id, User.display_name, VolunteerProfile.skills, VolunteerProfile.latitude,
               VolunteerProfile.longitude)
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(User.id.in_(ids), User.role.in_(FIELD_ROLES),
               VolunteerProfile.latitude.is_not(None), VolunteerProfile.longitude.is_not(None)))
    needed = set(case.category.skills or ())
    radius = float(current_app.config["ASSIGN_RADIUS_KM"]) * 1000  # as the suggestions
    found = [r for r in rows
             if sphere_m(case.latitude, case.longitude, r.latitude, r.longitude) <= radius]
    loads = suggest.open_work([], [r.id for r in found])
    return [FreeNow(f"user:{r.id}", r.display_name, False,
                    sphere_m(case.latitude, case.longitude, r.latitude, r.longitude),
                    tuple(s for s in (r.skills or ()) if s in needed),
                    loads.get(f"user:{r.id}", 0), False, rota[r.id]) for r in found]


def free_now(case: Case, now: datetime, limit: int = PANEL_SIZE) -> list[FreeNow]:
    """The teams and volunteers on duty now for ``case``, best suited first (the suggestion
    service's ranking: distance, open work, skills), then anyone else on the rota now,
    nearest first; at most ``limit``."""
    rota = _rota_now(now)
    ranked = suggest.suggest(case, limit=limit * 2)
    teams = _team_presence([int(s.key.partition(":")[2]) for s in ranked if s.is_team], rota)
    rows: list[FreeNow] = []
    for s in ranked:
        ident = int(s.key.partition(":")[2])
        if s.is_team:
            count, until = teams.get(ident, (0, None))
            if count:
                rows.append(FreeNow(s.key, s.name, True, s.distance_m, s.skills, s.open_work,
                                    s.on_duty, until, count))
        elif s.on_duty or ident in rota:
            rows.append(FreeNow(s.key, s.name, False, s.distance_m, s.skills, s.open_work,
                                s.on_duty, rota.get(ident)))
    extra = sorted(_on_rota_only(case, rota, {s.key for s in ranked}),
                   key=lambda row: (row.distance_m, row.key))
    return (rows + extra)[:limit]
