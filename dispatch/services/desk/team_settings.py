"""Teams and captains on the desk: creating a team, editing it, choosing or replacing its
captain, retiring it and bringing it back.

Coordinators manage the teams of their own studio, administrators every team. Every
change is one conditional UPDATE on ``Team.version`` (a stale form is refused with what
changed) and one audit line with before and after. Decisions:

* A new captain must be an active volunteer or captain; not yet in the team, they join
  it (leaving their old team); the captain of another active team is refused. Their role
  becomes captain; the old captain's drops to volunteer unless they still captain another
  active team. Both role changes end that person's sessions (``session_version``).
* A team holding open cases is not retired: the reason names how many, and the desk
  reassigns them first (retiring moves nobody's work behind their back). A retired team
  keeps its record; its members become independent volunteers and the captain's role
  drops as above. Nothing is deleted.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models import OPEN_STATUSES, Case, Region, Role, Studio, Team, User
from dispatch.models.people import FIELD_ROLES, SKILL_LABELS, VolunteerProfile
from dispatch.services import audit
from dispatch.services.desk import versioned
from dispatch.services.desk.user_settings import studio_of
from dispatch.services.errors import InvalidInput, NotPermitted

FIELDS = ("code", "name_zh", "name_en", "region_id", "studio_id", "latitude", "longitude",
          "skills")


def may_manage(actor: User, team: Team | None = None, studio_id: int | None = None) -> bool:
    if actor.role == Role.ADMIN:
        return True
    target = team.studio_id if team is not None else studio_id
    return actor.role == Role.COORDINATOR and actor.studio_id is not None \
        and target == actor.studio_id


def values_of(team: Team) -> dict[str, Any]:
    values = {name: getattr(team, name) for name in FIELDS}
    values["skills"] = sorted(team.skills or [])  # an order is not a change
    values["captain_id"], values["active"] = team.captain_id, team.active
    return values


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    code = (values.get("code") or "").strip().lower()
    if not code:
        raise InvalidInput("code", _("Please give a code."))
    if not (values.get("name_zh") or "").strip():
        raise InvalidInput("name_zh", _("Please give the Chinese name."))
    if db.session.get(Region, values.get("region_id") or 0) is None:
        raise InvalidInput("region_id", _("Please choose the region."))
    if values.get("studio_id") and db.session.get(Studio, values["studio_id"]) is None:
        raise InvalidInput("studio_id", _("Unknown studio."))
    return {"code": code, "name_zh": values["name_zh"].strip()[:120],
            "name_en": (values.get("name_en") or "").strip()[:200],
            "region_id": values["region_id"], "studio_id": values.get("studio_id") or None,
            "latitude": float(values["latitude"]), "longitude": float(values["longitude"]),
            "skills": sorted({s for s in values.get("skills") or [] if s in SKILL_LABELS})}


def _code_taken(code: str, team_id: int | None) -> bool:
    return bool(db.session.scalar(select(Team.id).where(Team.code == code,
                                                        Team.id != (team_id or 0))))


def create_team(actor: User, values: dict[str, Any]) -> Team:
    new = _checked(values)
    if not may_manage(actor, studio_id=new["studio_id"]):
        raise InvalidInput("studio_id", _("You can only manage teams of your own studio."))
    if _code_taken(new["code"], None):
        raise InvalidInput("code", _("This team code is taken."))
    team = Team(**new)
    try:
        with db.session.begin_nested():  # the unique index decides a race for the code
            db.session.add(team)
    except IntegrityError as error:
        raise InvalidInput("code", _("This team code is taken.")) from error
    audit.record(actor, "team.create", f"team:{team.id}", after=values_of(team))
    return team


def _changed(team: Team, actor: User, expected_version: int, values: dict[str, Any],
             action: str) -> Team:
    """The one conditional UPDATE every change of a team goes through, audited."""
    if not may_manage(actor, team):
        raise NotPermitted("team")
    return versioned.save(team, actor, expected_version, values, action=action,
                          values_of=values_of)


def update_team(team: Team, actor: User, expected_version: int,
                values: dict[str, Any]) -> Team:
    new = _checked(values)
    if actor.role != Role.ADMIN and new["studio_id"] != team.studio_id:
        raise InvalidInput("studio_id", _("You can only manage teams of your own studio."))
    if _code_taken(new["code"], team.id):
        raise InvalidInput("code", _("This team code is taken."))
    try:
        with db.session.begin_nested():
            return _changed(team, actor, expected_version, new, "team.update")
    except IntegrityError as error:
        raise InvalidInput("code", _("This team code is taken.")) from error


def _set_role(user: User, role: Role) -> None:
    """A new role ends the person's sessions: they sign in again with it."""
    if user.role == role:
        return
    db.session.execute(update(User).where(User.id == user.id).values(
        role=role, version=User.version + 1, session_version=User.session_version + 1)
        .execution_options(synchronize_session=False))
    db.session.refresh(user)


