"""Loads ``demo_data`` into the database. Idempotent: each row is found by its natural key
(code, username, or a case's ``external_ref``) and left alone when it already exists, so a
second run changes nothing. Case histories are replayed through the lifecycle service, so
every demo ledger is one the real rules could have written."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from dispatch.dev import demo_data, demo_pairings, demo_shifts, demo_worklog
from dispatch.extensions import db
from dispatch.models import (
    Case,
    CaseKind,
    Category,
    Landmark,
    LandmarkKind,
    Region,
    Role,
    ServicePoint,
    ServicePointKind,
    Studio,
    Team,
    User,
    VolunteerProfile,
    utcnow,
)
from dispatch.models.desk import DutyShift
from dispatch.services.cases import lifecycle, notifications, replies
from dispatch.services.permissions import Actor


def _by(model: Any, **key: Any) -> Any:
    return db.session.scalar(select(model).filter_by(**key))


def _hours(raw: dict[int, str]) -> dict[str, str]:
    return {str(day): hours for day, hours in raw.items()}


def seed(password: str, now: datetime | None = None) -> dict[str, int]:
    """Add whatever demo rows are missing; return how many of each were added."""
    now = now or utcnow()
    added = {"regions": 0, "studios": 0, "users": 0, "teams": 0, "categories": 0,
             "service_points": 0, "landmarks": 0, "duty_shifts": 0, "cases": 0}
    regions = {}
    for row in demo_data.REGIONS:
        region = _by(Region, code=row["code"])
        if region is None:
            region = Region(code=row["code"], name_zh=row["name_zh"], name_en=row["name_en"],
                            latitude=row["lat"], longitude=row["lon"])
            db.session.add(region)
            added["regions"] += 1
        regions[row["code"]] = region
    studios = {}
    for row in demo_data.STUDIOS:
        studio = _by(Studio, code=row["code"])
        if studio is None:
            studio = Studio(code=row["code"], region=regions[row["region"]],
                            name_zh=row["name_zh"], name_en=row["name_en"],
                            address=row["address_zh"], latitude=row["lat"],
                            longitude=row["lon"], phone=row["phone"],
                            opening_hours=_hours(row["hours"]))
            db.session.add(studio)
            added["studios"] += 1
        studios[row["code"]] = studio
    leads = {row["lead"] for row in demo_data.STUDIOS}
    users = {}
    for row in demo_data.USERS:
        user = _by(User, username=row["username"])
        if user is None:
            user = User(username=row["username"], display_name=row["name"],
                        role=Role(row["role"]), phone=row["phone"],
                        studio=studios.get(row["studio"] or ""),
                        is_studio_lead=row["username"] in leads)
            user.set_password(password)
            db.session.add(user)
            added["users"] += 1
        users[row["username"]] = user
    db.session.flush()
    teams = {}
    for row in demo_data.TEAMS:
        team = _by(Team, code=row["code"])
        if team is None:
            team = Team(code=row["code"], name_zh=row["name_zh"], name_en=row["name_en"],
                        region=regions[row["region"]], studio=studios.get(row["studio"]),
                        captain=users[row["captain"]], latitude=row["lat"],
                        longitude=row["lon"], skills=row["skills"], active=row["active"])
            db.session.add(team)
            added["teams"] += 1
        teams[row["code"]] = team
    db.session.flush()
    for row in demo_data.USERS:
        user = users[row["username"]]
        if row["role"] in ("captain", "volunteer") and user.profile is None:
            db.session.add(VolunteerProfile(
                user=user, team=teams.get(row["team"] or ""), skills=row["skills"],
                latitude=row["lat"], longitude=row["lon"], on_duty=row["on_duty"]))
    categories = {}
    for row in demo_data.CATEGORIES:
        category = _by(Category, code=row["code"])
        if category is None:
            category = Category(**{k: row[k] for k in (
                "code", "name_zh", "name_en", "icon", "skills", "reply_hours",
                "receive_hours", "handle_hours", "kind")})
            db.session.add(category)
            added["categories"] += 1
        categories[row["code"]] = category
    for row in demo_data.SERVICE_POINTS:
        if _by(ServicePoint, code=row["code"]) is None:
            db.session.add(ServicePoint(
                code=row["code"], kind=ServicePointKind(row["kind"]),
                region=regions[row["region"]], name_zh=row["name_zh"],
                name_en=row["name_en"], address=row["address_zh"], latitude=row["lat"],
                longitude=row["lon"], opening_hours=_hours(row["hours"]),
                open_24h=row["open_24h"]))
            added["service_points"] += 1
    for row in demo_data.LANDMARKS:
        if _by(Landmark, code=row["code"]) is None:
            db.session.add(Landmark(
                code=row["code"], kind=LandmarkKind(row["kind"]), region=regions[row["region"]],
                name_zh=row["name_zh"], name_en=row["name_en"], latitude=row["lat"],
                longitude=row["lon"]))
            added["landmarks"] += 1
    added["reply_templates"] = replies.seed_defaults()
    added["duty_shifts"] = _seed_rota(studios, users)
    added["shifts"] = demo_shifts.seed_shifts(users, now)
    added["households"] = demo_pairings.seed_pairings(users, studios, now)
    with notifications.quiet():
        for row in demo_data.CASES:
            if _by(Case, external_ref=row["ref"]) is None:
                _replay_case(row, now, studios, categories, users, teams)
                added["cases"] += 1
        added["work_log"] = demo_worklog.seed_worklog(users, now)  # after the cases it names
    return added


def _seed_rota(studios: dict[str, Studio], users: dict[str, User]) -> int:
    """A week's duty rota for each studio, found by (studio, weekday, person)."""
    added = 0
    for studio_code, username, weekdays, starts, ends in demo_data.DUTY_SHIFTS:
        studio, user = studios[studio_code], users[username]
        for weekday in weekdays:
            if _by(DutyShift, studio_id=studio.id, user_id=user.id, weekday=weekday) is None:
                db.session.add(DutyShift(studio_id=studio.id, user_id=user.id,
                                         weekday=weekday, starts=starts, ends=ends))
                added += 1
    db.session.flush()
    return added


