"""A week of the Shuyuanlu studio's work log and talk notes (``demo_data/worklog.json``),
written through the work log service so case-linked entries are in those cases' ledgers.
Seeded once: a second run finds the studio's demo entries and adds nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from dispatch.dev import demo_data
from dispatch.extensions import db
from dispatch.models import Case, LogKind, User, WorkLogEntry
from dispatch.services.clock import display_zone, local
from dispatch.services.standing import worklog


def seed_worklog(users: dict[str, User], now: datetime) -> int:
    if db.session.scalar(select(WorkLogEntry.id).limit(1)):
        return 0
    today = local(now).date()
    added = 0
    for row in demo_data.WORKLOG:
        hours, minutes = (int(part) for part in row["time"].split(":"))
        day = today - timedelta(days=row["days_ago"])
        at = datetime.combine(day, time(hours, minutes), tzinfo=display_zone())
        if at > now:
            continue
        case = db.session.scalar(select(Case).where(Case.external_ref == row["case_ref"])) \
            if row["case_ref"] else None
        worklog.write(worklog.NewEntry(
            kind=LogKind(row["kind"]), happened_at=at, text=row["text"],
            with_whom=row["with_whom"], hours=row["hours"], case=case), users[row["author"]])
        added += 1
    return added