def _step_down(user_id: int | None, team: Team) -> None:
    """The former captain is a volunteer again, unless they captain another active team."""
    if user_id is None:
        return
    user = db.session.get(User, user_id)
    still = db.session.scalar(select(Team.id).where(
        Team.captain_id == user_id, Team.id != team.id, Team.active.is_(True)))
    if user is not None and user.role == Role.CAPTAIN and still is None:
        _set_role(user, Role.VOLUNTEER)


def captain_candidates(team: Team) -> list[User]:
    """The team's members, and active volunteers who are in no team."""
    return list(db.session.scalars(
        select(User).join(VolunteerProfile).where(
            User.active.is_(True), User.role.in_(FIELD_ROLES),
            (VolunteerProfile.team_id == team.id) | VolunteerProfile.team_id.is_(None))
        .order_by(User.display_name)))


def set_captain(team: Team, actor: User, expected_version: int, user_id: int) -> Team:
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.role not in FIELD_ROLES:
        raise InvalidInput("captain_id", _("A captain must be an active volunteer."))
    if user.team_id != team.id and actor.role != Role.ADMIN \
            and studio_of(user) not in (None, actor.studio_id):
        raise InvalidInput("captain_id", _("This volunteer belongs to another studio."))
    other = db.session.scalar(select(Team).where(
        Team.captain_id == user.id, Team.id != team.id, Team.active.is_(True)))
    if other is not None:
        raise InvalidInput("captain_id", _("%(name)s already captains %(team)s.",
                                           name=user.display_name, team=other.name))
    old = team.captain_id
    if old == user.id:
        return team
    _changed(team, actor, expected_version, {"captain_id": user.id}, "team.captain")
    if user.profile is None:
        user.profile = VolunteerProfile()
    user.profile.team_id = team.id  # the captain is a member of the team
    db.session.flush()
    _set_role(user, Role.CAPTAIN)
    _step_down(old, team)
    return team


def open_cases_of(team: Team) -> int:
    return db.session.scalar(select(func.count()).select_from(Case).where(
        Case.assigned_team_id == team.id, Case.status.in_(OPEN_STATUSES))) or 0


def retire(team: Team, actor: User, expected_version: int) -> list[int]:
    """Retire the team; returns the members who became independent volunteers."""
    if not team.active:
        return []
    # Lock the team's row first, so the count below is not raced by a second retire.
    db.session.execute(select(Team.id).where(Team.id == team.id).with_for_update())
    held = open_cases_of(team)
    if held:
        raise InvalidInput("team", _("%(team)s still holds %(n)d open cases: reassign them "
                                     "first.", team=team.name, n=held))
    old = team.captain_id
    members = list(db.session.scalars(select(VolunteerProfile.user_id).where(
        VolunteerProfile.team_id == team.id)))
    _changed(team, actor, expected_version, {"active": False, "captain_id": None},
             "team.retire")
    db.session.execute(update(VolunteerProfile).where(VolunteerProfile.team_id == team.id)
                       .values(team_id=None).execution_options(synchronize_session=False))
    _step_down(old, team)
    audit.record(actor, "team.members_freed", f"team:{team.id}", before={"members": members})
    return members


def restore(team: Team, actor: User, expected_version: int) -> Team:
    if team.active:
        return team
    return _changed(team, actor, expected_version, {"active": True}, "team.restore")
