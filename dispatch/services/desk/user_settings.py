"""Users and roles on the desk: who may change whose account, the list with its filters,
editing a role, studio and studio lead, creating a staff account, deactivating and
bringing an account back.

Administrators manage every account. A coordinator manages the volunteers and captains of
their own studio (theirs by the studio on the account, or by their team's studio), may
make them coordinators of that studio, and never grants administrator. A studio keeps its
last active coordinator and the service its last administrator (``responders/roles.py``,
serialised on a locked row). Every change is one conditional UPDATE on ``User.version``
(a second editor's stale form is refused with what changed), written to the audit log,
and a change of role raises ``session_version``: the person's sessions end and they sign
in again with the new role.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models import Role, Studio, Team, User, VolunteerProfile
from dispatch.models.people import FIELD_ROLES
from dispatch.services import audit
from dispatch.services.cases import leaving
from dispatch.services.desk import versioned
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.services.responders import accounts, links, roles

FIELDS = ("display_name", "role", "studio_id", "is_studio_lead")
COORDINATOR_GRANTS = frozenset({Role.VOLUNTEER, Role.CAPTAIN, Role.COORDINATOR})


def studio_of(user: User) -> int | None:
    """The studio an account belongs to: its own, or its team's."""
    if user.studio_id is not None:
        return user.studio_id
    team = user.profile.team if user.profile else None
    return team.studio_id if team else None


def may_manage(actor: User, user: User) -> bool:
    if actor.role == Role.ADMIN:
        return True
    return (actor.role == Role.COORDINATOR and actor.studio_id is not None
            and user.role in FIELD_ROLES and studio_of(user) == actor.studio_id)


def grantable(actor: User) -> list[Role]:
    return list(Role) if actor.role == Role.ADMIN else \
        [r for r in Role if r in COORDINATOR_GRANTS]


@dataclass(frozen=True)
class Filters:
    role: str = ""
    studio_id: int | None = None
    active: str = ""  # "", "yes", "no"
    text: str = ""  # part of a name or username


def listed(actor: User, filters: Filters) -> Select[tuple[User]]:
    """Who ``actor`` may see, filtered, in a stable order (for a page of it at a time); with
    each row's studio and team loaded alongside instead of one query per row."""
    team_studio = select(Team.studio_id).join(VolunteerProfile,
                                              VolunteerProfile.team_id == Team.id) \
        .where(VolunteerProfile.user_id == User.id).scalar_subquery()
    query = select(User).order_by(User.active.desc(), User.role, User.display_name, User.id) \
        .options(selectinload(User.studio),
                 selectinload(User.profile).selectinload(VolunteerProfile.team))
    studio_id = filters.studio_id
    if actor.role != Role.ADMIN:
        studio_id = actor.studio_id or -1  # a coordinator sees their own studio's people
    if studio_id is not None:
        query = query.where(or_(User.studio_id == studio_id, team_studio == studio_id))
    if filters.role in {r.value for r in Role}:
        query = query.where(User.role == Role(filters.role))
    if filters.active in ("yes", "no"):
        query = query.where(User.active.is_(filters.active == "yes"))
    if filters.text:  # % and _ typed are letters, not wildcards
        query = query.where(or_(User.display_name.icontains(filters.text, autoescape=True),
                                User.username.icontains(filters.text, autoescape=True)))
    return query


def values_of(user: User) -> dict[str, Any]:
    return {"display_name": user.display_name, "role": Role(user.role).value,
            "studio_id": user.studio_id, "is_studio_lead": bool(user.is_studio_lead)}


def _checked(actor: User, user: User | None, values: dict[str, Any]) -> dict[str, Any]:
    name = (values.get("display_name") or "").strip()
    if not name:
        raise InvalidInput("display_name", _("Please give the name."))
    try:
        role = Role(values.get("role") or "")
    except ValueError as error:
        raise InvalidInput("role", _("Unknown role.")) from error
    if role not in grantable(actor):
        raise InvalidInput("role", _("Only an administrator can make someone an "
                                     "administrator."))
    studio_id = values.get("studio_id") or None
    if studio_id is not None and db.session.get(Studio, studio_id) is None:
        raise InvalidInput("studio_id", _("Unknown studio."))
    if actor.role != Role.ADMIN:
        keep = user.studio_id if user is not None else None
        if studio_id not in (actor.studio_id, keep) or (
                role == Role.COORDINATOR and studio_id != actor.studio_id):
            raise InvalidInput("studio_id", _("You can only place people in your own "
                                              "studio."))
    if role == Role.COORDINATOR and studio_id is None:
        raise InvalidInput("studio_id", _("A coordinator needs a studio."))
    lead = bool(values.get("is_studio_lead")) and role in (Role.COORDINATOR, Role.ADMIN)
    return {"display_name": name[:60], "role": role, "studio_id": studio_id,
            "is_studio_lead": lead}


def _captains_a_team(user: User) -> Team | None:
    return db.session.scalar(select(Team).where(Team.captain_id == user.id,
                                                Team.active.is_(True)))


def update_user(user: User, actor: User, expected_version: int,
                values: dict[str, Any]) -> User:
    if not may_manage(actor, user):
        raise NotPermitted("user")
    new = _checked(actor, user, values)
    role_changed = new["role"] != user.role
    if role_changed or new["studio_id"] != user.studio_id:
        roles.ensure_studio_keeps_a_coordinator(user, field="role" if role_changed
                                                else "studio_id")
    if role_changed:
        roles.ensure_an_admin_remains(user)
        team = _captains_a_team(user)
        if team is not None and new["role"] != Role.CAPTAIN:
            raise InvalidInput("role", _("%(name)s is the captain of %(team)s: choose "
                                         "another captain there first.",
                                         name=user.display_name, team=team.name))
    # A new role ends the person's sessions: they sign in again with it.
    bump = {"session_version": User.session_version + 1} if role_changed else {}
    versioned.save(user, actor, expected_version, new, action="user.update",
                   values_of=values_of, extra=bump)
    if new["role"] in FIELD_ROLES and user.profile is None:
        user.profile = VolunteerProfile()
        db.session.flush()
    return user


def create_staff(actor: User, username: str, phone: str | None,
                 values: dict[str, Any]) -> tuple[User, str]:
    """A new account without a password: the one-time link returned sets it."""
    new = _checked(actor, None, values)
    studio = db.session.get(Studio, new["studio_id"]) if new["studio_id"] else None
    user = accounts.create_user(username=username, display_name=new["display_name"],
                                role=new["role"], password=secrets.token_urlsafe(24),
                                phone=phone, studio=studio)
    user.is_studio_lead = new["is_studio_lead"]
    db.session.flush()
    token = links.create(user, actor)
    audit.record(actor, "user.create", f"user:{user.id}",
                 after={**values_of(user), "username": user.username})
    return user, token


def deactivate(user: User, actor: User) -> list[int]:
    if not may_manage(actor, user):
        raise NotPermitted("user")
    return leaving.deactivate(user, actor)


def reactivate(user: User, actor: User) -> None:
    if not may_manage(actor, user):
        raise NotPermitted("user")
    if user.anonymised_at is not None:
        raise InvalidInput("user", _("This account's personal data was erased; create a "
                                     "new account instead."))
    done = db.session.execute(
        update(User).where(User.id == user.id, User.active.is_(False))
        .values(active=True, deactivated_at=None, version=User.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(user)
    if done == 1:
        audit.record(actor, "user.reactivate", f"user:{user.id}", before={"active": False},
                     after={"active": True})