def _replay_case(row: dict[str, Any], now: datetime, studios: dict[str, Studio],
                 categories: dict[str, Category], users: dict[str, User],
                 teams: dict[str, Team]) -> None:
    registered_at = (now - timedelta(days=row["days_ago"])).replace(second=0, microsecond=0)
    case = lifecycle.register(
        kind=CaseKind(row["kind"]), title=row["title"], description=row["description"],
        latitude=row["lat"], longitude=row["lon"], category=categories[row["category"]],
        address=row["address"], reporter_name=row["reporter_name"],
        reporter_phone=row["reporter_phone"], wants_updates=row["wants_updates"],
        studio=studios[row["studio"]], external_ref=row["ref"], at=registered_at)
    for hours_after, action, username, params in row["steps"]:
        at = registered_at + timedelta(hours=hours_after)
        actor = Actor.of(users[username]) if username else Actor.resident()
        note = params.get("note", "")
        if action in ("assign", "reassign"):
            step = lifecycle.assign if action == "assign" else lifecycle.reassign
            step(case, actor, team=teams.get(params.get("team", "")),
                 volunteer=users.get(params.get("volunteer", "")), note=note, at=at)
        elif action == "feedback":
            lifecycle.give_feedback(case, actor, satisfied=params["satisfied"],
                                    rating=params["rating"], comment=params.get("comment", ""),
                                    fixed=params.get("fixed"), at=at)
        elif action == "reply":
            if case.work_checked_at is None:  # the replying coordinator checked it first
                lifecycle.check_work(case, actor, at=at)
            lifecycle.reply(case, actor, params["text"], at=at)
        elif action == "duplicate":
            original = _by(Case, external_ref=params["of"])
            lifecycle.mark_duplicate(case, actor, original, note=note, at=at)
        elif action == "not_ours":
            lifecycle.mark_not_ours(case, actor, params["reason"], at=at)
        elif action == "note":
            lifecycle.add_note(case, actor, params["text"], at=at)
        else:
            getattr(lifecycle, action)(case, actor, note=note, at=at)
