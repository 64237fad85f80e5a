"""Small builders with keyword arguments, and a way to walk a case to any state."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from dispatch.extensions import db
from dispatch.models import (
    Case,
    CaseKind,
    Category,
    Region,
    Role,
    Studio,
    Team,
    User,
    VolunteerProfile,
)
from dispatch.services.cases import claims, lifecycle, replies
from dispatch.services.permissions import Actor

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


def gen_region(**kw: Any) -> Region:
    n = next(_numbers)
    region = Region(**{"code": f"region{n}", "name_zh": f"区域{n}", "name_en": f"Region {n}",
                       "latitude": 27.86, "longitude": 112.95, **kw})
    db.session.add(region)
    return region


def gen_studio(region: Region, **kw: Any) -> Studio:
    n = next(_numbers)
    studio = Studio(**{"code": f"studio{n}", "region": region, "name_zh": f"第{n}工作室",
                       "name_en": f"Studio {n}", "latitude": 27.861, "longitude": 112.951,
                       "opening_hours": {str(d): "09:00-17:00" for d in range(7)}, **kw})
    db.session.add(studio)
    return studio


def gen_category(**kw: Any) -> Category:
    n = next(_numbers)
    category = Category(**{"code": f"cat{n}", "name_zh": f"类别{n}", "name_en": f"Category {n}",
                           "icon": "🚧", "skills": ["repair"], "reply_hours": 72, **kw})
    db.session.add(category)
    return category


def gen_user(role: Role, *, team: Team | None = None, studio: Studio | None = None,
             **kw: Any) -> User:
    n = next(_numbers)
    user = User(**{"username": f"{role.value}{n}", "display_name": f"用户{n}", "role": role,
                   "studio": studio, **kw})
    user.set_password(PASSWORD)
    if role in (Role.CAPTAIN, Role.VOLUNTEER):
        user.profile = VolunteerProfile(team=team, skills=["repair"], latitude=27.862,
                                        longitude=112.952, on_duty=True)
    db.session.add(user)
    return user


def gen_team(region: Region, **kw: Any) -> Team:
    n = next(_numbers)
    team = Team(**{"code": f"team{n}", "name_zh": f"第{n}服务队", "name_en": f"Team {n}",
                   "region": region, "latitude": 27.862, "longitude": 112.952,
                   "skills": ["repair"], **kw})
    db.session.add(team)
    return team


def gen_case(category: Category, studio: Studio | None = None, **kw: Any) -> Case:
    values: dict[str, Any] = {
        "kind": CaseKind.HAZARD, "title": "车棚顶棚松动",
        "description": "天鹤村小区车棚顶棚松动，大风天很危险。",
        "latitude": 27.8655, "longitude": 112.9468, "category": category, "studio": studio,
        "address": "天鹤村小区3栋旁", "reporter_phone": "13812345678", **kw}
    return lifecycle.register(**values)


@dataclass
class World:
    region: Region
    studio: Studio
    category: Category
    coordinator: User
    coordinator2: User
    admin: User
    team: Team
    captain: User
    member: User
    volunteer: User  # independent, no team
    outsider_captain: User
    outsider_team: Team
    case: Case

    def desk(self) -> Actor:
        return Actor.of(self.coordinator)


def build_world() -> World:
    region = gen_region()
    studio = gen_studio(region)
    category = gen_category()
    team = gen_team(region)
    outsider_team = gen_team(region)
    captain = gen_user(Role.CAPTAIN, team=team)
    outsider_captain = gen_user(Role.CAPTAIN, team=outsider_team)
    db.session.flush()
    team.captain = captain
    outsider_team.captain = outsider_captain
    world = World(
        region=region, studio=studio, category=category,
        coordinator=gen_user(Role.COORDINATOR, studio=studio, display_name="谭晓岚"),
        coordinator2=gen_user(Role.COORDINATOR, studio=studio, display_name="罗敏"),
        admin=gen_user(Role.ADMIN), team=team, captain=captain,
        member=gen_user(Role.VOLUNTEER, team=team), volunteer=gen_user(Role.VOLUNTEER),
        outsider_captain=outsider_captain, outsider_team=outsider_team,
        case=None,  # type: ignore[arg-type]
    )
    db.session.flush()
    world.case = gen_case(category, studio)
    replies.seed_defaults()  # what the migration seeds; the tests' schema is create_all's
    return world


# The path through the lifecycle, and how to take each step as the coordinator.
PATH = ["receive", "assign", "accept", "arrive", "finish", "check_work", "reply",
        "give_feedback", "archive"]


def take_step(case: Case, action: str, world: World, actor: Actor | None = None,
              **kw: Any) -> Case:
    if action in ("expire_claim", "auto_confirm"):  # the system's own steps
        return lifecycle.apply_transition(case, actor or Actor.system(), action)
    if action == "check_work" and actor is None:  # a second person checks the desk's work
        actor = Actor.of(world.coordinator2)
    actor = actor or world.desk()
    if action in ("assign", "reassign"):
        kw.setdefault("team", world.team)
    elif action in ("finish", "decline", "reopen", "return_work"):
        kw.setdefault("note", "已处理" if action == "finish" else "原因说明")
    elif action == "reply":
        kw.setdefault("text", "已为您处理完毕。")
    elif action == "answer":
        kw.setdefault("text", "已当场答复。")
    elif action == "give_feedback":
        kw = {"satisfied": True, "rating": 5, **kw}
    elif action == "mark_not_ours":
        kw.setdefault("reason", "属于供电公司职责")
    elif action == "mark_duplicate":
        kw.setdefault("original", gen_case(world.category, world.studio))
    if action == "mark_duplicate":
        original = kw.pop("original")
        return lifecycle.mark_duplicate(case, actor, original, **kw)
    if action == "claim":
        return claims.claim(case, Actor.of(world.volunteer) if actor == world.desk() else actor)
    if action == "release":
        return claims.release(case, actor, kw.get("note", "临时有事"))
    return getattr(lifecycle, action)(case, actor, **kw)


def walk(case: Case, world: World, until: str, **feedback: Any) -> Case:
    """Take the main path's steps up to and including ``until``."""
    for action in PATH:
        if action == "give_feedback" and feedback:
            take_step(case, action, world, **feedback)
        else:
            take_step(case, action, world)
        if action == until:
            break
    return case


def shows_phone_tail(page: str) -> bool:
    """The reporter's phone (13812345678 in the factories) or its last four digits (a masked
    138****5678) as a number on the page. Not inside a longer word: Folium's element ids are
    random hex, and one may hold "5678"."""
    return re.search(r"(?<!\w)(?:13812345678|(?:138\*{4})?5678)(?!\w)", page) is not None
