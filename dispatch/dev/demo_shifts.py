"""Demo shifts (``demo_data/shifts.json``): dawn checkpoint shifts at Chendai and Chidian
(Jinjiang, seed 003) and a clean-up day, relative to today; one past dawn shift already
served, so records and the monthly report have hours. A series is seeded once: a second
run finds its key and adds nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from dispatch.dev import demo_data
from dispatch.extensions import db
from dispatch.models import Shift, ShiftSignup, Team, User
from dispatch.services.clock import local
from dispatch.services.standing.recurrence import occurrences


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def seed_shifts(users: dict[str, User], now: datetime) -> int:
    added = 0
    today = local(now).date()
    for row in demo_data.SHIFTS:
        if db.session.scalar(select(Shift.id).where(Shift.series == row["series"]).limit(1)):
            continue
        added += _seed_one(row, users, today, now)
    db.session.flush()
    return added


def _seed_one(row: dict[str, Any], users: dict[str, User], today: date,
              now: datetime) -> int:
    captain = users[row["captain"]]
    team = db.session.scalar(select(Team).where(Team.captain_id == captain.id))
    first = today + timedelta(days=1 if row["days"] > 0 else row["days"])
    rule = row["rule"]
    if rule:
        until = first + timedelta(days=row["days"] - 1)
        rule = f"{rule};UNTIL={until:%Y%m%d}T235959"
    times = occurrences(first, _clock(row["starts"]), _clock(row["ends"]), rule)
    for starts_at, ends_at in times:
        shift = Shift(studio_id=team.studio_id if team else None,
                      team_id=team.id if team else None, captain_id=captain.id,
                      site_name=row["site_zh"], latitude=row["lat"], longitude=row["lon"],
                      starts_at=starts_at, ends_at=ends_at, places=row["places"],
                      skills=row["skills"], note=row["note"], series=row["series"],
                      rule=rule, created_by_id=captain.id, created_at=now)
        db.session.add(shift)
        db.session.flush()
        for username in row.get("signed_up", []):
            db.session.add(ShiftSignup(shift_id=shift.id, user_id=users[username].id,
                                       created_at=now))
            shift.taken += 1
        # Served: (username, minutes after the start they checked in, minutes they stayed)
        for username, late, stayed in row.get("served", []):
            checked_in = starts_at + timedelta(minutes=late)
            db.session.add(ShiftSignup(
                shift_id=shift.id, user_id=users[username].id, created_at=now,
                checked_in_at=checked_in, checkin_distance_m=40.0,
                checked_out_at=checked_in + timedelta(minutes=stayed)))
            shift.taken += 1
    return len(times)
