"""Demo pairings (``demo_data/pairings.json``): Yanzhong estate households (seed 002; the
names, numbers and doors are invented) paired with members of the stairwell team, with a
few weeks of visits, one of them overdue, and one household still waiting for a member.
Found by the household's code: a second run adds nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from dispatch.dev import demo_data
from dispatch.extensions import db
from dispatch.models import Household, Pairing, Studio, User, Visit


def seed_pairings(users: dict[str, User], studios: dict[str, Studio], now: datetime) -> int:
    added = 0
    for row in demo_data.PAIRINGS:
        if db.session.scalar(select(Household.id).where(Household.code == row["code"])):
            continue
        household = Household(
            code=row["code"], studio_id=studios[row["studio"]].id, label=row["label"],
            address=row["address"], latitude=row["lat"], longitude=row["lon"],
            people=row["people"], needs=row["needs"], contact_name=row["contact_name"],
            contact_phone="+86" + row["contact_phone"], created_at=now)
        db.session.add(household)
        db.session.flush()
        added += 1
        if not row["member"]:
            continue
        member = users[row["member"]]
        pairing = Pairing(household_id=household.id, member_id=member.id,
                          rhythm_days=row["rhythm_days"],
                          started_at=now - timedelta(days=row["started_days_ago"]))
        db.session.add(pairing)
        db.session.flush()
        for days_ago, found, done, follow_up in row["visits"]:
            at = (now - timedelta(days=days_ago)).replace(hour=2, minute=30, second=0,
                                                          microsecond=0)  # 10:30 Beijing
            db.session.add(Visit(household_id=household.id, pairing_id=pairing.id,
                                 member_id=member.id, visited_at=at, found=found, done=done,
                                 follow_up=follow_up, created_at=at))
    db.session.flush()
    return added
